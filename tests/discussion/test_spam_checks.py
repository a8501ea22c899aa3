"""Spam checks: the local scorer's signals, and the Akismet-compatible client against a spam
service played by a small HTTP server on 127.0.0.1 (never the internet)."""

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django_tasks_db.models import DBTaskResult

from dateline.discussion import actions, spam
from dateline.discussion.models import Comment, DiscussionSettings
from dateline.discussion.reasons import describe_all
from tests.factories import discussion_policy, make_article, post_guest_comment
from tests.servers import PROJECT_DIR, server_env

LOCAL = "dateline.discussion.spam.LocalScorer"
AKISMET = "dateline.discussion.spam.AkismetChecker"
REPORT_TASK = "dateline.discussion.tasks.report_to_spam_checkers"


def candidate(**overrides) -> spam.Candidate:
    values = {
        "body": "The bridge reopening is good news for the market traders.",
        "author_name": "Amal",
        "author_email": "amal@example.org",
        "author_website": "",
        "ip_address": "192.0.2.10",
        "user_agent": "Mozilla/5.0",
        "referrer": "",
        "permalink": "https://news.example/world/bridge/",
        "link_count": 0,
        "seconds_to_write": 40.0,
    }
    values.update(overrides)
    return spam.Candidate(**values)


# The local scorer -------------------------------------------------------------------------


def test_an_ordinary_comment_scores_nothing():
    verdict = spam.LocalScorer().check(candidate())

    assert (verdict.score, verdict.reasons, verdict.is_spam) == (0.0, (), False)


def test_a_filled_honeypot_is_spam():
    verdict = spam.LocalScorer().check(candidate(honeypot="https://cheap.example"))

    assert verdict.is_spam
    assert "honeypot field filled in" in describe_all(verdict.reasons)


def test_posting_within_two_seconds_of_seeing_the_form_is_suspicious_not_spam():
    verdict = spam.LocalScorer().check(candidate(seconds_to_write=0.8))

    assert verdict.is_suspicious
    assert not verdict.is_spam


def test_an_unknown_writing_time_says_nothing():
    assert spam.LocalScorer().check(candidate(seconds_to_write=None)).score == 0


@pytest.mark.parametrize(
    ("links", "suspicious", "is_spam"), [(4, False, False), (5, False, False), (10, True, True)]
)
def test_link_stuffing_raises_the_score(links, suspicious, is_spam):
    verdict = spam.LocalScorer().check(candidate(link_count=links))

    assert verdict.is_suspicious is suspicious
    assert verdict.is_spam is is_spam
    assert (verdict.score > 0) is (links >= 5)


def test_five_links_and_fast_typing_together_are_spam():
    verdict = spam.LocalScorer().check(candidate(link_count=5, seconds_to_write=1))

    assert verdict.is_spam


def test_a_blocked_word_anywhere_in_the_text_name_or_website_is_spam():
    scorer = spam.LocalScorer()
    words = ("casino",)

    in_body = scorer.check(candidate(body="Best CASINO bonus", blocked_words=words))
    in_name = scorer.check(candidate(author_name="Casino King", blocked_words=words))
    in_site = scorer.check(candidate(author_website="https://casino.example", blocked_words=words))
    elsewhere = scorer.check(candidate(body="Nothing to see", blocked_words=words))

    assert [in_body.is_spam, in_name.is_spam, in_site.is_spam] == [True, True, True]
    assert "blocked word “casino”" in describe_all(in_body.reasons)
    assert not elsewhere.is_suspicious


def test_the_same_words_repeated_are_suspicious_but_a_short_repeat_is_not():
    scorer = spam.LocalScorer()

    long_repeat = scorer.check(candidate(body="buy now " * 20))
    short_repeat = scorer.check(candidate(body="yes yes yes"))

    assert long_repeat.is_suspicious
    assert "the same words repeated" in describe_all(long_repeat.reasons)
    assert short_repeat.score == 0


def test_checkers_add_up_in_the_order_configured(settings):
    settings.DATELINE_SPAM_CHECKERS = [LOCAL, LOCAL]

    verdict = spam.check(candidate(seconds_to_write=1))

    assert verdict.is_spam  # 0.6 + 0.6
    assert len(verdict.reasons) == 2


# A spam service on 127.0.0.1 --------------------------------------------------------------


