"""The discussion under a story, rendered on the server so readers without JavaScript and
search engines get the whole thread; and the one JSON shape of a comment.

``discussion_context`` is the one read a page makes: everything the section shows in a fixed
number of queries (thread, policy, whether it is open, a keyset page of comments), whatever
the size of the thread. The HTML it produces holds nothing about the reader who asked — no
CSRF token, no remembered name — so the fragment cache shares it with everyone;
``discussion.js`` adds the per-reader parts in the browser. Template tags
(``templatetags/discussion_tags.py``) only hand over to this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.dateformat import format as format_date
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dateline.discussion import avatars, strings, targets, threads
from dateline.discussion.forms import HONEYPOT_FIELD, CommentForm, sign_rendered_at
from dateline.discussion.invalidation import thread_gen
from dateline.discussion.models import Comment, DiscussionSettings, Thread
from dateline.identity.session import has_session, pop_draft
from dateline.newsroom.models import DEFAULT_DATETIME_FORMAT, ArticlePage, NewsroomSettings
from dateline.server import pagecache

CURSOR_PARAM = "comments"
REPLY_PARAM = "replytocom"
HELD_PARAM = "held"


@dataclass(frozen=True)
class ReplyTarget:
    id: int
    name: str


def _reply_target(
    *, thread: Thread | None, shown: dict[int, str], raw: object
) -> ReplyTarget | None:
    """The approved comment a reader is answering, or None for anything else (a removed
    comment, one of another story, garbage in the query string). ``shown`` is the approved
    comments on the page in hand, by id."""
    try:
        pk = int(str(raw))
    except (TypeError, ValueError):
        return None
    if thread is None or pk < 1 or pk > 2**62:
        return None
    if pk in shown:
        return ReplyTarget(id=pk, name=shown[pk])
    # Only a reply to a comment on another page of the thread costs this extra query.
    found = (
        Comment.objects.approved().filter(pk=pk, thread=thread).only("id", "author_name").first()
    )
    return ReplyTarget(id=found.pk, name=found.author_name) if found else None


def _page_link(page_url: str, cursor: str | None) -> str:
    return f"{page_url}?{urlencode({CURSOR_PARAM: cursor})}#comments" if cursor else ""


def _reply_heading(name: str) -> SafeString:
    # <bdi> keeps an Arabic name from reordering an English heading, and the reverse.
    template = conditional_escape(strings.word("replyTitle"))
    return mark_safe(template % {"name": format_html("<bdi>{}</bdi>", name)})  # noqa: S308 - both parts escaped


def comment_count_text(count: int) -> str:
    if count == 0:
        return _("No comments yet")
    return ngettext("%(count)s comment", "%(count)s comments", count) % {"count": count}


def discussion_urls() -> dict[str, str]:
    # The script fills in the comment id; "0" is a placeholder no comment ever has.
    return {
        "session_url": reverse("discussion:session"),
        "edit_url": reverse("discussion:edit", args=[0]).replace("/0/", "/{id}/"),
        "delete_url": reverse("discussion:delete", args=[0]).replace("/0/", "/{id}/"),
    }


def discussion_context(
    *,
    article: ArticlePage,
    request: HttpRequest,
    form: CommentForm | None = None,
    error_status: int | None = None,
) -> dict[str, Any]:
    """Everything ``discussion/thread.html`` shows, in a fixed number of queries: the thread,
    whether it is open (section ancestors), the page of top-level comments and the replies
    below them. ``form`` is a bound form coming back with errors from a POST."""
    policy = DiscussionSettings.for_request(request)
    newsroom = NewsroomSettings.for_request(request)
    thread = targets.thread_of(article)
    is_open = targets.comments_open(thread=thread or Thread(article=article), policy=policy)

    # A form coming back with errors shows the first page, as the form's own endpoint has none.
    cursor = (request.GET.get(CURSOR_PARAM) or None) if form is None else None
    datetime_format = newsroom.datetime_format or DEFAULT_DATETIME_FORMAT
    # Links start from the story's own address: the same markup is shown on the page a POST
    # with errors answers at, whose address is the form's endpoint.
    page_url = article.get_url(request=request) or ""
    part = thread_part(
        thread=thread,
        policy=policy,
        cursor=cursor,
        is_open=is_open,
        datetime_format=datetime_format,
        page_url=page_url,
    )

    total = thread.approved_count if thread is not None else 0

    if form is None:
        # A reader without JavaScript who went to sign in mid-comment gets their draft back
        # (only a request with a session has one, and the page cache never serves those).
        draft = pop_draft(request, path=request.path)
        draft.pop("parent", None)
        form = CommentForm(initial={"parent": None, **draft})
    replying_to = None
    if is_open:
        raw_parent = form.parent_id if form.is_bound else request.GET.get(REPLY_PARAM)
        replying_to = _reply_target(thread=thread, shown=part.shown, raw=raw_parent)
    if replying_to is not None and not form.is_bound:
        form = CommentForm(initial={"parent": replying_to.id})

    return {
        "article": article,
        "policy": policy,
        "thread": thread,
        "comments_html": mark_safe(part.html),  # noqa: S308 - built by render_comments
        # The live row's count, not the fragment's: the thread was read before the fragment's
        # numbers were.
        "count": total,
        "count_text": comment_count_text(total),
        "is_open": is_open,
        "form": form,
        "form_errors": form.summary_errors(),
        "error_status": error_status,
        "replying_to": replying_to,
        "heading": policy.heading or strings.word("heading"),
        "datetime_format": datetime_format,
        "reply_heading": _reply_heading(replying_to.name) if replying_to else "",
        "older_url": part.older_url,
        "newer_url": part.newer_url,
        "cancel_url": part.cancel_url,
        "held_notice": request.GET.get(HELD_PARAM) == "1" and not form.is_bound,
        "post_url": reverse("discussion:post", args=[article.pk]),
        "rendered_at": sign_rendered_at(),
        "honeypot_field": HONEYPOT_FIELD,
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "newest_first": part.newest_first,
        "strings": strings.for_script(strings.PAGE_SCRIPT),
        **discussion_urls(),
    }


@dataclass(frozen=True)
class ThreadPart:
    """The part of the discussion that is the same for every reader of one page of a thread:
    the comments' markup and the links around it. Kept in the fragment cache."""

    html: str
    shown: dict[int, str]  # approved comments on this page: id -> author's name
    older_url: str
    newer_url: str
    cancel_url: str
    newest_first: bool


