"""Spam checks. ``DATELINE_SPAM_CHECKERS`` names the classes to run, in order; each returns a
verdict and the strongest wins. Built in: a local scorer that needs nothing outside the
process, and an Akismet-compatible client (only when ``AKISMET_API_KEY`` is set)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import requests
from django.conf import settings
from django.utils.module_loading import import_string

from dateline.discussion.reasons import Reason, reason
from dateline.env import EnvError

if TYPE_CHECKING:  # a checker's module must not import models at the top (settings check)
    from dateline.discussion.models import Comment

logger = logging.getLogger(__name__)

SPAM_THRESHOLD = 1.0
SUSPICIOUS_THRESHOLD = 0.5


@dataclass(frozen=True)
class Candidate:
    """What a checker may look at. Plain data, so checkers need no database."""

    body: str
    author_name: str
    author_email: str
    author_website: str
    ip_address: str
    user_agent: str
    referrer: str
    permalink: str
    link_count: int
    honeypot: str = ""
    seconds_to_write: float | None = None
    blocked_words: tuple[str, ...] = ()
    language: str = "en"

    @classmethod
    def of_comment(
        cls, comment: Comment, *, body: str, link_count: int, blocked_words: tuple[str, ...] = ()
    ) -> Candidate:
        """A stored comment as the checkers see it, with ``body`` (its text, or new text)."""
        return cls(
            body=body,
            author_name=comment.author_name,
            author_email=comment.commenter.email,
            author_website=comment.author_website,
            ip_address=str(comment.ip_address or ""),
            user_agent=comment.user_agent,
            referrer="",
            permalink=comment.thread.url,
            link_count=link_count,
            blocked_words=blocked_words,
        )


@dataclass(frozen=True)
class Verdict:
    score: float = 0.0
    # Codes and values (dateline.discussion.reasons); a site's own checker may give text.
    reasons: tuple[Reason | str, ...] = field(default_factory=tuple)

    @property
    def is_spam(self) -> bool:
        return self.score >= SPAM_THRESHOLD

    @property
    def is_suspicious(self) -> bool:
        return self.score >= SUSPICIOUS_THRESHOLD


class SpamChecker(Protocol):
    def check(self, candidate: Candidate) -> Verdict: ...

    def submit_spam(self, candidate: Candidate) -> None: ...

    def submit_ham(self, candidate: Candidate) -> None: ...


class LocalScorer:
    """Cheap signals that spam shares: a filled honeypot, inhumanly fast typing, link stuffing,
    blocked words, and the same text repeated over and over."""

    def check(self, candidate: Candidate) -> Verdict:
        score, reasons = 0.0, list[Reason | str]()
        if candidate.honeypot.strip():
            score += 1.0
            reasons.append(reason("honeypot"))
        if candidate.seconds_to_write is not None and candidate.seconds_to_write < 2:
            score += 0.6
            reasons.append(reason("too_fast", seconds=2))
        if candidate.link_count >= 10:
            score += 1.0
            reasons.append(reason("many_links", count=candidate.link_count))
        elif candidate.link_count >= 5:
            score += 0.4
            reasons.append(reason("many_links", count=candidate.link_count))
        text = f"{candidate.body}\n{candidate.author_name}\n{candidate.author_website}".casefold()
        for word in candidate.blocked_words:
            if word and word in text:
                score += 1.0
                reasons.append(reason("blocked_word", word=word))
                break
        words = re.findall(r"\w+", candidate.body.casefold())
        if len(words) >= 30 and len(set(words)) / len(words) < 0.15:
            score += 0.6
            reasons.append(reason("repeated"))
        return Verdict(score=score, reasons=tuple(reasons))

    def submit_spam(self, candidate: Candidate) -> None:
        """Nothing to learn: the local scorer has no model."""

    def submit_ham(self, candidate: Candidate) -> None:
        """Nothing to learn: the local scorer has no model."""


class AkismetChecker:
    """Akismet's comment-check / submit-spam / submit-ham contract over HTTPS. Any service that
    speaks it can stand in (``AKISMET_URL``). A failure to reach it never blocks a reader: the
    comment is then judged by the other checkers and, if doubtful, held for a person."""

    timeout = 3.0

    def __init__(self) -> None:
        self.key = settings.AKISMET_API_KEY
        self.base_url = settings.AKISMET_URL.rstrip("/")
        self.blog = settings.BASE_URL

    def _payload(self, candidate: Candidate) -> dict[str, str]:
        return {
            "api_key": self.key,
            "blog": self.blog,
            "user_ip": candidate.ip_address,
            "user_agent": candidate.user_agent,
            "referrer": candidate.referrer,
            "permalink": candidate.permalink,
            "comment_type": "comment",
            "comment_author": candidate.author_name,
            "comment_author_email": candidate.author_email,
            "comment_author_url": candidate.author_website,
            "comment_content": candidate.body,
            "blog_lang": candidate.language,
            "blog_charset": "UTF-8",
            "honeypot_field_name": "website_confirm",
            "website_confirm": candidate.honeypot,
        }

    def _post(self, method: str, candidate: Candidate) -> requests.Response | None:
        if not self.key:
            return None
        try:
            response = requests.post(
                f"{self.base_url}/1.1/{method}",
                data=self._payload(candidate),
                timeout=self.timeout,
                headers={"User-Agent": "Dateline/0.1 | Akismet-compatible client"},
            )
            response.raise_for_status()
        except requests.RequestException as error:
            logger.warning("spam service %s failed: %s", method, error)
            return None
        return response

    def check(self, candidate: Candidate) -> Verdict:
        response = self._post("comment-check", candidate)
        if response is None:
            return Verdict()
        answer = response.text.strip()
        if answer == "true":
            discard = response.headers.get("X-akismet-pro-tip") == "discard"
            return Verdict(score=2.0 if discard else 1.0, reasons=(reason("spam_service"),))
        if answer != "false":
            logger.warning(
                "spam service answered %r: %s", answer, response.headers.get("X-akismet-debug-help")
            )
        return Verdict()

    def submit_spam(self, candidate: Candidate) -> None:
        self._post("submit-spam", candidate)

    def submit_ham(self, candidate: Candidate) -> None:
        self._post("submit-ham", candidate)


def checkers() -> list[SpamChecker]:
    return [import_string(path)() for path in settings.DATELINE_SPAM_CHECKERS]


def check_configured_checkers() -> None:
    """Import every checker ``DATELINE_SPAM_CHECKERS`` names, at start-up
    (``DiscussionConfig.ready``): a typo would otherwise surface as a 500 on the first
    comment. Raises ``EnvError`` naming the variable and the entry."""
    for path in settings.DATELINE_SPAM_CHECKERS:
        try:
            checker = import_string(path)
        except ImportError as error:
            raise EnvError(
                f"DATELINE_SPAM_CHECKERS: {path!r} cannot be imported ({error}); "
                "use dotted paths like dateline.discussion.spam.LocalScorer."
            ) from None
        # A class (or a factory) called with no arguments for each comment, see checkers().
        if not callable(checker) or (
            isinstance(checker, type) and not callable(getattr(checker, "check", None))
        ):
            raise EnvError(
                f"DATELINE_SPAM_CHECKERS: {path!r} is not a spam checker "
                "(a class with a check(candidate) method)."
            )


def check(candidate: Candidate) -> Verdict:
    score, reasons = 0.0, list[Reason | str]()
    for checker in checkers():
        verdict = checker.check(candidate)
        score += verdict.score
        reasons.extend(verdict.reasons)
    return Verdict(score=score, reasons=tuple(reasons))