@dataclass
class FakeAkismet:
    """Speaks the three calls of Akismet's 1.1 API and remembers every request."""

    url: str = ""
    verdict: str = "false"
    status: int = HTTPStatus.OK
    delay: float = 0.0
    pro_tip: str = ""
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def calls(self, path: str) -> list[dict[str, str]]:
        return [data for method, data in self.requests if method == path]


@pytest.fixture
def akismet(settings) -> Iterator[FakeAkismet]:
    service = FakeAkismet()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            data = {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}
            service.requests.append((self.path, data))
            if service.delay:
                time.sleep(service.delay)
            if self.path == "/1.1/comment-check":
                body = service.verdict
            elif self.path in {"/1.1/submit-spam", "/1.1/submit-ham"}:
                body = "Thanks for making the web a better place."
            else:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            encoded = body.encode()
            try:
                self.send_response(service.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(encoded)))
                if service.pro_tip:
                    self.send_header("X-akismet-pro-tip", service.pro_tip)
                self.end_headers()
                self.wfile.write(encoded)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.AKISMET_API_KEY = "test-key-123"
    settings.AKISMET_URL = service.url
    settings.DATELINE_SPAM_CHECKERS = [LOCAL, AKISMET]
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def article(section):
    return make_article(section, title="Ferry timetable changes next month")


@pytest.fixture
def publish(db):
    return discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)


pytestmark = pytest.mark.django_db


def test_the_service_sees_the_comment_and_who_wrote_it(article, publish, akismet, settings):
    post_guest_comment(
        article,
        "Will the evening ferry still run?",
        policy=publish,
        name="Karim",
        email="karim@example.org",
        ip="198.51.100.4",
        user_agent="Mozilla/5.0 (X11)",
        permalink="http://testserver/world/ferry/",
    )

    (sent,) = akismet.calls("/1.1/comment-check")
    assert sent["api_key"] == "test-key-123"
    assert sent["blog"] == settings.BASE_URL
    assert sent["comment_content"] == "Will the evening ferry still run?"
    assert sent["comment_author"] == "Karim"
    assert sent["comment_author_email"] == "karim@example.org"
    assert sent["user_ip"] == "198.51.100.4"
    assert sent["user_agent"] == "Mozilla/5.0 (X11)"
    assert sent["permalink"] == "http://testserver/world/ferry/"
    assert sent["comment_type"] == "comment"


def test_a_spam_verdict_sends_the_comment_to_spam(article, publish, akismet):
    akismet.verdict = "true"

    comment = post_guest_comment(article, "Totally normal words.", policy=publish)

    assert comment.status == Comment.Status.SPAM
    assert "spam service says spam" in describe_all(comment.moderation_reasons)
    comment.thread.refresh_from_db()
    assert (comment.thread.approved_count, comment.thread.pending_count) == (0, 0)


def test_a_discard_verdict_scores_higher_than_plain_spam(akismet):
    akismet.verdict, akismet.pro_tip = "true", "discard"

    verdict = spam.AkismetChecker().check(candidate())

    assert verdict.score == 2.0


def test_a_ham_verdict_leaves_the_newsroom_policy_in_charge(article, akismet):
    hold_new = discussion_policy(mode=DiscussionSettings.Mode.HOLD_NEW, trusted_after=1)
    publish = discussion_policy(mode=DiscussionSettings.Mode.PUBLISH)

    first_timer = post_guest_comment(article, "A first comment.", policy=hold_new)
    published = post_guest_comment(article, "Published at once.", policy=publish)

    assert first_timer.status == Comment.Status.PENDING
    assert published.status == Comment.Status.APPROVED
    assert len(akismet.calls("/1.1/comment-check")) == 2


@pytest.mark.parametrize("failure", ["error", "timeout", "nonsense", "down"])
def test_when_the_service_fails_the_comment_is_judged_locally_and_never_lost(
    article, publish, akismet, monkeypatch, settings, failure
):
    if failure == "error":
        akismet.status = HTTPStatus.INTERNAL_SERVER_ERROR
    elif failure == "timeout":
        monkeypatch.setattr(spam.AkismetChecker, "timeout", 0.2)
        akismet.delay = 1.0
    elif failure == "nonsense":
        akismet.verdict = "invalid"
    else:
        settings.AKISMET_URL = "http://127.0.0.1:9"  # discard port: nothing listens there

    started = time.monotonic()
    clean = post_guest_comment(article, "Thanks for the timetable.", policy=publish)
    hurried = post_guest_comment(
        article, "Typed faster than a person could.", policy=publish, seconds_to_write=0.5
    )

    assert time.monotonic() - started < 5
    assert clean.status == Comment.Status.APPROVED
    assert hurried.status == Comment.Status.PENDING  # doubtful by local signals: a person decides
    assert Comment.objects.filter(pk__in=[clean.pk, hurried.pk]).count() == 2


