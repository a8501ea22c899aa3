"""The WSGI wrapper that has a replaced worker close its keep-alive connections
(``dateline.server.reloading``), called as a WSGI server calls it."""

from __future__ import annotations

from typing import Any

from dateline.server import reloading


def _hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Connection", "keep-alive")])
    return [b"hello"]


def _headers_sent(app: Any) -> list[tuple[str, str]]:
    sent: list[tuple[str, str]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        sent.extend(headers)

    assert b"".join(app({}, start_response)) == b"hello"
    return sent


def test_outside_dateline_serve_the_application_is_left_as_it_is(monkeypatch):
    monkeypatch.delenv(reloading.MARKER_VARIABLE, raising=False)
    assert reloading.closing_when_replaced(_hello) is _hello


def test_a_worker_closes_its_connections_once_a_reload_has_replaced_it(monkeypatch, tmp_path):
    marker = reloading.marker_path(tmp_path, 4242)
    monkeypatch.setenv(reloading.MARKER_VARIABLE, str(marker))
    old_worker = reloading.closing_when_replaced(_hello)
    assert ("Connection", "close") not in _headers_sent(old_worker)

    reloading.mark_reload(marker)
    headers = _headers_sent(old_worker)
    # One Connection header, saying close (the application's own is replaced).
    assert [v for k, v in headers if k.lower() == "connection"] == ["close"]

    new_worker = reloading.closing_when_replaced(_hello)
    assert ("Connection", "close") not in _headers_sent(new_worker)
    # A second reload replaces the new worker too, even within the clock's resolution.
    reloading.mark_reload(marker)
    assert ("Connection", "close") in _headers_sent(new_worker)


def test_each_instance_has_its_own_marker(tmp_path):
    assert reloading.marker_path(tmp_path, 1) != reloading.marker_path(tmp_path, 2)
    assert reloading.marker_path(tmp_path, 1).is_relative_to(tmp_path)


def test_a_413_always_closes_the_connection(monkeypatch, tmp_path):
    """Refused before its body was read, the body is still on the connection."""
    monkeypatch.setenv(reloading.MARKER_VARIABLE, str(reloading.marker_path(tmp_path, 1)))

    def too_large(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("413 Request Entity Too Large", [("Content-Type", "text/plain")])
        return [b"hello"]

    assert ("Connection", "close") in _headers_sent(reloading.closing_when_replaced(too_large))