def _shown_names(nodes: list[threads.Node]) -> dict[int, str]:
    shown: dict[int, str] = {}
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if not node.is_placeholder:
            shown[node.comment.pk] = node.comment.author_name
        stack.extend(node.children)
    return shown


def thread_part(
    *,
    thread: Thread | None,
    policy: DiscussionSettings,
    cursor: str | None,
    is_open: bool,
    datetime_format: str,
    page_url: str,
) -> ThreadPart:
    if cursor:
        try:
            threads.Cursor.decode(cursor)
        except threads.InvalidCursor:
            # An old, edited or made-up cursor shows the first page rather than an error (and
            # does not get a cache entry of its own).
            cursor = None

    def build() -> ThreadPart:
        page = threads.thread_page(thread=thread, policy=policy, cursor=cursor) if cursor else None
        used = cursor
        if page is None or not page.nodes:
            used = None
            page = threads.thread_page(thread=thread, policy=policy)
        newest_first = page.newest_first
        # In reading order "next" leads to newer comments when the oldest come first.
        older_cursor = page.next_cursor if newest_first else page.previous_cursor
        newer_cursor = page.previous_cursor if newest_first else page.next_cursor
        cursor_query = urlencode({CURSOR_PARAM: used}) if used else ""
        return ThreadPart(
            html=render_comments(
                page.nodes,
                datetime_format=datetime_format,
                reply_base=f"{page_url}?{cursor_query}&" if cursor_query else f"{page_url}?",
                is_open=is_open,
            ),
            shown=_shown_names(page.nodes),
            older_url=_page_link(page_url, older_cursor),
            newer_url=_page_link(page_url, newer_cursor),
            cancel_url=f"{page_url}?{cursor_query}#respond"
            if cursor_query
            else f"{page_url}#respond",
            newest_first=newest_first,
        )

    if thread is None:
        return build()
    key = "|".join(
        [
            "thread-html",
            str(thread.pk),
            str(policy.pk),  # sites sharing a page tree have their own settings
            cursor or "",
            translation.get_language() or "",
            "open" if is_open else "closed",
            datetime_format,
            page_url,
        ]
    )
    # gen:site covers the discussion and newsroom settings (page size, order, time format).
    return pagecache.fragment(key, [pagecache.GEN_SITE, thread_gen(thread.pk)], build)


# Where the form's per-request render stamp goes in a shared copy of the form.
_RENDERED_AT_SLOT = "\x00rendered-at\x00"


def _blank_form(context: template.Context) -> bool:
    """The form as most readers get it, the same for all of them: nobody signed in or
    mid-sign-in (no session), nothing typed, no reply target, no notice, no token."""
    request = context.get("request")
    form = context.get("form")
    return (
        request is not None
        and not has_session(request)
        and form is not None
        and not form.is_bound
        and context.get("replying_to") is None
        and not context.get("held_notice")
        and not context.get("include_csrf")
    )


