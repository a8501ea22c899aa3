"""The admin's "Check" of an OpenID Connect provider: fetch what Dateline will fetch when a
reader signs in (the discovery document, the keys), try the client ID and secret at the token
endpoint, and say, in words, what was found and what will go wrong. Nothing is stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import requests
from allauth.socialaccount.adapter import get_adapter
from django.utils.translation import gettext as _

from dateline.identity.adapters import client_refused, configured_issuer
from dateline.identity.providers import id_tokens


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str


def _get_json(url: str) -> Any:
    with get_adapter().get_requests_session() as session:
        answer = session.get(url)
        answer.raise_for_status()
        return answer.json()


def check(app: Any) -> list[Finding]:
    """What ``app`` (a ``SocialApp``, saved or from the environment) looks like from here."""
    if app.provider != "openid_connect":
        return [Finding(True, _("A built-in provider: its addresses are known; nothing to fetch."))]
    server_url = str((app.settings or {}).get("server_url", ""))
    issuer = configured_issuer(server_url)
    discovery = (
        server_url
        if "/.well-known/" in server_url
        else f"{issuer}/.well-known/openid-configuration"
    )
    try:
        config = _get_json(discovery)
    except (requests.RequestException, ValueError) as error:
        return [
            Finding(
                False,
                _("The discovery document at %(url)s could not be read: %(error)s")
                % {"url": discovery, "error": error},
            )
        ]
    if not isinstance(config, dict):
        return [Finding(False, _("%(url)s is not a discovery document.") % {"url": discovery})]
    findings = [Finding(True, _("Discovery document read from %(url)s.") % {"url": discovery})]
    found_issuer = str(config.get("issuer", ""))
    findings.append(
        Finding(True, _("Issuer: %(issuer)s") % {"issuer": found_issuer})
        if found_issuer.rstrip("/") == issuer
        else Finding(
            False,
            _(
                "The document names the issuer %(found)s, not the configured %(issuer)s: sign-ins will be refused."
            )
            % {"found": found_issuer, "issuer": issuer},
        )
    )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not config.get(key):
            findings.append(Finding(False, _("The document has no %(key)s.") % {"key": key}))
    methods = config.get("code_challenge_methods_supported") or []
    findings.append(
        Finding(True, _("PKCE with S256 is supported."))
        if "S256" in methods
        else Finding(False, _("The document does not list PKCE S256; Dateline sends it anyway."))
    )
    if config.get("jwks_uri"):
        try:
            keys = _get_json(str(config["jwks_uri"])).get("keys", [])
        except (requests.RequestException, ValueError, AttributeError) as error:
            findings.append(
                Finding(
                    False,
                    _("The keys at %(url)s could not be read: %(error)s")
                    % {"url": config["jwks_uri"], "error": error},
                )
            )
        else:
            algorithms = sorted(
                {str(k.get("alg", k.get("kty", "?"))) for k in keys if isinstance(k, dict)}
            )
            usable = [
                a for a in algorithms if a in id_tokens.ALGORITHMS or a in {"RSA", "EC", "OKP"}
            ]
            findings.append(
                Finding(
                    bool(usable),
                    _("Signing keys published: %(count)d (%(algorithms)s).")
                    % {"count": len(keys), "algorithms": ", ".join(algorithms) or "—"},
                )
            )
    signing = config.get("id_token_signing_alg_values_supported") or []
    if signing and not set(signing) & id_tokens.ALGORITHMS:
        findings.append(
            Finding(
                False,
                _("ID tokens are signed with %(algorithms)s only, which Dateline refuses.")
                % {"algorithms": ", ".join(signing)},
            )
        )
    auth_methods = config.get("token_endpoint_auth_methods_supported") or []
    chosen = (app.settings or {}).get("token_auth_method")
    if config.get("token_endpoint"):
        findings.append(_client_accepted(app, str(config["token_endpoint"]), auth_methods))
    if chosen and auth_methods and chosen not in auth_methods:
        findings.append(
            Finding(
                False,
                _("The provider does not list %(method)s for its token endpoint.")
                % {"method": chosen},
            )
        )
    return findings


def _client_accepted(app: Any, token_endpoint: str, auth_methods: list[str]) -> Finding:
    """Trade a code that cannot exist for a token, authenticated as a sign-in would be (the
    same choice of method as allauth's): a provider that knows the client says the code is
    wrong (``invalid_grant``); one that does not know it, or not with this secret, says
    ``invalid_client``. A wrong client ID otherwise shows only when a reader tries, often as
    the provider's own error page."""
    chosen = (app.settings or {}).get("token_auth_method")
    basic = (
        chosen == "client_secret_basic"
        if chosen
        else "client_secret_post" not in auth_methods and "client_secret_basic" in auth_methods
    )
    form = {
        "grant_type": "authorization_code",
        "code": f"dateline-check-{secrets.token_urlsafe(12)}",
        "redirect_uri": "https://invalid.example/check",
    }
    auth = (app.client_id, app.secret) if basic else None
    if not basic:
        form |= {"client_id": app.client_id, "client_secret": app.secret}
    try:
        with get_adapter().get_requests_session() as session:
            answer = session.post(token_endpoint, data=form, auth=auth)
    except requests.RequestException as error:
        return Finding(
            False,
            _("The token endpoint %(url)s could not be reached: %(error)s")
            % {"url": token_endpoint, "error": error},
        )
    try:
        code = str(answer.json().get("error", ""))
    except (ValueError, AttributeError):
        code = ""
    if client_refused(code, None) or answer.status_code == 401:
        return Finding(
            False,
            _(
                "The provider refused the client ID and secret (%(answer)s): readers cannot "
                "sign in. Copy both again from the provider, and check that this site's "
                "callback URL is registered there."
            )
            % {"answer": code or answer.status_code},
        )
    return Finding(True, _("The provider accepts the client ID and secret."))
