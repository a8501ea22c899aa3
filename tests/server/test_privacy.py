"""The admin calls no third party, and Django's own admin is not routed unless a setting asks
for it (issue #13, point 7)."""

from __future__ import annotations

import re
import subprocess
import sys
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model

from tests.servers import PROJECT_DIR, server_env

# Any address a page makes the browser fetch or call, outside the site itself.
OUTSIDE = re.compile(r"""(?:src|href|data-[\w-]*url)=["'](?:https?:)?//(?!testserver)([^/"']+)""")


@pytest.fixture
def editor(client, home):
    user = get_user_model().objects.create_superuser("desk", "desk@example.org", "pw")
    client.force_login(user)
    return user


@pytest.mark.parametrize("path", ["/admin/", "/admin/pages/", "/admin/users/", "/admin/account/"])
def test_admin_pages_call_no_third_party(client, editor, path):
    response = client.get(path, follow=True)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "gravatar" not in html.lower()
    assert "releases.wagtail" not in html
    assert "w-upgrade-notification" not in html
    # Links to documentation are fine (the editor chooses to follow them); nothing is loaded.
    loaded = {
        host
        for tag in re.findall(r"<(?:img|script|iframe|source)\b[^>]*>", html)
        for host in OUTSIDE.findall(tag)
    }
    assert loaded == set()


def test_django_admin_is_not_routed_by_default(client, editor):
    assert client.get("/django-admin/").status_code == HTTPStatus.NOT_FOUND


def test_django_admin_is_routed_when_asked_for(tmp_path):
    probe = (
        "import django; django.setup(); from django.urls import resolve; "
        "print(resolve('/django-admin/').app_name)"
    )
    env = server_env(DATELINE_DATA_DIR=str(tmp_path), DATELINE_DJANGO_ADMIN="true")
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "dateline.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "admin"