def comment_form_html(context: template.Context) -> SafeString:
    """The comment form. Its blank state is a shared fragment (its 40-odd fields and labels
    cost more to render than the whole rest of the discussion), under gen:site: the
    discussion and sign-in settings; the form's render stamp is put in per request."""
    assert context.template is not None
    form_template = context.template.engine.get_template("discussion/includes/comment_form.html")
    if not _blank_form(context):
        return mark_safe(form_template.render(context))  # noqa: S308 - a template's output

    def build() -> str:
        with context.push(rendered_at=_RENDERED_AT_SLOT):
            return str(form_template.render(context))

    article, policy = context["article"], context["policy"]
    key = "|".join(
        [
            "comment-form",
            str(article.pk),
            str(policy.pk),
            translation.get_language() or "",
            context.get("cancel_url") or "",
            context.get("heading") or "",
        ]
    )
    html = pagecache.fragment(key, [pagecache.GEN_SITE], build)
    return mark_safe(html.replace(_RENDERED_AT_SLOT, context["rendered_at"]))  # noqa: S308 - the stamp is base64


# Comments ---------------------------------------------------------------------------------
#
# The markup of a comment lives here, in Python, not in an included template: a thread page
# can hold hundreds of comments, and Django's template engine spends about a millisecond on
# each (an include, a dozen tags, two dozen lookups); this costs a few microseconds. The page
# and the JSON answer to the script both use it, so there is one definition of a comment.


@dataclass(frozen=True)
class CommentWords:
    """The words every comment repeats, translated once per render."""

    removed: str
    edited: str
    held: str
    reply: str
    reply_to: str
    report: str
    report_name: str
    useful: str
    useful_name: str
    useful_count: str

    @classmethod
    def current(cls) -> CommentWords:
        return cls(
            removed=strings.word("removed"),
            edited=strings.word("editedMark"),
            held=strings.word("held"),
            reply=strings.word("reply"),
            reply_to=strings.word("replyToName"),
            report=strings.word("report"),
            report_name=strings.word("reportName"),
            useful=strings.word("useful"),
            useful_name=strings.word("usefulName"),
            useful_count=strings.word("usefulCount"),
        )

    @staticmethod
    def more_replies(count: int) -> str:
        return ngettext("Show %(count)d more reply", "Show %(count)d more replies", count) % {
            "count": count
        }


def replies_url(root_id: int, cursor: str | None) -> str:
    """The page of replies under a top-level comment that starts after ``cursor``."""
    url = reverse("discussion:replies", args=[root_id])
    return f"{url}?{urlencode({'after': cursor})}" if cursor else url


