"""Typed readers for environment variables, used by ``dateline.settings`` (and by ``dateline
serve`` for the web server's own variables).

Each helper fails loudly with the variable's name and what was expected, so a typo in a
deployment stops the process at start-up instead of surfacing as odd behaviour later.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from urllib.parse import parse_qs, unquote, urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class EnvError(ValueError):
    """A configuration variable has a value we cannot use."""


def get_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def get_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean; use one of: true, false, 1, 0, yes, no.")


def get_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise EnvError(f"{name}={value} is below the minimum of {minimum}.")
    if maximum is not None and value > maximum:
        raise EnvError(f"{name}={value} is above the maximum of {maximum}.")
    return value


def get_list(name: str, default: Sequence[str] = ()) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_choice(name: str, default: str, choices: Sequence[str]) -> str:
    value = get_str(name, default) or default
    if value not in choices:
        raise EnvError(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


EMAIL_URL_SCHEMES = ("smtp", "smtps", "console", "file", "locmem", "dummy")


def get_email_url(name: str, default: str) -> dict[str, object]:
    """A Django 6.1 ``MAILERS`` entry from a URL: ``smtp://user:pass@host:587?tls=1``,
    ``smtps://user:pass@host`` (TLS from the first byte, port 465), ``console://`` (print to
    the terminal), ``file:///var/mail/dateline`` (one file per batch), ``locmem://`` (tests)."""
    raw = get_str(name, default) or default
    # Error messages show the URL without its password: they end up in logs.
    shown = re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise EnvError(f"{name}={shown!r} is not a valid URL (check the port number).") from None
    scheme = parts.scheme.lower()
    if scheme not in EMAIL_URL_SCHEMES:
        raise EnvError(
            f"{name}={shown!r}: the scheme must be one of {', '.join(EMAIL_URL_SCHEMES)} "
            "(e.g. smtp://user:password@mail.example.org:587?tls=1)."
        )
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "locmem":
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "dummy":
        return {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    if scheme == "file":
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/"):
            raise EnvError(
                f"{name}={shown!r}: use an absolute path, e.g. file:///var/mail/dateline."
            )
        return {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": path},
        }
    if not parts.hostname:
        raise EnvError(f"{name}={shown!r} names no mail server host.")
    unknown = set(query) - {"tls", "starttls", "timeout"}
    if unknown:
        raise EnvError(
            f"{name}={shown!r}: unknown option(s) {', '.join(sorted(unknown))}; "
            "use tls=1 (STARTTLS) and timeout=SECONDS."
        )
    tls_word = query.get("tls", query.get("starttls", "0")).strip().lower()
    if tls_word not in TRUE_WORDS | FALSE_WORDS:
        raise EnvError(f"{name}={shown!r}: tls must be 1 or 0.")
    use_tls = tls_word in TRUE_WORDS
    if scheme == "smtps" and use_tls:
        raise EnvError(
            f"{name}={shown!r}: smtps:// is already encrypted; use smtp://…?tls=1 for STARTTLS."
        )
    try:
        timeout = float(query.get("timeout", "30"))
    except ValueError:
        raise EnvError(f"{name}={shown!r}: timeout must be a number of seconds.") from None
    if not 0 < timeout <= 600:
        raise EnvError(f"{name}={shown!r}: timeout must be between 0 and 600 seconds.")
    options: dict[str, object] = {
        "host": parts.hostname,
        "port": port or (465 if scheme == "smtps" else 587 if use_tls else 25),
        "use_ssl": scheme == "smtps",
        "use_tls": use_tls,
        # Without a timeout a mail server that stops answering would hang the worker forever.
        "timeout": timeout,
    }
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
