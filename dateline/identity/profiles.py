"""What a provider tells us about a reader, mapped onto a commenting identity.

Each provider answers in its own shape (recorded shapes are in tests/identity/test_profiles.py).
Only what the commenter form shows is kept: a stable subject, a display name, an email address
(verified only when the provider says so — Facebook and X never do), an avatar and a website.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from allauth.socialaccount.models import SocialLogin
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

MAX_NAME = 100
MAX_AVATAR = 500
MAX_WEBSITE = 200
MAX_EMAIL = 254
# Control, format (bidi overrides, zero-width joiners used to spoof), surrogate, private-use
# and unassigned characters.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# Zero-width (non-)joiners are part of how names are spelled in Persian, Kurdish and emoji.
_JOINERS = frozenset("\u200c\u200d")


@dataclass(frozen=True)
class ProviderProfile:
    provider: str  # allauth's sub id: "google", "wordpress_com", or an OIDC provider's id
    subject: str
    display_name: str
    email: str = ""
    email_verified: bool = False
    avatar_url: str = ""
    website: str = ""


def clean_display_name(value: object, *, fallback: str = "") -> str:
    """A provider's name as plain one-line text: no control or bidi-override characters, at
    most 100 characters (cut on a character, never mid-code-point)."""
    if not isinstance(value, str):
        return fallback
    kept = []
    for ch in value:
        if ch.isspace():
            kept.append(" ")
        elif ch in _JOINERS or unicodedata.category(ch) not in _DROPPED_CATEGORIES:
            kept.append(ch)
    name = " ".join("".join(kept).split())[:MAX_NAME].strip()
    return name or fallback


def clean_url(value: object, *, max_length: int) -> str:
    if not isinstance(value, str) or not value or len(value) > max_length:
        return ""
    try:
        URLValidator(schemes=["https", "http"])(value)
    except ValidationError:
        return ""
    return value


def clean_email(value: object) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_EMAIL:
        return ""
    try:
        EmailValidator()(value)
    except ValidationError:
        return ""
    return value.strip()


def _is_true(value: object) -> bool:
    # Some OpenID Connect servers send "true" as a string.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _google(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data.get("name")
        or " ".join(filter(None, [data.get("given_name"), data.get("family_name")])),
        "email": data.get("email"),
        "email_verified": _is_true(data.get("email_verified"))
        or _is_true(data.get("verified_email")),
        "avatar": data.get("picture"),
        "website": "",
    }


def _facebook(data: dict[str, Any]) -> dict[str, Any]:
    picture = data.get("picture")
    picture = picture.get("data") if isinstance(picture, dict) else None
    # Facebook's grey default silhouette says nothing about the person: no avatar.
    avatar = (
        ""
        if not isinstance(picture, dict) or picture.get("is_silhouette")
        else picture.get("url", "")
    )
    return {
        "name": data.get("name")
        or " ".join(filter(None, [data.get("first_name"), data.get("last_name")])),
        "email": data.get("email"),
        # Facebook does not say whether an address was confirmed: never treat it as verified.
        "email_verified": False,
        "avatar": avatar,
        "website": data.get("link", ""),
    }


def _twitter(data: dict[str, Any]) -> dict[str, Any]:
    username = data.get("username")
    return {
        "name": data.get("name") or (f"@{username}" if username else ""),
        "email": "",
        "email_verified": False,
        "avatar": data.get("profile_image_url"),
        "website": f"https://x.com/{username}" if isinstance(username, str) and username else "",
    }


def _wordpress(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data.get("display_name") or data.get("username"),
        "email": data.get("email"),
        "email_verified": data.get("email_verified") is True,
        "avatar": data.get("avatar_URL"),
        "website": data.get("profile_URL", ""),
    }


def _openid_connect(data: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    # The ID token first, then the userinfo answer on top (it is usually the fuller one).
    for part in ("id_token", "userinfo"):
        if isinstance(data.get(part), dict):
            claims.update(data[part])
    if not claims:
        claims = data
    return {
        "name": claims.get("name")
        or " ".join(filter(None, [claims.get("given_name"), claims.get("family_name")]))
        or claims.get("preferred_username")
        or claims.get("nickname"),
        "email": claims.get("email"),
        "email_verified": _is_true(claims.get("email_verified")),
        "avatar": claims.get("picture"),
        "website": claims.get("website") or claims.get("profile") or "",
    }


_MAPPERS = {
    "google": _google,
    "facebook": _facebook,
    "twitter_oauth2": _twitter,
    "wordpress_com": _wordpress,
    "openid_connect": _openid_connect,
}


def profile_from_sociallogin(sociallogin: SocialLogin, *, fallback_name: str) -> ProviderProfile:
    provider = sociallogin.provider
    account = sociallogin.account
    mapper = _MAPPERS.get(provider.id, _openid_connect)
    data = account.extra_data if isinstance(account.extra_data, dict) else {}
    mapped = mapper(data)
    email = clean_email(mapped["email"])
    return ProviderProfile(
        provider=account.provider,
        subject=str(account.uid),
        display_name=clean_display_name(mapped["name"], fallback=fallback_name),
        email=email,
        email_verified=bool(email) and bool(mapped["email_verified"]),
        avatar_url=clean_url(mapped["avatar"], max_length=MAX_AVATAR),
        website=clean_url(mapped["website"], max_length=MAX_WEBSITE),
    )
