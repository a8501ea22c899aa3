"""Dateline's only settings module. Every deployment-specific value comes from the environment
(see ``.env.example``); the defaults give a working single-machine site backed by a SQLite file
in ``DATELINE_DATA_DIR``.

It only reads the environment, through ``dateline.env``: it imports no other module of
Dateline's (apps check their own configuration in their ``ready()``) and writes no file. The
data directory and the generated secret key are made ready by the entry points before this
module loads (``dateline.datadir``; tests/server/test_layers.py holds both rules).
"""

from __future__ import annotations

import secrets
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from dateline import env

BASE_DIR = Path(__file__).resolve().parent

DEBUG = env.get_bool("DATELINE_DEBUG", False)
TESTING = env.testing()

# Created by the entry points (dateline.datadir.prepare), not here.
DATA_DIR = env.data_dir()


def _secret_key() -> str:
    given = env.get_str("SECRET_KEY")
    if given:
        if len(given) < 32:
            raise env.EnvError("SECRET_KEY must be at least 32 characters long.")
        return given
    if TESTING:
        # Each test process its own; tests/conftest.py hands it to the processes tests start.
        return secrets.token_urlsafe(50)
    # Not given: the dateline command and dateline.wsgi generate one before these settings
    # load, so only tools that load them another way get here (mypy's Django plugin,
    # django-admin makemessages). Django refuses to sign anything with an empty key, and the
    # web server refuses to start (dateline.server.middleware.RequireSecretKey).
    return ""


SECRET_KEY = _secret_key()

