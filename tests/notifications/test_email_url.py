"""EMAIL_URL: one variable picks the mail transport, and a bad value says what is wrong."""

from __future__ import annotations

import pytest

from dateline import env


@pytest.fixture
def email_url(monkeypatch):
    def parse(value: str) -> dict:
        monkeypatch.setenv("EMAIL_URL", value)
        return env.get_email_url("EMAIL_URL", "console://")

    return parse


def test_smtp_with_starttls_and_credentials(email_url):
    mailer = email_url("smtp://news%40example.org:p%3Ass@mail.example.org:587?tls=1")

    assert mailer == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "mail.example.org",
            "port": 587,
            "use_ssl": False,
            "use_tls": True,
            "timeout": 30.0,
            "username": "news@example.org",
            "password": "p:ss",
        },
    }


def test_smtps_defaults_to_port_465_and_plain_smtp_to_25(email_url):
    assert email_url("smtps://mail.example.org")["OPTIONS"]["port"] == 465
    assert email_url("smtps://mail.example.org")["OPTIONS"]["use_ssl"] is True
    assert email_url("smtp://127.0.0.1")["OPTIONS"]["port"] == 25
    assert email_url("smtp://127.0.0.1:8025?timeout=5")["OPTIONS"]["timeout"] == 5.0


def test_console_file_and_the_default(email_url, monkeypatch):
    assert email_url("console://") == {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    assert email_url("file:///var/mail/dateline")["OPTIONS"] == {"file_path": "/var/mail/dateline"}
    monkeypatch.delenv("EMAIL_URL")
    assert env.get_email_url("EMAIL_URL", "console://")["BACKEND"].endswith("console.EmailBackend")


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("http://mail.example.org", "scheme must be one of"),
        ("smtp://", "names no mail server host"),
        ("smtp://mail.example.org:notaport", "check the port"),
        ("smtp://mail.example.org?tls=maybe", "tls must be 1 or 0"),
        ("smtp://mail.example.org?ssl=1", "unknown option"),
        ("smtps://mail.example.org?tls=1", "already encrypted"),
        ("smtp://mail.example.org?timeout=soon", "timeout must be a number"),
        ("file://relative/path", "absolute path"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_message_naming_the_variable(email_url, value, complaint):
    with pytest.raises(env.EnvError) as error:
        email_url(value)

    assert "EMAIL_URL" in str(error.value)
    assert complaint in str(error.value)


def test_the_password_never_appears_in_the_error_message(email_url):
    with pytest.raises(env.EnvError) as error:
        email_url("smtp://news:hunter2@mail.example.org?tls=perhaps")

    assert "hunter2" not in str(error.value)
    assert "news:***@mail.example.org" in str(error.value)
