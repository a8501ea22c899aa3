"""The reader's address behind a proxy (``dateline.web.client_ip``): taken from the forwarding
header only through trusted proxies, from the right, and ignored by default.

The last tests run the production server behind the documented set-up (``DATELINE_BEHIND_PROXY``
with a proxy on this machine): two readers behind the one proxy are two readers to the flood
limit and in what is stored, and a reader who forges the header is stored under their own
address."""

from __future__ import annotations

import ipaddress
from http import HTTPStatus

import pytest
import requests
from django.test import RequestFactory, override_settings

from dateline import env
from dateline.discussion.models import Comment
from dateline.web import client_ip
from tests.factories import discussion_policy, make_article
from tests.servers import running_server, server_env

LOCAL_PROXY = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1")]
FRONT_PROXIES = [*LOCAL_PROXY, ipaddress.ip_network("10.20.0.0/16")]


def address(remote: str, **headers: str) -> str:
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


def test_by_default_the_forwarding_headers_are_ignored() -> None:
    with override_settings(DATELINE_TRUSTED_PROXIES=[]):
        assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7") == "127.0.0.1"
        assert address("198.51.100.2", HTTP_FORWARDED="for=203.0.113.7") == "198.51.100.2"


@override_settings(DATELINE_TRUSTED_PROXIES=LOCAL_PROXY)
def test_a_trusted_proxy_names_the_client() -> None:
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7") == "203.0.113.7"
    assert address("::1", HTTP_X_FORWARDED_FOR=" 2001:DB8::7 ") == "2001:db8::7"


@override_settings(DATELINE_TRUSTED_PROXIES=LOCAL_PROXY)
def test_what_the_client_wrote_left_of_the_proxy_is_never_believed() -> None:
    # The client sent "X-Forwarded-For: 10.0.0.1"; nginx appended the address it saw.
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.7") == "203.0.113.7"


@override_settings(DATELINE_TRUSTED_PROXIES=FRONT_PROXIES)
def test_the_header_is_walked_through_every_trusted_hop() -> None:
    # A CDN edge (10.20.3.4), then nginx here; a forged entry at the far left.
    forwarded = "192.0.2.66, 203.0.113.7, 10.20.3.4"
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded) == "203.0.113.7"
    # Every hop trusted: the farthest one is all that is known.
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="10.20.0.9, 10.20.3.4") == "10.20.0.9"


@override_settings(DATELINE_TRUSTED_PROXIES=LOCAL_PROXY)
def test_an_untrusted_connection_is_its_own_address_whatever_it_sends() -> None:
    assert address("198.51.100.2", HTTP_X_FORWARDED_FOR="203.0.113.7") == "198.51.100.2"


@override_settings(DATELINE_TRUSTED_PROXIES=LOCAL_PROXY)
def test_garbage_in_the_header_stops_at_the_last_address_vouched_for() -> None:
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7, unknown") == "127.0.0.1"
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="") == "127.0.0.1"
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="999.1.1.1") == "127.0.0.1"
    assert address("not an address") == ""


@override_settings(DATELINE_TRUSTED_PROXIES=LOCAL_PROXY)
def test_ports_brackets_and_mapped_addresses_are_normalised() -> None:
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7:51234") == "203.0.113.7"
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="[2001:db8::7]:443") == "2001:db8::7"
    assert address("::ffff:127.0.0.1", HTTP_X_FORWARDED_FOR="::ffff:203.0.113.7") == ("203.0.113.7")


@override_settings(DATELINE_TRUSTED_PROXIES=LOCAL_PROXY, DATELINE_PROXY_HEADER="forwarded")
def test_the_standard_forwarded_header_when_chosen() -> None:
    header = 'for=192.0.2.66;proto=https, for="[2001:db8::7]:4711";by=127.0.0.1'
    assert address("127.0.0.1", HTTP_FORWARDED=header) == "2001:db8::7"
    # With "forwarded" chosen, X-Forwarded-For (which the proxy may pass on untouched) is not read.
    assert address("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7") == "127.0.0.1"
    assert address("127.0.0.1", HTTP_FORWARDED="for=_hidden") == "127.0.0.1"


def test_the_setting_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATELINE_TRUSTED_PROXIES", "10.0.0.0/8, ::1, 192.0.2.10")
    assert [str(n) for n in env.get_networks("DATELINE_TRUSTED_PROXIES")] == [
        "10.0.0.0/8",
        "::1/128",
        "192.0.2.10/32",
    ]
    monkeypatch.setenv("DATELINE_TRUSTED_PROXIES", "10.0.0.0/8, nginx")
    with pytest.raises(env.EnvError, match="DATELINE_TRUSTED_PROXIES: 'nginx' is not an IP"):
        env.get_networks("DATELINE_TRUSTED_PROXIES")


# Through the production server ------------------------------------------------------------------


def post(
    base_url: str, article_id: int, *, body: str, email: str, forwarded: str
) -> requests.Response:
    return requests.post(
        base_url + "/comments/api/comments/",
        json={"thread": {"article": article_id}, "body": body, "name": "Reader", "email": email},
        headers={"X-Forwarded-For": forwarded},
        timeout=20,
    )


@pytest.mark.django_db(transaction=True)
def test_behind_the_documented_proxy_readers_keep_their_own_addresses(section) -> None:
    discussion_policy(mode="publish", flood_seconds=60)
    article = make_article(section, title="Ferry timetable changes for winter")
    behind_proxy = server_env(DATELINE_BEHIND_PROXY="true")
    behind_proxy.pop("DATELINE_TRUSTED_PROXIES", None)  # the default: this machine
    with running_server("--no-worker", "--workers", "1", env=behind_proxy) as base_url:
        first = post(
            base_url, article.pk, body="Earlier boats.", email="a@example.org",
            forwarded="203.0.113.7",
        )  # fmt: skip
        # Another reader behind the same proxy, a second later: not held by the first's flood
        # limit. They forged an entry; the proxy appended their real address.
        second = post(
            base_url, article.pk, body="Later boats.", email="b@example.org",
            forwarded="203.0.113.7, 198.51.100.23",
        )  # fmt: skip
        # The first reader again: their own limit holds.
        third = post(
            base_url, article.pk, body="More boats.", email="c@example.org",
            forwarded="203.0.113.7",
        )  # fmt: skip
    assert first.status_code == HTTPStatus.CREATED, first.text
    assert second.status_code == HTTPStatus.CREATED, second.text
    assert third.status_code == HTTPStatus.TOO_MANY_REQUESTS, third.text
    stored = dict(Comment.objects.values_list("body", "ip_address"))
    assert stored == {"Earlier boats.": "203.0.113.7", "Later boats.": "198.51.100.23"}


@pytest.mark.django_db(transaction=True)
def test_without_a_proxy_a_forged_header_changes_nothing(section) -> None:
    discussion_policy(mode="publish", flood_seconds=60)
    article = make_article(section, title="Library opens on Sundays")
    plain = server_env()
    for name in ("DATELINE_BEHIND_PROXY", "DATELINE_TRUSTED_PROXIES"):
        plain.pop(name, None)
    with running_server("--no-worker", "--workers", "1", env=plain) as base_url:
        first = post(
            base_url, article.pk, body="At last.", email="a@example.org", forwarded="203.0.113.7"
        )
        second = post(
            base_url, article.pk, body="Good news.", email="b@example.org",
            forwarded="198.51.100.23",
        )  # fmt: skip
    assert first.status_code == HTTPStatus.CREATED, first.text
    assert second.status_code == HTTPStatus.TOO_MANY_REQUESTS, second.text
    assert list(Comment.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]