BASE_URL = env.get_str("DATELINE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_base = urlsplit(BASE_URL)
if _base.scheme not in {"http", "https"} or not _base.hostname:
    raise env.EnvError(f"DATELINE_BASE_URL={BASE_URL!r} must be an absolute http(s) URL.")
WAGTAILADMIN_BASE_URL = BASE_URL

ALLOWED_HOSTS = env.get_list("DATELINE_ALLOWED_HOSTS", [_base.hostname, "127.0.0.1", "localhost"])
if TESTING:
    ALLOWED_HOSTS.append("testserver")
CSRF_TRUSTED_ORIGINS = env.get_list(
    "DATELINE_CSRF_TRUSTED_ORIGINS", [f"{_base.scheme}://{_base.netloc}"]
)

# HTTPS hardening is on unless the site is explicitly served over plain HTTP (local runs, tests).
HTTPS = env.get_bool("DATELINE_HTTPS", _base.scheme == "https")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env.get_bool("DATELINE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env.get_int("DATELINE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env.get_bool("DATELINE_HSTS_PRELOAD", False)
BEHIND_PROXY = env.get_bool("DATELINE_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# Whose word on the reader's address is taken (dateline.web.client_ip): the proxies' addresses
# or networks. Behind a proxy it defaults to this machine (the documented nginx beside the
# site); otherwise to no one, so a forwarding header a client sends is ignored.
DATELINE_TRUSTED_PROXIES = env.get_networks(
    "DATELINE_TRUSTED_PROXIES", ["127.0.0.0/8", "::1"] if BEHIND_PROXY else []
)
# The header the nearest trusted proxy appends the client's address to.
DATELINE_PROXY_HEADER = env.get_choice(
    "DATELINE_PROXY_HEADER", "x-forwarded-for", ["x-forwarded-for", "forwarded"]
)
# Content-Security-Policy on every response (Django's own support, docs/deployment.md
# "Content-Security-Policy"). Scripts only from the site: reader pages carry no inline script
# (the story's JSON-LD is data, not a script), so they need no nonce and stay cacheable; the
# admin's inline scripts carry the request's nonce. Styles allow inline style attributes
# (Wagtail's admin and rich text use them). Images, embeds and media may come from any HTTPS
# address: readers' avatars from their sign-in provider, video embeds in stories.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:", "https:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF, "https:"],
    "media-src": [CSP.SELF, "https:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# SAMEORIGIN, not DENY: it must agree with the CSP "frame-ancestors 'self'" that
# dateline.server.middleware adds (browsers obey CSP over this header), and Wagtail's live preview
# frames the site's own pages from the admin.
X_FRAME_OPTIONS = "SAMEORIGIN"

INSTALLED_APPS = [
    "dateline.newsroom",
    "dateline.importers",
    "dateline.discussion",
    "dateline.notifications",
    "dateline.identity",
    "dateline.identity.providers.wordpress_com",
    "dateline.server",
    "dateline.demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.contrib.table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # Readers' sign-in providers (dateline.identity): commenting identities, never site accounts.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.twitter_oauth2",
    "allauth.socialaccount.providers.openid_connect",
    # Last: it wraps the indexing receivers that modelsearch and Wagtail connect when ready.
    "dateline.server.indexing.IndexingConfig",
]

MIDDLEWARE = [
    # Only checks, when the server loads, that SECRET_KEY is set; then steps aside.
    "dateline.server.middleware.RequireSecretKey",
    # WordPress's /?p=123 addresses of an imported archive, before the page cache keeps "/".
    "dateline.importers.middleware.OldQueryAddressMiddleware",
    # First: a cached page for an anonymous reader is answered before anything else runs.
    "dateline.server.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The site and its settings rows from a per-process copy, checked against gen:site.
    "dateline.server.siteconfig.SiteConfigMiddleware",
    # Django's, except that a request never deletes a session cookie it did not end.
    "dateline.server.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dateline.server.middleware.SecurityHeadersMiddleware",
    # Django's Content-Security-Policy (SECURE_CSP below); inside SecurityHeadersMiddleware so
    # that the full policy is there before it looks for frame-ancestors.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Wagtail's admin writes small inline scripts of its own: they get this request's nonce.
    "dateline.server.middleware.AdminScriptNonceMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "dateline.urls"
WSGI_APPLICATION = "dateline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "dateline.newsroom.context_processors.site_chrome",
            ],
        },
    },
]


def _databases() -> dict[str, dict[str, object]]:
    url = env.get_str("DATABASE_URL")
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            raise env.EnvError("DATABASE_URL must be a postgres:// URL; leave it unset for SQLite.")
        config = dj_database_url.parse(url, conn_max_age=env.get_int("DATABASE_CONN_MAX_AGE", 60))
        config["CONN_HEALTH_CHECKS"] = True
        config["TEST"] = {"NAME": f"test_{config['NAME']}"}
        return {"default": dict(config)}
    db_file = Path(env.get_str("DATELINE_SQLITE_FILE") or DATA_DIR / "dateline.sqlite3")
    return {
        "default": {
            # Django's, with writers queued on a lock file (dateline/server/sqlite3/base.py).
            "ENGINE": "dateline.server.sqlite3",
            "NAME": db_file,
            # IMMEDIATE takes the write lock when a transaction starts, so two processes that
            # read-then-write queue on busy_timeout instead of failing with "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
                ),
            },
            # Kept open between requests: a new connection parses the whole schema again and
            # closing the last one checkpoints the WAL, together ~3 ms of every request.
            "CONN_MAX_AGE": env.get_int("DATABASE_CONN_MAX_AGE", 600, minimum=0),
            "CONN_HEALTH_CHECKS": True,
            # Tests use a real file too, never ":memory:", so they see what production sees.
            "TEST": {"NAME": str(DATA_DIR / "test-dateline.sqlite3")},
        }
    }


DATABASES = _databases()
if not str(DATABASES["default"]["ENGINE"]).endswith("sqlite3"):
    # Wagtail's database search backend uses PostgreSQL's full-text fields when it can.
    INSTALLED_APPS.append("django.contrib.postgres")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.get_str("REDIS_URL")
if REDIS_URL:
    # Django's Redis backend, minus a client built per operation (dateline/server/cache.py).
    CACHES: dict[str, dict[str, object]] = {
        "default": {
            "BACKEND": "dateline.server.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.get_str("DATELINE_CACHE_PREFIX", "dateline"),
        },
        "pages": {
            "BACKEND": "dateline.server.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.get_str("DATELINE_CACHE_PREFIX", "dateline") + ".pages",
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "dateline",
        },
        # Rendered pages for anonymous readers, apart so they never push rate-limit counters out.
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "dateline-pages",
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
    }

