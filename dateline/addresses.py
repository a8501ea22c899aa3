"""Rules about people's addresses that every app applies the same way. Django-free."""

from __future__ import annotations


def normalise_email(email: str) -> str:
    """The form of an email address that identities, guests, bans and subscriptions are keyed
    and compared on: surrounding space dropped, lower case. Lower-casing the local part is
    not what RFC 5321 promises, but it is what readers expect ("Samira@" and "samira@" are one
    person) and what every mail provider a reader uses does."""
    return email.strip().lower()
