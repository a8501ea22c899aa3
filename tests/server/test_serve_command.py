from __future__ import annotations

import os
import subprocess
import sys
from http import HTTPStatus
from typing import Any

import pytest
import requests
from django.core.management.base import CommandError

from dateline import env
from dateline.server.management.commands import serve
from tests.factories import make_article
from tests.servers import PROJECT_DIR, running_server

SERVE_VARIABLES = ("DATELINE_BIND", "DATELINE_WEB_WORKERS", "DATELINE_WEB_THREADS")


@pytest.mark.django_db(transaction=True)
def test_the_serve_command_answers_a_reader_over_http(section):
    article = make_article(section, title="Night market returns to the old souq")

    with running_server("--no-worker") as base_url:
        response = requests.get(base_url + article.url, timeout=10)

    assert response.status_code == HTTPStatus.OK
    assert "Night market returns to the old souq" in response.text


def serve_options(monkeypatch: pytest.MonkeyPatch, *args: str, **variables: str) -> dict[str, Any]:
    """What ``dateline serve`` would run with, given these environment variables."""
    for name in (*SERVE_VARIABLES, "DATELINE_ACCESS_LOG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    parser = serve.Command().create_parser("dateline", "serve")
    return vars(parser.parse_args(list(args)))


def test_without_variables_serve_uses_its_defaults(monkeypatch):
    options = serve_options(monkeypatch)

    assert options["bind"] == "127.0.0.1:8000"
    assert options["workers"] == serve.default_workers()
    assert options["threads"] == 4
    assert options["access_log"] is False


def test_empty_variables_mean_the_defaults(monkeypatch):
    options = serve_options(
        monkeypatch,
        DATELINE_BIND="",
        DATELINE_WEB_WORKERS="",
        DATELINE_WEB_THREADS=" ",
        DATELINE_ACCESS_LOG="",
    )

    assert options["bind"] == "127.0.0.1:8000"
    assert options["workers"] == serve.default_workers()
    assert options["threads"] == 4
    assert options["access_log"] is False


def test_the_variables_set_processes_threads_and_the_access_log(monkeypatch):
    options = serve_options(
        monkeypatch,
        DATELINE_BIND="0.0.0.0:9000",
        DATELINE_WEB_WORKERS="3",
        DATELINE_WEB_THREADS="8",
        DATELINE_ACCESS_LOG="yes",
    )

    assert (options["bind"], options["workers"], options["threads"]) == ("0.0.0.0:9000", 3, 8)
    assert options["access_log"] is True


def test_command_line_options_win_over_the_variables(monkeypatch):
    options = serve_options(
        monkeypatch,
        "--workers",
        "2",
        "--no-access-log",
        DATELINE_WEB_WORKERS="5",
        DATELINE_ACCESS_LOG="true",
    )

    assert options["workers"] == 2
    assert options["access_log"] is False


def test_access_log_false_keeps_the_access_log_off(monkeypatch):
    # It used to be a truthiness test, so the string "false" turned the log on.
    options = serve_options(monkeypatch, DATELINE_ACCESS_LOG="false")
    command = serve.granian_command(
        bind="127.0.0.1:8000", workers=1, threads=1, access_log=options["access_log"]
    )

    assert "--no-access-log" in command
    assert "--access-log" in serve.granian_command(
        bind="127.0.0.1:8000", workers=1, threads=1, access_log=True
    )


@pytest.mark.parametrize(
    ("bind", "options"),
    [
        ("127.0.0.1:8000", ["--host", "127.0.0.1", "--port", "8000"]),
        ("0.0.0.0:80", ["--host", "0.0.0.0", "--port", "80"]),  # noqa: S104 - a string only
        ("[::1]:8080", ["--host", "::1", "--port", "8080"]),
        ("unix:/run/dateline.sock", ["--uds", "/run/dateline.sock"]),
    ],
)
def test_the_bind_address_becomes_granians_options(bind, options):
    assert serve.split_bind(bind) == options


@pytest.mark.parametrize("bind", ["8000", "localhost", ":8000", "127.0.0.1:http"])
def test_a_bind_address_without_host_and_port_is_refused_saying_what_is_expected(bind):
    with pytest.raises(CommandError, match="expected HOST:PORT"):
        serve.split_bind(bind)


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("DATELINE_WEB_WORKERS", "many", "is not a whole number"),
        ("DATELINE_WEB_WORKERS", "0", "below the minimum of 1"),
        ("DATELINE_WEB_THREADS", "-2", "below the minimum of 1"),
        ("DATELINE_WEB_THREADS", "4.5", "is not a whole number"),
        ("DATELINE_ACCESS_LOG", "maybe", "is not a boolean"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(monkeypatch, name, value, complaint):
    with pytest.raises(env.EnvError) as refused:
        serve_options(monkeypatch, **{name: value})

    assert name in str(refused.value)
    assert complaint in str(refused.value)


def test_dateline_serve_stops_on_a_bad_value_with_a_clear_message_and_no_traceback(tmp_path):
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATELINE_", "DATABASE_", "REDIS_", "PYTEST_"))
    }
    environment.update(DATELINE_DATA_DIR=str(tmp_path / "data"), DATELINE_WEB_WORKERS="lots")

    finished = subprocess.run(
        [sys.executable, "-m", "dateline", "serve", "--no-worker"],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 2, finished.stderr
    assert finished.stderr == (
        "dateline: configuration error: DATELINE_WEB_WORKERS='lots' is not a whole number.\n"
    )


@pytest.mark.django_db(transaction=True)
def test_nothing_is_shared_between_instances_on_a_host(tmp_path):
    """No control socket or marker at a fixed path per user (gunicorn 24+ opened one at
    $HOME/.gunicorn/gunicorn.ctl): each ``dateline serve`` keeps its reload marker under its
    own process id in its data directory (tests/server/test_graceful_serving.py)."""
    from tests.servers import server_env

    home = tmp_path / "home"
    home.mkdir()
    env = server_env(HOME=str(home))
    env.pop("XDG_RUNTIME_DIR", None)
    with running_server("--no-worker", "--workers", "1", env=env) as base_url:
        assert requests.get(base_url + "/healthz", timeout=10).status_code == HTTPStatus.OK
        assert list(home.iterdir()) == []