# Whole-page cache for anonymous readers (dateline/server/pagecache.py); off in tests unless a
# test turns it on. Browsers may keep a page DATELINE_PAGE_MAX_AGE seconds; the server keeps it
# until a change invalidates it, or DATELINE_PAGE_CACHE_TIMEOUT seconds at most.
DATELINE_PAGE_CACHE = env.get_bool("DATELINE_PAGE_CACHE", not TESTING)
DATELINE_PAGE_CACHE_TIMEOUT = env.get_int("DATELINE_PAGE_CACHE_TIMEOUT", 3600, minimum=1)
# Parts every reader shares (a story's rendered thread, its comments as JSON), kept under the
# same invalidation; they also serve signed-in readers, whom the page cache never serves.
DATELINE_FRAGMENT_CACHE = env.get_bool("DATELINE_FRAGMENT_CACHE", not TESTING)
DATELINE_PAGE_MAX_AGE = env.get_int("DATELINE_PAGE_MAX_AGE", 60, minimum=0)
DATELINE_PAGE_STALE_WHILE_REVALIDATE = env.get_int(
    "DATELINE_PAGE_STALE_WHILE_REVALIDATE", 30, minimum=0
)
# A CDN in front (Cloudflare, CloudFront, Varnish), purged on every change through Wagtail's
# frontend cache; off by default (dateline.env.get_frontend_cache, docs/deployment.md).
WAGTAILFRONTENDCACHE = env.get_frontend_cache()
DATELINE_FRONTEND_CACHE_MAX_AGE = env.get_int("DATELINE_FRONTEND_CACHE_MAX_AGE", 3600, minimum=0)

TASKS = {
    "default": {
        "BACKEND": env.get_choice(
            "DATELINE_TASKS_BACKEND",
            "django_tasks_db.DatabaseBackend",
            ["django_tasks_db.DatabaseBackend", "django.tasks.backends.immediate.ImmediateBackend"],
        ),
        "QUEUES": ["default"],
    }
}

# Editors sign in to the admin with a username and password (ModelBackend); allauth's backend
# is there for allauth's own checks. Readers never authenticate as Django users at all.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# Sign-in providers for commenting (docs/sign-in.md). Apps come from the admin ("Sign-in
# providers") or the environment (DATELINE_GOOGLE_CLIENT_ID…, DATELINE_OIDC_PROVIDERS); the
# adapter merges the two (the environment wins), and the identity app checks the ids of the
# environment's OpenID Connect providers at start-up (dateline/identity/config.py).
ACCOUNT_ADAPTER = "dateline.identity.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "dateline.identity.adapters.SocialAccountAdapter"


def _socialaccount_providers() -> dict[str, dict[str, Any]]:
    """allauth's per-provider settings, plus the apps the environment configures."""
    providers: dict[str, dict[str, Any]] = {
        # PKCE (S256) everywhere: allauth makes it optional for most providers. Dateline's
        # provider classes add what allauth leaves out (dateline/identity/providers).
        "google": {
            "OAUTH_PKCE_ENABLED": True,
            # "openid" makes Google return an ID token, which carries the nonce we check.
            "SCOPE": ["openid", "profile", "email"],
            "AUTH_PARAMS": {"prompt": "select_account"},
            "provider_class": "dateline.identity.providers.google.provider.GoogleProvider",
        },
        "facebook": {
            "OAUTH_PKCE_ENABLED": True,
            "METHOD": "oauth2",
            "SCOPE": ["public_profile", "email"],
            "FIELDS": ["id", "name", "email", "link", "picture.type(square)"],
            "provider_class": "dateline.identity.providers.facebook.provider.FacebookProvider",
        },
        "twitter_oauth2": {"OAUTH_PKCE_ENABLED": True},
        "wordpress_com": {"OAUTH_PKCE_ENABLED": True},
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "provider_class": "dateline.identity.providers.openid_connect.provider.OpenIDConnectProvider",
        },
    }
    wordpress_api = env.get_url("DATELINE_WORDPRESS_API_URL")
    if wordpress_api:
        providers["wordpress_com"]["API_URL"] = wordpress_api
    # Built-in providers: <prefix>_CLIENT_ID and <prefix>_CLIENT_SECRET, and the name readers see.
    for provider_id, client, display_name in (
        ("google", env.get_client_pair("DATELINE_GOOGLE"), "Google"),
        ("facebook", env.get_client_pair("DATELINE_FACEBOOK"), "Facebook"),
        ("twitter_oauth2", env.get_client_pair("DATELINE_TWITTER"), "X"),
        ("wordpress_com", env.get_client_pair("DATELINE_WORDPRESS"), "WordPress.com"),
    ):
        if client is not None:
            client_id, secret = client
            providers[provider_id]["APPS"] = [
                {"name": display_name, "client_id": client_id, "secret": secret, "settings": {}}
            ]
    oidc_apps = env.get_oidc_providers("DATELINE_OIDC_PROVIDERS")
    if oidc_apps:
        providers["openid_connect"]["APPS"] = oidc_apps
    return providers