def _comment_html(
    node: threads.Node,
    out: list[str],
    *,
    words: CommentWords,
    datetime_format: str,
    reply_base: str,
    is_open: bool,
    pending: bool,
) -> None:
    comment = node.comment
    placeholder = node.is_placeholder and not pending
    classes = "comment"
    if placeholder:
        classes += " comment--removed"
    if pending:
        classes += " comment--held"
    out.append(
        format_html(
            '<li class="{}" data-comment-id="{}" data-depth="{}">\n'
            '  <article id="comment-{}" class="comment__card">\n',
            classes,
            comment.pk,
            comment.depth,
            comment.pk,
        )
    )
    if placeholder:
        out.append(format_html('    <p class="comment__removed">{}</p>\n', words.removed))
    else:
        name = comment.author_name
        author = (
            format_html('<a href="{}" rel="nofollow ugc">{}</a>', comment.author_website, name)
            if comment.author_website
            else conditional_escape(name)
        )
        out.append(
            format_html(
                '    <header class="comment__meta">\n'
                "      {}\n"
                '      <span class="comment__author" dir="auto">{}</span>\n'
                '      <a class="comment__permalink" href="#comment-{}">{}</a>\n'
                '      <span class="comment__edited"{}>{}</span>\n'
                "    </header>\n",
                avatars.face(
                    subject=comment.commenter.subject,
                    avatar_image=comment.commenter.avatar_image,
                ),
                author,
                comment.pk,
                comment_time(comment.created_at, datetime_format),
                "" if comment.edited_at else mark_safe(" hidden"),
                words.edited,
            )
        )
        if pending:
            out.append(format_html('    <p class="comment__held">{}</p>\n', words.held))
        # body_html was sanitised by nh3 when it was stored (discussion/text.py): it is the only
        # markup a reader can influence, and it is inserted as stored.
        out.append(
            format_html(
                '    <div class="comment__content" dir="auto">{}</div>\n',
                mark_safe(comment.body_html),  # noqa: S308 - sanitised on the way in
            )
        )
        reply = ""
        if is_open and not pending:
            reply = format_html(
                '<a class="comment__reply" href="{}{}={}#respond" rel="nofollow" '
                'data-reply-to="{}" data-reply-name="{}" aria-label="{}">{}</a>',
                reply_base,
                REPLY_PARAM,
                comment.pk,
                comment.pk,
                name,
                words.reply_to % {"name": name},
                words.reply,
            )
        report = ""
        if not pending:
            # A page of its own (reasons, a note): works without JavaScript, and the cached
            # thread stays the same for every reader.
            report = format_html(
                '<a class="comment__report" href="{}" rel="nofollow" aria-label="{}">{}</a>',
                reverse("discussion:report", args=[comment.pk]),
                words.report_name % {"name": name},
                words.report,
            )
        actions = mark_safe(" ".join(part for part in (reply, report) if part))  # noqa: S308 - both built by format_html
        out.append(format_html('    <p class="comment__actions">{}</p>\n', actions))
        if is_open and not pending:
            # A form, so it works without JavaScript; the count comes with the thread's own
            # cached HTML (a mark invalidates it like an edit), so pages stay cacheable.
            count = comment.useful_count
            out.append(
                format_html(
                    '    <form class="comment__useful" method="post" action="{}">'
                    '<button type="submit" aria-label="{}">{}{}</button></form>\n',
                    reverse("discussion:useful", args=[comment.pk]),
                    words.useful_name % {"name": name},
                    words.useful,
                    format_html(" {}", words.useful_count % {"count": count}) if count else "",
                )
            )
    out.append("  </article>\n")
    if node.children:
        out.append('  <ol class="comment-list comment-list--children">')
        for child in node.children:
            _comment_html(
                child,
                out,
                words=words,
                datetime_format=datetime_format,
                reply_base=reply_base,
                is_open=is_open,
                pending=pending,
            )
        out.append("</ol>\n")
    if node.more_replies and node.replies_cursor:
        out.append(
            format_html(
                '  <p class="comment__more-replies"><a href="{}" data-more-replies="{}">{}</a></p>\n',
                replies_url(comment.pk, node.replies_cursor),
                comment.pk,
                words.more_replies(node.more_replies),
            )
        )
    out.append("</li>")


def render_comments(
    nodes: list[threads.Node],
    *,
    datetime_format: str,
    reply_base: str,
    is_open: bool,
    pending: bool = False,
) -> SafeString:
    """The ``<li>`` of each node with its replies nested in ``<ol>``s, as the page shows them.
    ``pending`` renders a held comment for its author alone (the JSON answer to a post)."""
    out: list[str] = []
    words = CommentWords.current()
    for node in nodes:
        _comment_html(
            node,
            out,
            words=words,
            datetime_format=datetime_format,
            reply_base=reply_base,
            is_open=is_open,
            pending=pending,
        )
    return mark_safe("".join(out))  # noqa: S308 - every part went through format_html


def comment_time(value: Any, fmt: str = DEFAULT_DATETIME_FORMAT) -> SafeString:
    """``<time datetime>`` in the site's configured format, like the story's own time."""
    if not value:
        return mark_safe("")
    local = localtime(value)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), format_date(local, fmt))


# The JSON shape of a comment -------------------------------------------------------------


def comment_json(comment: Comment, replies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What anyone may see of a comment. Not shown to readers: a placeholder, never its
    content."""
    shown = comment.is_visible
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "depth": comment.depth,
        "author": {
            "name": comment.author_name if shown else "",
            "website": (comment.author_website or None) if shown else None,
        },
        "html": comment.body_html if shown else "",
        "created": comment.created_at.isoformat(),
        "edited": comment.edited_at.isoformat() if shown and comment.edited_at else None,
        "removed": not shown,
        "useful": comment.useful_count if shown else 0,
        "replies": replies or [],
    }


def own_comment_json(comment: Comment) -> dict[str, Any]:
    """The poster's own view of what they just sent, held or not: it goes only to them."""
    data = comment_json(comment)
    data.update(
        author={"name": comment.author_name, "website": comment.author_website or None},
        html=comment.body_html,
        edited=comment.edited_at.isoformat() if comment.edited_at else None,
        removed=False,
    )
    return data


def node_json(node: threads.Node) -> dict[str, Any]:
    data = comment_json(node.comment, [node_json(child) for child in node.children])
    if node.more_replies and node.replies_cursor:
        # The rest of a long subthread: GET comments/<id>/replies/?cursor=<replies_next>.
        data["more_replies"] = node.more_replies
        data["replies_next"] = node.replies_cursor
    return data
