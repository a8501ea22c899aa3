"""Real HTTP peers for the sign-in tests, on 127.0.0.1:

- ``FakeWordPressCom``: a small WordPress.com OAuth 2.0 server (authorize, token, ``/me``)
  in a thread of the test process. It checks what the real one checks — client, exact redirect
  URI, single-use codes — and PKCE S256 besides, so the tests see that Dateline sends it.
- ``running_oidc_provider``: django-oauth-toolkit with OpenID Connect on, in a second process
  (``tests/identity/oidc_provider``) with its own SQLite file and an RS256 key made for the run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.servers import PROJECT_DIR, free_port

WORDPRESS_PROFILE = {
    # The shape of https://public-api.wordpress.com/rest/v1.1/me (fields Dateline reads, and
    # some it does not).
    "ID": 81234567,
    "display_name": "Layla Mansour",
    "username": "laylamansour",
    "email": "layla@example.net",
    "email_verified": True,
    "primary_blog": 190001,
    "language": "en",
    "avatar_URL": "https://0.gravatar.com/avatar/5f1a?s=96&d=identicon",
    "profile_URL": "https://gravatar.com/laylamansour",
    "verified": True,
    "site_count": 1,
}


def serve_in_thread(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """An HTTP server on a free port of 127.0.0.1, answering from a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def stop_serving(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()


@dataclass
class FakeWordPressCom:
    client_id: str = "dateline-wp"
    client_secret: str = "wp-secret-value"
    redirect_uris: list[str] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=lambda: dict(WORDPRESS_PROFILE))
    deny_consent: bool = False
    token_requests: list[dict[str, str]] = field(default_factory=list)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWordPressCom:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _json(self, status: int, data: dict[str, Any]) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/oauth2/authorize":
                    fake.authorize_requests.append(query)
                    if (
                        query.get("client_id") != fake.client_id
                        or query.get("redirect_uri") not in fake.redirect_uris
                    ):
                        self._json(400, {"error": "invalid_request"})
                        return
                    back = {"state": query.get("state", "")}
                    if fake.deny_consent:
                        back["error"] = "access_denied"
                    else:
                        code = secrets.token_urlsafe(16)
                        fake.codes[code] = query
                        back["code"] = code
                    self._redirect(f"{query['redirect_uri']}?{urlencode(back)}")
                elif parts.path == "/rest/v1.1/me":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if token not in fake.tokens:
                        self._json(403, {"error": "unauthorized"})
                        return
                    self._json(200, fake.profile)
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path != "/oauth2/token":
                    self._json(404, {"error": "not_found"})
                    return
                fake.token_requests.append(form)
                grant = fake.codes.pop(form.get("code", ""), None)  # single use
                if (
                    grant is None
                    or form.get("client_id") != fake.client_id
                    or form.get("client_secret") != fake.client_secret
                    or form.get("redirect_uri") != grant.get("redirect_uri")
                    or form.get("grant_type") != "authorization_code"
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                if grant.get("code_challenge"):
                    verifier = form.get("code_verifier", "")
                    digest = hashlib.sha256(verifier.encode()).digest()
                    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                    if (
                        grant.get("code_challenge_method") != "S256"
                        or challenge != grant["code_challenge"]
                    ):
                        self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                        return
                token = secrets.token_urlsafe(24)
                fake.tokens.add(token)
                self._json(
                    200,
                    {
                        "access_token": token,
                        "token_type": "bearer",
                        "blog_id": "0",
                        "blog_url": "",
                        "scope": grant.get("scope", ""),
                    },
                )

        self.server = serve_in_thread(Handler)
        return self

    def stop(self) -> None:
        stop_serving(self.server)


@dataclass(frozen=True)
class OIDCProvider:
    url: str  # the issuer
    client_id: str
    client_secret: str
    username: str
    password: str
    database: Path

    def allow_redirect_uri(self, uri: str) -> None:
        """Register one more exact redirect URI (the live server's, known only once it runs),
        as the provider's administrator would."""
        with sqlite3.connect(self.database) as db:
            (current,) = db.execute(
                "SELECT redirect_uris FROM oauth2_provider_application WHERE client_id = ?",
                (self.client_id,),
            ).fetchone()
            if uri not in current.split():
                db.execute(
                    "UPDATE oauth2_provider_application SET redirect_uris = ? WHERE client_id = ?",
                    (f"{current} {uri}", self.client_id),
                )


def _rsa_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@contextmanager
def running_oidc_provider(
    *, workdir: Path, redirect_uris: list[str], timeout: float = 120
) -> Iterator[OIDCProvider]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    key_file = workdir / "oidc-rs256.pem"
    key_file.write_text(_rsa_key_pem())
    key_file.chmod(0o600)
    provider = OIDCProvider(
        url=f"{base}/o",
        client_id="dateline-" + secrets.token_hex(4),
        client_secret=secrets.token_urlsafe(24),
        username="amal",
        password=secrets.token_urlsafe(12),
        database=workdir / "oidc-provider.sqlite3",
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATELINE_", "DJANGO_", "DATABASE_URL", "PYTEST_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.identity.oidc_provider.settings",
            "PYTHONPATH": str(PROJECT_DIR),
            "OIDC_TEST_SECRET_KEY": secrets.token_urlsafe(40),
            "OIDC_TEST_DB": str(provider.database),
            "OIDC_TEST_KEY_FILE": str(key_file),
            "OIDC_TEST_USERNAME": provider.username,
            "OIDC_TEST_PASSWORD": provider.password,
            "OIDC_TEST_CLIENT_ID": provider.client_id,
            "OIDC_TEST_CLIENT_SECRET": provider.client_secret,
            "OIDC_TEST_REDIRECT_URIS": " ".join(redirect_uris),
        }
    )
    log = (workdir / "oidc-provider.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.identity.oidc_provider.serve", f"127.0.0.1:{port}"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the OIDC provider exited with {process.returncode}: "
                    + (workdir / "oidc-provider.log").read_text()[-2000:]
                )
            try:
                answer = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=5)
                if answer.status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the OIDC provider did not answer in time")
            time.sleep(0.3)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()