SOCIALACCOUNT_PROVIDERS = _socialaccount_providers()
# Starting a sign-in takes a POST with a CSRF token; the provider's answer is matched to the
# session that started it (state, PKCE verifier, nonce), never to an email address.
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.get_int("DATELINE_SIGN_IN_TIMEOUT", 10, minimum=1, maximum=60)
ACCOUNT_EMAIL_VERIFICATION = "none"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.get_choice("DATELINE_LANGUAGE", "en", ["en", "ar"])
LANGUAGES = [("en", _("English")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.get_str("DATELINE_TIME_ZONE", "UTC")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise env.EnvError(f"DATELINE_TIME_ZONE={TIME_ZONE!r} is not an IANA time zone name.")

STATIC_URL = "/static/"
STATIC_ROOT = env.static_root()
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.get_str("DATELINE_MEDIA_ROOT") or DATA_DIR / "media")
# The largest export the admin's "Import a site" page accepts (docs/importing.md).
DATELINE_IMPORT_MAX_MB = env.get_int("DATELINE_IMPORT_MAX_MB", 512, minimum=1)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Export files uploaded for import hold readers' emails and IP addresses: kept beside the
    # database, never under MEDIA_ROOT, which is served to anyone.
    "imports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "imports")},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 3600
# A missing manifest entry (a deploy that skipped collectstatic) serves the plain name, not a 500.
WHITENOISE_MANIFEST_STRICT = False
DATELINE_SERVE_MEDIA = env.get_bool("DATELINE_SERVE_MEDIA", True)

# Django 6.1's MAILERS replaces EMAIL_BACKEND/EMAIL_HOST…: one URL picks the transport
# (smtp://, smtps://, console://, file:///path; see docs/notifications.md). The default prints
# messages in the worker's terminal, so a fresh site never tries to reach a mail server.
MAILERS = {"default": env.get_email_url("EMAIL_URL", "console://")}
DEFAULT_FROM_EMAIL = env.get_str("DATELINE_FROM_EMAIL", "Dateline <newsroom@localhost>")
# Notification delivery by the worker (dateline/notifications/delivery.py): a global pace, how
# often a failing message is tried again (exponential backoff from the first wait), and how
# long a message claimed by a worker that died mid-send waits before another worker resends it.
DATELINE_EMAIL_PER_MINUTE = env.get_int("DATELINE_EMAIL_PER_MINUTE", 120, minimum=1)
DATELINE_EMAIL_MAX_ATTEMPTS = env.get_int("DATELINE_EMAIL_MAX_ATTEMPTS", 8, minimum=1, maximum=30)
DATELINE_EMAIL_RETRY_SECONDS = env.get_int("DATELINE_EMAIL_RETRY_SECONDS", 60, minimum=1)
DATELINE_EMAIL_LEASE_SECONDS = env.get_int("DATELINE_EMAIL_LEASE_SECONDS", 300, minimum=2)
# Digests go out once a day (and once a week, on DATELINE_DIGEST_WEEKDAY, 0 = Monday) at this
# hour of DATELINE_TIME_ZONE.
DATELINE_DIGEST_HOUR = env.get_int("DATELINE_DIGEST_HOUR", 7, minimum=0, maximum=23)
DATELINE_DIGEST_WEEKDAY = env.get_int("DATELINE_DIGEST_WEEKDAY", 0, minimum=0, maximum=6)
# Subscription requests per hour, per IP address and per email address.
DATELINE_SUBSCRIBE_PER_IP = env.get_int("DATELINE_SUBSCRIBE_PER_IP", 10, minimum=0)
DATELINE_SUBSCRIBE_PER_ADDRESS = env.get_int("DATELINE_SUBSCRIBE_PER_ADDRESS", 3, minimum=0)

WAGTAIL_SITE_NAME = env.get_str("DATELINE_SITE_NAME", "Dateline")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAIL_ALLOW_UNICODE_SLUGS = True
WAGTAILADMIN_COMMENTS_ENABLED = True
# The admin calls no third party: no Gravatar images of the editors (their initials instead),
# no check for new Wagtail releases.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Django's own admin (raw tables) is not routed unless asked for: everything an editor needs is
# in Wagtail's admin at /admin/.
DATELINE_DJANGO_ADMIN = env.get_bool("DATELINE_DJANGO_ADMIN", False)
TAGGIT_CASE_INSENSITIVE = True

# Spam checks run on every comment, in this order (see dateline/discussion/spam.py).
AKISMET_API_KEY = env.get_str("AKISMET_API_KEY")
AKISMET_URL = env.get_str("AKISMET_URL", "https://rest.akismet.com")


# The checker classes, by dotted path; each is imported at start-up by the discussion app
# (DiscussionConfig.ready), so a typo stops the process instead of the first comment.
DATELINE_SPAM_CHECKERS = env.get_list(
    "DATELINE_SPAM_CHECKERS",
    ["dateline.discussion.spam.LocalScorer"]
    + (["dateline.discussion.spam.AkismetChecker"] if AKISMET_API_KEY else []),
)


def _embed_origins() -> list[str]:
    origins = []
    for item in env.get_list("DATELINE_EMBED_ORIGINS"):
        try:
            parts = urlsplit(item)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            parts = urlsplit("")
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or "@" in parts.netloc
            or parts.path.strip("/")
            or parts.query
            or parts.fragment
        ):
            raise env.EnvError(
                f"DATELINE_EMBED_ORIGINS: {item!r} is not an origin like https://blog.example.org"
            )
        netloc = parts.netloc.lower()
        # Browsers never put the default port in an Origin header.
        netloc = netloc.removesuffix({"http": ":80", "https": ":443"}[parts.scheme])
        origins.append(f"{parts.scheme}://{netloc}")
    return origins


