"""Verifying an OpenID Connect ID token ourselves, always.

allauth 65 skips the signature of an ID token that came from the token endpoint over TLS (which
OpenID Connect Core 3.1.3.7 allows), and so never fetches the provider's keys: a token signed
with the wrong key, under an unknown ``kid``, with ``alg: none`` or with HS256 and the client
secret signed a reader in. Here every ID token is checked against the provider's published keys
(``jwks_uri``), kept in the cache for an hour and fetched again once when a token names a key
we do not know (the provider rotated its keys), at most once a minute, so a stream of made-up
``kid`` values cannot make us hammer the provider. Only asymmetric algorithms are accepted:
``none`` and the HMAC family would let anyone who knows the client secret (or nobody at all)
mint tokens.

The claims are checked as Core 3.1.3.7 lists them: ``iss`` as the exact string discovery gave,
``aud`` containing the client id (and, when it names other audiences too, ``azp`` equal to the
client id), ``exp`` in the future and ``iat`` not, both with a small clock skew.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base.provider import ProviderException
from django.core.cache import cache

ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
SKEW_SECONDS = 60
KEYS_SECONDS = 3600
REFETCH_SECONDS = 60


def verify(id_token: str, *, jwks_uri: str, issuer: str, client_id: str) -> dict[str, Any]:
    """The token's claims, or ``ProviderException`` saying what is wrong with it."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as error:
        raise ProviderException(f"the ID token cannot be read: {error}") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise ProviderException(f"the ID token is signed with {algorithm!r}, which is refused")
    if not jwks_uri:
        raise ProviderException("the provider publishes no keys (jwks_uri)")
    key = _key(jwks_uri, kid=header.get("kid"), algorithm=algorithm)
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=key,
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer,
            leeway=SKEW_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"], "strict_aud": False},
        )
    except jwt.PyJWTError as error:
        raise ProviderException(f"the ID token was refused: {error}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise ProviderException("the ID token is for several audiences and not authorised for us")
    if "azp" in claims and claims["azp"] != client_id:
        raise ProviderException("the ID token was issued to another client (azp)")
    if not isinstance(claims["iat"], int | float) or claims["iat"] > time.time() + SKEW_SECONDS:
        raise ProviderException("the ID token was issued in the future (iat)")
    if claims["iss"] != issuer:  # exact string, as discovery gave it
        raise ProviderException(f"the ID token's issuer {claims['iss']!r} is not {issuer!r}")
    return claims


def _key(jwks_uri: str, *, kid: object, algorithm: str) -> Any:
    keys = _keys(jwks_uri, refresh=False)
    found = _pick(keys, kid=kid, algorithm=algorithm)
    if found is None and cache.add(f"dateline:jwks-refetch:{jwks_uri}", 1, REFETCH_SECONDS):
        found = _pick(_keys(jwks_uri, refresh=True), kid=kid, algorithm=algorithm)
    if found is None:
        raise ProviderException(
            f"the ID token is signed with a key the provider does not publish (kid {kid!r})"
        )
    return found


def _keys(jwks_uri: str, *, refresh: bool) -> list[dict[str, Any]]:
    name = f"dateline:jwks:{jwks_uri}"
    keys = None if refresh else cache.get(name)
    if keys is None:
        try:
            with get_adapter().get_requests_session() as session:
                answer = session.get(jwks_uri)
                answer.raise_for_status()
                document = answer.json()
        except (OSError, ValueError) as error:
            raise ProviderException(f"the provider's keys could not be fetched: {error}") from None
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise ProviderException("the provider's keys document has no list of keys")
        cache.set(name, keys, KEYS_SECONDS)
    return [key for key in keys if isinstance(key, dict)]


def _pick(keys: list[dict[str, Any]], *, kid: object, algorithm: str) -> Any:
    """The public key for ``kid`` (or the only signing key, when the token names none) that
    can verify ``algorithm``."""
    candidates = [
        key
        for key in keys
        if key.get("use", "sig") == "sig"
        and key.get("alg", algorithm) == algorithm
        and (kid is None or key.get("kid") == kid)
    ]
    if len(candidates) != 1:
        return None
    try:
        jwk = jwt.PyJWK(candidates[0], algorithm=algorithm)
    except jwt.PyJWTError:
        return None
    if jwk.key_type == "oct":  # a shared secret is never a provider's public key
        return None
    return jwk.key


__all__ = ["ALGORITHMS", "verify"]