def test_no_request_leaves_the_site_when_no_key_is_configured(article, publish, akismet, settings):
    settings.AKISMET_API_KEY = ""

    post_guest_comment(article, "No service here.", policy=publish)
    spam.AkismetChecker().submit_spam(candidate())
    spam.AkismetChecker().submit_ham(candidate())

    assert akismet.requests == []


def test_the_default_checker_list_leaves_akismet_out_without_a_key():
    env = server_env(AKISMET_API_KEY="")
    env.pop("DATELINE_SPAM_CHECKERS", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dateline",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.DATELINE_SPAM_CHECKERS)",
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert LOCAL in result.stdout
    assert AKISMET not in result.stdout


def test_marking_spam_in_the_admin_queues_the_report_in_the_same_transaction(article, akismet):
    held = discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    comment = post_guest_comment(article, "Buy followers.", policy=held)
    admin = User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")
    client = Client()
    client.force_login(admin)

    # The report is written in the same database transaction as the status change: if that
    # transaction dies, neither survives; if it commits, both do (on_commit could lose one).
    def request_that_dies_before_commit() -> None:
        with transaction.atomic():
            actions.set_status(comments=[comment], status=Comment.Status.SPAM, moderator=admin)
            assert DBTaskResult.objects.filter(task_path=REPORT_TASK).exists()
            raise RuntimeError("the request dies before its transaction commits")

    with pytest.raises(RuntimeError):
        request_that_dies_before_commit()
    assert not DBTaskResult.objects.filter(task_path=REPORT_TASK).exists()
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PENDING

    client.post("/admin/discussion/comments/moderate/", {"row": f"spam:{comment.pk}"})

    comment.refresh_from_db()
    assert comment.status == Comment.Status.SPAM
    task = DBTaskResult.objects.get(task_path=REPORT_TASK)
    assert task.args_kwargs["args"] == [comment.pk, "spam"]
    assert task.status == "READY"
    assert akismet.calls("/1.1/submit-spam") == []  # the worker sends it, not the request


@pytest.mark.django_db(transaction=True)
def test_the_worker_reports_spam_and_ham_to_the_service_with_the_comment(section, akismet):
    article = make_article(section, title="Ferry timetable changes next month")
    held = discussion_policy(mode=DiscussionSettings.Mode.HOLD_ALL)
    comment = post_guest_comment(
        article,
        "Cheap watches here.",
        policy=held,
        name="Spammer",
        email="spam@example.org",
        ip="203.0.113.77",
        user_agent="curl/8",
    )
    admin = User.objects.create_superuser("root", "root@newsroom.example", "pw-root-123")
    client = Client()
    client.force_login(admin)
    env = server_env(
        AKISMET_API_KEY="test-key-123",
        AKISMET_URL=akismet.url,
        DATELINE_SPAM_CHECKERS=f"{LOCAL},{AKISMET}",
    )

    def run_worker() -> None:
        subprocess.run(
            [sys.executable, "-m", "dateline", "worker", "--batch", "--interval", "0.1"],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
        )

    client.post("/admin/discussion/comments/moderate/", {"row": f"spam:{comment.pk}"})
    run_worker()
    client.post("/admin/discussion/comments/moderate/", {"row": f"approve:{comment.pk}"})
    run_worker()

    (reported_spam,) = akismet.calls("/1.1/submit-spam")
    (reported_ham,) = akismet.calls("/1.1/submit-ham")
    for sent in (reported_spam, reported_ham):
        assert sent["api_key"] == "test-key-123"
        assert sent["comment_content"] == "Cheap watches here."
        assert sent["comment_author"] == "Spammer"
        assert sent["comment_author_email"] == "spam@example.org"
        assert sent["user_ip"] == "203.0.113.77"
        assert sent["user_agent"] == "curl/8"
    reports = DBTaskResult.objects.filter(task_path=REPORT_TASK)
    assert list(reports.values_list("status", flat=True)) == ["SUCCESSFUL", "SUCCESSFUL"]
