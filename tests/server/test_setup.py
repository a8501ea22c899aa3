"""Setting a site up: demo content, the ``dateline`` command, configuration that fails loudly,
the health check, and ``dateline serve`` stopping cleanly."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from http import HTTPStatus
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.images.models import Image

from dateline.newsroom.models import ArticlePage, Author, SectionPage
from tests.servers import PROJECT_DIR, free_port, server_env


def run_setup_demo() -> str:
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    return out.getvalue()


# setup-demo -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_setup_demo_creates_a_newsroom_with_stories_and_an_editor(client):
    output = run_setup_demo()

    stories = ArticlePage.objects.published()
    assert stories.count() >= 6
    sections_with_stories = {story.get_parent().pk for story in stories}
    assert len(sections_with_stories) >= 2
    assert SectionPage.objects.live().count() >= 2
    assert Author.objects.filter(bylines__isnull=False).distinct().count() >= 3
    assert all(story.dateline_place and story.dateline_source for story in stories)
    assert all(story.lead_image_id for story in stories)
    assert Image.objects.count() >= stories.count()
    assert sum(
        1 for story in stories for block in story.body if block.block_type == "quote"
    ) >= len(stories)
    assert any(block.block_type == "image" for story in stories for block in story.body)
    assert stories.filter(language="ar").exists()
    assert stories.filter(corrections__isnull=False).exists()

    assert output.count("password:") == 1
    assert get_user_model().objects.filter(username="editor", is_superuser=True).exists()
    assert client.get("/").status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_setup_demo_run_again_creates_nothing_and_prints_no_password():
    run_setup_demo()
    counts = (
        ArticlePage.objects.count(),
        SectionPage.objects.count(),
        Author.objects.count(),
        Image.objects.count(),
    )

    output = run_setup_demo()

    assert (
        ArticlePage.objects.count(),
        SectionPage.objects.count(),
        Author.objects.count(),
        Image.objects.count(),
    ) == counts
    assert "password:" not in output
    assert "already present" in output
    assert get_user_model().objects.count() == 1


# The dateline command -------------------------------------------------------------------------


def dateline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dateline", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A fresh deployment's environment: nothing from this test run but what is given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATELINE_", "DATABASE_", "SECRET_KEY", "REDIS_"))
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(DATELINE_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


def test_the_dateline_command_takes_dashes_for_underscores(tmp_path):
    finished = dateline("setup-demo", "--help", env=clean_env(tmp_path))

    assert finished.returncode == 0, finished.stderr
    assert "Create the page tree, demo stories and an editor account" in finished.stdout


def test_dateline_check_passes_on_a_fresh_configuration(tmp_path):
    finished = dateline("check", env=clean_env(tmp_path))

    assert finished.returncode == 0, finished.stderr
    assert "no issues" in finished.stdout


def test_check_deploy_says_how_to_send_email_when_it_is_only_printed(tmp_path):
    production = {
        **clean_env(tmp_path),
        "DATELINE_HTTPS": "true",
        "DATELINE_BASE_URL": "https://news.example.org",
        "DATELINE_ALLOWED_HOSTS": "news.example.org",
        "SECRET_KEY": "a-production-secret-key-with-enough-randomness-0123456789",
    }
    production.pop("EMAIL_URL", None)
    printed = dateline("check", "--deploy", env=production)
    assert printed.returncode != 0
    assert "dateline.E001" in printed.stderr
    assert "Set EMAIL_URL to your mail server" in printed.stderr

    sent = dateline(
        "check", "--deploy", env={**production, "EMAIL_URL": "smtp://mail.example.org:587?tls=1"}
    )
    assert "dateline.E001" not in sent.stderr + sent.stdout


# The generated secret key -----------------------------------------------------------------
# The dateline command generates it before the settings load (dateline/datadir.py); the
# settings themselves only read it from the environment.

PRINT_SECRET_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def secret_key_process(tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dateline", "shell", "-v", "0", "-c", PRINT_SECRET_KEY],
        cwd=PROJECT_DIR,
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def loaded_secret_key(tmp_path: Path) -> str:
    out, err = secret_key_process(tmp_path).communicate(timeout=60)
    assert out.strip(), err
    return out.strip()


def test_the_generated_secret_key_is_kept_private_and_the_same_at_the_next_start(tmp_path):
    first = loaded_secret_key(tmp_path)
    second = loaded_secret_key(tmp_path)

    key_file = tmp_path / "data" / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    # No temporary file is left behind; the lock file is what processes starting together share.
    assert sorted(p.name for p in key_file.parent.iterdir() if "secret_key" in p.name) == [
        ".secret_key.lock",
        "secret_key",
    ]


def test_processes_starting_together_on_a_fresh_site_all_get_the_same_key(tmp_path):
    processes = [secret_key_process(tmp_path) for _ in range(4)]

    keys = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        keys.append(out.strip())

    assert len(set(keys)) == 1
    assert keys[0] == (tmp_path / "data" / "secret_key").read_text().strip()


def test_processes_starting_together_after_a_crash_agree_on_the_new_key(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret_key").write_text("")
    processes = [secret_key_process(tmp_path) for _ in range(4)]

    keys = {process.communicate(timeout=60)[0].strip() for process in processes}

    assert len(keys) == 1
    assert keys == {(tmp_path / "data" / "secret_key").read_text().strip()}


def test_an_empty_key_file_left_by_a_crash_is_replaced_by_a_real_key(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret_key").write_text("")

    key = loaded_secret_key(tmp_path)

    assert len(key) >= 50
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o777 == 0o600


# Given in the environment, as a deployment that starts Django without the dateline command must.
A_SECRET_KEY = "a-deployment-secret-key-long-enough-0123456789"

BAD_SETTINGS = {
    "DATELINE_HTTPS": "maybe",
    "DATELINE_TIME_ZONE": "Mars/Base",
    "DATABASE_URL": "mysql://x",
    "SECRET_KEY": "short",
    "DATELINE_BASE_URL": "news.example.org",
    "DATELINE_SCHEDULER_INTERVAL": "soon",
    "DATELINE_LANGUAGE": "fr",
    "DATELINE_SPAM_CHECKERS": "dateline.discussion.spam.LocalScorrer",
}


# The settings check the values they read; each app checks its own configuration when Django
# starts (the spam checkers: DiscussionConfig.ready).
START_DJANGO = "import django; django.setup()"


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS.items())
def test_start_up_refuses_a_bad_value_naming_the_variable(tmp_path, name, value):
    finished = subprocess.run(
        [sys.executable, "-c", START_DJANGO],
        cwd=PROJECT_DIR,
        env=clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="dateline.settings",
            **{"SECRET_KEY": A_SECRET_KEY, name: value},
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode != 0
    assert "EnvError" in finished.stderr
    assert name in finished.stderr.splitlines()[-1]


def load_settings(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"{START_DJANGO}; from django.conf import settings; "
            "print(settings.DATELINE_SPAM_CHECKERS)",
        ],
        cwd=PROJECT_DIR,
        env=clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="dateline.settings",
            **{"SECRET_KEY": A_SECRET_KEY, **variables},
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (
            "dateline.discussion.spam.LocalScorer,dateline.discussion.spam.Nope",
            "cannot be imported",
        ),
        ("dateline.no_such_module.Checker", "cannot be imported"),
        ("LocalScorer", "cannot be imported"),
        ("dateline.discussion.spam.SPAM_THRESHOLD", "is not a spam checker"),
        ("dateline.discussion.spam.Candidate", "is not a spam checker"),
    ],
)
def test_a_wrong_spam_checker_stops_the_settings_naming_the_variable_and_the_entry(
    tmp_path, value, complaint
):
    finished = load_settings(tmp_path, DATELINE_SPAM_CHECKERS=value)

    assert finished.returncode != 0
    last_line = finished.stderr.splitlines()[-1]
    assert last_line.startswith("dateline.env.EnvError: DATELINE_SPAM_CHECKERS: ")
    assert repr(value.split(",")[-1]) in last_line
    assert complaint in last_line


def test_spam_checkers_that_exist_are_accepted_in_the_order_given(tmp_path):
    finished = load_settings(
        tmp_path,
        DATELINE_SPAM_CHECKERS=(
            "dateline.discussion.spam.AkismetChecker, dateline.discussion.spam.LocalScorer"
        ),
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == (
        "['dateline.discussion.spam.AkismetChecker', 'dateline.discussion.spam.LocalScorer']"
    )


@pytest.mark.parametrize(
    ("name", "value"), [("DATELINE_HTTPS", "maybe"), ("DATELINE_TIME_ZONE", "Mars/Base")]
)
def test_the_dateline_command_reports_a_configuration_error_without_a_traceback(
    tmp_path, name, value
):
    finished = dateline("check", env=clean_env(tmp_path, **{name: value}))

    assert finished.returncode == 2
    assert finished.stderr.startswith("dateline: configuration error: ")
    assert name in finished.stderr
    assert "Traceback" not in finished.stderr


def test_a_web_server_started_without_the_dateline_command_needs_a_secret_key(tmp_path):
    # Django's own WSGI handler, as a server pointed at the settings alone would build it.
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.core.wsgi import get_wsgi_application; get_wsgi_application()",
        ],
        cwd=PROJECT_DIR,
        env=clean_env(tmp_path, DJANGO_SETTINGS_MODULE="dateline.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode != 0
    last_line = finished.stderr.splitlines()[-1]
    assert last_line.startswith("dateline.env.EnvError: SECRET_KEY is not set.")
    assert "DATELINE_DATA_DIR/secret_key" in last_line
    assert not (tmp_path / "data").exists()


def test_dateline_wsgi_generates_the_key_a_server_started_on_its_own_needs(tmp_path):
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from dateline.wsgi import application; {PRINT_SECRET_KEY}",
        ],
        cwd=PROJECT_DIR,
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == (tmp_path / "data" / "secret_key").read_text().strip()


# Health check ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_health_check_answers_json(client):
    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_health_check_only_answers_reads(client):
    assert client.post("/healthz").status_code == HTTPStatus.METHOD_NOT_ALLOWED


# dateline serve -------------------------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc (Linux)."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        for children_file in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                children = {int(c) for c in children_file.read_text().split()}
            except OSError:
                continue
            pending.extend(children - found)
            found |= children
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited and only waits for its parent


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_the_web_server_and_the_worker_and_leaves_no_process_behind(home):
    # Only /healthz is asked for, so static files need not be collected first.
    env = server_env(DATELINE_SCHEDULER_INTERVAL="1")
    port = free_port()
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dateline",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        children: set[int] = set()
        # granian's main process, its two workers and the background worker.
        while time.monotonic() < deadline and len(children) < 4:
            children = descendants(serve.pid)
            time.sleep(0.2)
        while time.monotonic() < deadline:
            try:
                if (
                    requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
                    == HTTPStatus.OK
                ):
                    break
            except requests.RequestException:
                time.sleep(0.2)
        children = descendants(serve.pid)
        assert len(children) >= 4, children

        serve.send_signal(signal.SIGTERM)
        _, stderr = serve.communicate(timeout=40)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()

    assert serve.returncode == 0, stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(is_running(pid) for pid in children):
        time.sleep(0.1)
    assert [pid for pid in children if is_running(pid)] == []
    assert "Traceback" not in stderr


def test_a_restart_with_nothing_changed_needs_no_network():
    """``scripts/run.sh`` and ``scripts/test.sh`` begin with ``ensure_venv``: with the lock file
    and pyproject.toml unchanged since the last install, it installs nothing, so it works
    offline (pip pointed at a closed port, and told not to use an index)."""
    ensure = ["bash", "-c", "source scripts/bootstrap.sh && ensure_venv && echo READY"]
    # Once as the machine is (a no-op when the set-up commands already ran from this checkout).
    subprocess.run(ensure, cwd=PROJECT_DIR, check=True, capture_output=True, timeout=600)
    offline = {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_FIND_LINKS": "",
    }
    started = time.monotonic()
    result = subprocess.run(
        ensure, cwd=PROJECT_DIR, env=offline, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("READY")
    assert "installing" not in result.stdout
    assert time.monotonic() - started < 30
