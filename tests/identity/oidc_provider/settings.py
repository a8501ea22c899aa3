"""A real OpenID Connect provider for the sign-in tests: django-oauth-toolkit with OIDC on,
in its own process and its own SQLite file (see ``serve.py`` and ``tests/identity/servers.py``).
Everything comes from the environment the test run sets."""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent

SECRET_KEY = os.environ["OIDC_TEST_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.identity.oidc_provider.urls"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["OIDC_TEST_DB"]}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Both servers live on 127.0.0.1, and cookies ignore ports: distinct names keep the provider's
# session from overwriting Dateline's.
SESSION_COOKIE_NAME = "oidc_provider_session"
CSRF_COOKIE_NAME = "oidc_provider_csrftoken"
LOGIN_URL = "/accounts/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": Path(os.environ["OIDC_TEST_KEY_FILE"]).read_text(),
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "OAUTH2_VALIDATOR_CLASS": "tests.identity.oidc_provider.validator.ClaimsValidator",
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Your name and picture",
        "email": "Your email address",
    },
    "DEFAULT_SCOPES": ["openid"],
}