# Other sites allowed to embed the discussion (script tag + JSON API), in addition to those
# the editors list in the admin's discussion settings. Comma-separated origins.
DATELINE_EMBED_ORIGINS = _embed_origins()

# How often the worker publishes and unpublishes pages whose scheduled time has come.
DATELINE_SCHEDULER_INTERVAL = env.get_int("DATELINE_SCHEDULER_INTERVAL", 20, minimum=1, maximum=60)

# Host names that server-side fetches (readers' avatars) may reach although they resolve to
# private addresses (dateline/fetching.py); empty: public addresses only.
DATELINE_FETCH_ALLOWED_HOSTS = env.get_list("DATELINE_FETCH_ALLOWED_HOSTS", [])
# Guests' Gravatar pictures, fetched and stored by the server (never by readers' browsers).
# Off by default: guests get a generated face and no request goes to Gravatar.
DATELINE_GRAVATAR = env.get_bool("DATELINE_GRAVATAR", False)
DATELINE_GRAVATAR_URL = env.get_str("DATELINE_GRAVATAR_URL") or "https://gravatar.com/avatar/"

# Retention (docs/privacy.md), in days; 0 keeps for ever. The worker applies them hourly.
# Readers' IP addresses on comments (the flood limit and bans work on recent ones):
DATELINE_IP_RETENTION_DAYS = env.get_int("DATELINE_IP_RETENTION_DAYS", 90, minimum=0)
# Comments in spam or the trash, counted from when they were put there:
DATELINE_SPAM_RETENTION_DAYS = env.get_int("DATELINE_SPAM_RETENTION_DAYS", 30, minimum=0)
# Settled outgoing emails (sent, failed for good, cancelled): the outbox's record of them.
DATELINE_EMAIL_RETENTION_DAYS = env.get_int("DATELINE_EMAIL_RETENTION_DAYS", 30, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.get_str("DATELINE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Page-by-page publishing chatter; the admin's history keeps the same record.
        "wagtail": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
