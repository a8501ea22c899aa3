"""Fixtures shared by every test. Tests run against a SQLite file or PostgreSQL, whichever
``DATABASE_URL`` selects (scripts/test.sh runs the suite once on each)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.utils import translation

from dateline import datadir
from dateline.newsroom import actions
from dateline.newsroom.models import HomePage, SectionPage

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"

# What the dateline command does before the settings load (the settings write nothing): the
# test data directory, where the test database goes. And the processes tests start (dateline
# serve, the worker, makemessages) sign with this process's key, so what one signs the other
# accepts: a session made here, a link a server sent.
os.environ.setdefault("SECRET_KEY", settings.SECRET_KEY)
datadir.prepare()


def _forget_cached_state() -> None:
    from dateline.discussion import actions as discussion_actions
    from dateline.discussion import impersonation
    from dateline.newsroom import routing
    from dateline.server import pagecache, siteconfig

    for alias in settings.CACHES:
        caches[alias].clear()
    siteconfig.forget()
    routing.forget()
    pagecache.forget_local_fragments()
    discussion_actions.forget_kept_bans()
    impersonation.protected.forget()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Pages, fragments, rate-limit counters and the per-process site snapshot must not leak
    # from one test into the next (a rolled-back row would live on in them).
    _forget_cached_state()
    yield
    _forget_cached_state()


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    # A request activates its reader's language for the rest of the thread (Django does not
    # reset it afterwards): an Arabic request in one test must not turn the next one Arabic.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _serialized_rollback(django_db_serialized_rollback: None) -> None:
    """Every transactional test (live servers, subprocesses) ends by flushing all tables,
    including the rows migrations create (Wagtail's root page and site, locales, groups).
    Requesting pytest-django's ``django_db_serialized_rollback`` everywhere makes each such
    test start from the migrated snapshot; pytest-django runs the others first."""


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def home(db) -> HomePage:
    return actions.ensure_home_page(site_name="Test Gazette")


@pytest.fixture
def section(home: HomePage) -> SectionPage:
    return actions.create_section(parent=home, title="World", slug="world")


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip(
            f"{SHARED_DIR} is not beside the repository (it is only there in CI and for developers)"
        )
    return SHARED_DIR
