"""An OpenID Connect provider on 127.0.0.1 that signs its ID tokens the way a test asks.

Certified providers sign with ES256 under an issuer that has a path (Keycloak's
``/realms/<name>``) and require PKCE; this one does the same when ``mode`` is ``"good"``. The
other modes are the attacks a provider (or whoever stands in for one) can try on a client that
does not check signatures: a token signed with a key the provider does not publish, under an
unknown ``kid``, with ``alg: none``, or with HS256 keyed by the client secret; and claims that
are wrong though well signed (another issuer, another audience, issued in the future); and an
authorization response that leaves out, or misnames, the issuer it advertises (RFC 9207). Keys can
rotate: ``rotate()`` signs with a new key that the key set only lists from then on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.identity.servers import serve_in_thread, stop_serving

REALM_PATH = "/realms/newsroom"


def _public_jwk(private: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "ES256"}


@dataclass
class SigningProvider:
    client_id: str = "dateline-news"
    client_secret: str = "a-client-secret-of-some-length"
    mode: str = "good"
    # Which client authentication the token endpoint takes: "any", or only
    # "client_secret_basic" or "client_secret_post" (it still advertises both).
    accepts: str = "any"
    token_auths: list[str] = field(default_factory=list)
    subject: str = "u-2291"
    jwks_fetches: int = 0
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        self.keys = {"k1": ec.generate_private_key(ec.SECP256R1())}
        self.signing_kid = "k1"
        self.stranger = ec.generate_private_key(ec.SECP256R1())  # published nowhere

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return self.base + REALM_PATH

    def rotate(self) -> None:
        self.keys["k2"] = ec.generate_private_key(ec.SECP256R1())
        self.signing_kid = "k2"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/protocol/openid-connect/auth",
            "token_endpoint": f"{self.issuer}/protocol/openid-connect/token",
            "userinfo_endpoint": f"{self.issuer}/protocol/openid-connect/userinfo",
            "jwks_uri": f"{self.issuer}/protocol/openid-connect/certs",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "authorization_response_iss_parameter_supported": True,
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.subject,
            "aud": self.client_id,
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "name": "Rana Khoury",
            "email": "rana@newsroom.example",
            "email_verified": True,
        }
        key: Any = self.keys[self.signing_kid]
        headers = {"kid": self.signing_kid}
        algorithm = "ES256"
        if self.mode == "wrong-key":
            key = self.stranger
        elif self.mode == "unknown-kid":
            key, headers = self.stranger, {"kid": "k-unknown"}
        elif self.mode == "none":
            key, algorithm, headers = None, "none", {}
        elif self.mode == "hs256-client-secret":
            key, algorithm = self.client_secret.encode(), "HS256"
        elif self.mode == "other-issuer":
            claims["iss"] = self.base + "/realms/other"
        elif self.mode == "other-audience":
            claims["aud"] = "somebody-else"
        elif self.mode == "several-audiences":
            claims["aud"] = [self.client_id, "somebody-else"]
        elif self.mode == "issued-in-the-future":
            claims["iat"] = now + 3600
            claims["exp"] = now + 7200
        if self.mode == "none":
            # PyJWT will not write an unsigned token; build the two parts by hand.
            part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")  # noqa: E731
            return (part({"alg": "none", "typ": "JWT"}) + b"." + part(claims) + b".").decode()
        return jwt.encode(claims, key, algorithm=algorithm, headers=headers)

    def start(self) -> SigningProvider:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, data: Any) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == f"{REALM_PATH}/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif parts.path == f"{REALM_PATH}/protocol/openid-connect/certs":
                    provider.jwks_fetches += 1
                    keys = [_public_jwk(k, kid) for kid, k in provider.keys.items()]
                    self._json(200, {"keys": keys})
                elif parts.path == f"{REALM_PATH}/protocol/openid-connect/auth":
                    if query.get("code_challenge_method") != "S256" or not query.get(
                        "code_challenge"
                    ):
                        self._json(400, {"error": "invalid_request", "error_description": "PKCE"})
                        return
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query
                    back = {"code": code, "state": query["state"], "iss": provider.issuer}
                    if provider.mode == "no-iss-in-response":
                        del back["iss"]
                    elif provider.mode == "iss-in-response-differs":
                        back["iss"] = provider.issuer + "/"
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?{urlencode(back)}")
                    self.end_headers()
                elif parts.path == f"{REALM_PATH}/protocol/openid-connect/userinfo":
                    self._json(200, {"sub": provider.subject, "name": "Rana Khoury"})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = base64.b64encode(
                    f"{provider.client_id}:{provider.client_secret}".encode()
                ).decode()
                used = (
                    "client_secret_basic"
                    if self.headers.get("Authorization") == f"Basic {basic}"
                    else "client_secret_post"
                    if form.get("client_secret") == provider.client_secret
                    and form.get("client_id") == provider.client_id
                    else "none"
                )
                provider.token_auths.append(used)
                if used == "none" or provider.accepts not in {"any", used}:
                    self._json(401, {"error": "invalid_client"})
                    return
                grant = provider.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if grant is None or challenge != grant.get("code_challenge"):
                    self._json(400, {"error": "invalid_grant"})
                    return
                self._json(
                    200,
                    {
                        "access_token": secrets.token_urlsafe(16),
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(grant.get("nonce", "")),
                    },
                )

        self.server = serve_in_thread(Handler)
        return self

    def stop(self) -> None:
        stop_serving(self.server)
