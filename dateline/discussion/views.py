"""The reader-facing endpoints of the discussion on Dateline's own pages: post, edit and delete
a comment, follow a comment's permalink, and fetch the per-reader bits a cached page leaves
out. Thin: parse the request, call ``discussion.actions``, answer in HTML or JSON.

Two kinds of client use the same endpoints. A browser without JavaScript posts the form and
follows redirects (POST → 303 → GET); ``discussion.js`` posts with ``Accept: application/json``
and gets JSON back. State changes only on POST, and only with a valid CSRF token.
"""

from __future__ import annotations

import datetime
import email.errors
import email.parser
import email.policy
import itertools
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes, urlencode

from django import forms
from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    RawPostDataException,
)
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dateline import ratelimits, web
from dateline.discussion import actions, strings, targets, threads
from dateline.discussion.errors import CommentError, NotFound
from dateline.discussion.forms import (
    CommentForm,
    DeleteForm,
    EditForm,
    ReportForm,
    sign_rendered_at,
)
from dateline.discussion.models import Comment, DiscussionSettings, Thread
from dateline.discussion.rendering import (
    CURSOR_PARAM,
    HELD_PARAM,
    comment_count_text,
    discussion_context,
    render_comments,
    replies_url,
)
from dateline.identity.selectors import current_commenter
from dateline.identity.session import has_session
from dateline.newsroom.models import DEFAULT_DATETIME_FORMAT, ArticlePage, NewsroomSettings

# Carries the edit token of a comment posted without the script to the page the reader lands
# on; the script moves it to localStorage and deletes the cookie. Not HttpOnly for that reason;
# the token inside is signed and expires with the edit window whatever the cookie says.
EDIT_COOKIE = "dateline_edit"
# A guest's proof of who they are (``actions.guest_token``): sent with each comment, never
# read by scripts.
GUEST_COOKIE = "dateline_guest"
# A reader's own signed id for marking comments useful (``actions.new_reader_token``).
READER_COOKIE = "dateline_reader"


# Request helpers --------------------------------------------------------------------------


def sessionless_same_origin(request: HttpRequest) -> bool:
    """A post from one of our own pages by a browser that holds no session: taken without a
    token, so a reader without JavaScript, whose cached page carried none, posts once and is
    redirected to the comment (POST, redirect, GET). CSRF guards what a session may do, and
    this request has none to abuse; the browser's Origin (or Sec-Fetch-Site), which another
    site's page cannot set, keeps strangers from posting through our readers' browsers."""
    if has_session(request):
        return False
    origin = request.META.get("HTTP_ORIGIN")
    if origin:
        # The exact origins only: the site's own, or one listed as trusted for forms.
        return web.normalise_origin(origin) in web.own_origins(request)
    return request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin"


def _raw_form_fields(request: HttpRequest) -> list[tuple[bytes, bytes]]:
    """The posted fields as the bytes the client sent (files left out). Must run before
    anything reads ``request.POST``: a multipart body cannot be read twice otherwise."""
    try:
        raw = request.body
    except RawPostDataException:  # already parsed upstream; Django's decoding stands
        return []
    content_type = (request.content_type or "").lower()
    # No more fields than Django itself accepts (it refuses the rest with a 400 when the form
    # is read); this only looks at what Django will decode.
    most = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS or 1000
    if content_type == "application/x-www-form-urlencoded":
        fields = []
        for pair in raw.split(b"&", most)[:most]:
            if pair:
                name, _sep, value = pair.replace(b"+", b" ").partition(b"=")
                fields.append((unquote_to_bytes(name), unquote_to_bytes(value)))
        return fields
    if content_type == "multipart/form-data":
        header = f"Content-Type: {request.META.get('CONTENT_TYPE', '')}\r\n\r\n".encode()
        try:
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + raw)
            if not message.is_multipart():
                return []
            fields = []
            for part in itertools.islice(message.iter_parts(), most):
                payload = part.get_payload(decode=True)
                if part.get_filename() is None and isinstance(payload, bytes):
                    field = str(part.get_param("name", "", header="content-disposition"))
                    fields.append((field.encode("utf-8", "surrogateescape"), payload))
        # Malformed (a bad header, an unknown charset): Django's own parser answers it next.
        except (email.errors.MessageError, ValueError, LookupError, TypeError, IndexError):
            return []
        return fields
    return []


def fields_not_utf8(request: HttpRequest) -> dict[str, str]:
    """Fields whose bytes are not UTF-8, each with the JSON API's message. Django decodes form
    data leniently (a stray byte becomes U+FFFD), and that would be stored as if typed; the
    reader is told instead, as the API tells its clients."""
    # The charset Django decodes with: UTF-8 unless the request declares another it knows.
    encoding = request.encoding or settings.DEFAULT_CHARSET
    errors: dict[str, str] = {}
    for name, value in _raw_form_fields(request):
        try:
            name.decode(encoding)
            value.decode(encoding)
        except UnicodeDecodeError:
            field = name.decode("ascii") if name.isascii() else "__all__"
            errors[field] = _("This contains text that is not valid UTF-8.")
    return errors


def _message_page(
    request: HttpRequest, *, title: str, message: str, status: int, article_url: str = ""
) -> HttpResponse:
    response = render(
        request,
        "discussion/message.html",
        {"title": title, "message": message, "article_url": article_url},
        status=status,
    )
    return web.no_store(response)


def _published_story(article_id: int) -> ArticlePage:
    try:
        return targets.published_story(article_id)
    except NotFound as missing:
        raise Http404(missing.errors["__all__"]) from None


def _retry_message(limited: ratelimits.RateLimited) -> str:
    wait = ngettext(
        "Please try again in %(seconds)d second.",
        "Please try again in %(seconds)d seconds.",
        limited.retry_after,
    ) % {"seconds": limited.retry_after}
    # Outside the f-string: makemessages cannot see a string inside one.
    message = limited.message or _("You are posting comments too quickly.")
    return f"{message} {wait}"


def _comment_location(
    *, request: HttpRequest, article: ArticlePage, comment: Comment, policy: DiscussionSettings
) -> str:
    """The story's address at the page of the thread that holds ``comment``, at its anchor; for
    a reply further down than the thread page shows, its page of replies."""
    reply_cursor = threads.reply_cursor_for(comment=comment)
    if reply_cursor is not None and comment.root_id is not None:
        return f"{replies_url(comment.root_id, reply_cursor)}#{comment.anchor}"
    url = article.get_url(request=request) or "/"
    cursor = threads.page_cursor_for(comment=comment, policy=policy)
    if cursor:
        url = f"{url}?{urlencode({CURSOR_PARAM: cursor})}"
    return f"{url}#{comment.anchor}"


def _render_comment(
    request: HttpRequest, *, article: ArticlePage, comment: Comment, pending: bool
) -> str:
    newsroom = NewsroomSettings.for_request(request)
    return render_comments(
        [threads.Node(comment)],
        datetime_format=newsroom.datetime_format or DEFAULT_DATETIME_FORMAT,
        reply_base=f"{article.get_url(request=request) or ''}?",
        is_open=True,
        pending=pending,
    )


# Posting ----------------------------------------------------------------------------------


def _form_again(
    request: HttpRequest, *, article: ArticlePage, form: CommentForm, status: int
) -> HttpResponse:
    """The story page again, the form showing what the reader typed and what is wrong. This
    answer to a POST is never cached, so it may (and must) carry a CSRF token."""
    # The whole story this time: the post read only the columns the discussion needs.
    article = ArticlePage.objects.get(pk=article.pk)
    context = article.get_context(request)
    context["discussion_form"] = form
    context["discussion_error_status"] = status
    response = TemplateResponse(request, article.get_template(request), context, status=status)
    return web.no_store(response)


def _confirm_page(request: HttpRequest, *, article: ArticlePage, form: CommentForm) -> HttpResponse:
    """Asked of a post without a valid CSRF token that is not a session-less post from our own
    page (a signed-in reader without JavaScript, whose cached page carried no token, or a
    browser that sends no Origin): nothing is stored; the text comes back with a token."""
    form.is_valid()  # to show what is already known to be wrong; the post stays unsaved anyway
    context = discussion_context(article=article, request=request, form=form)
    context.update(
        confirm=True,
        include_csrf=True,
        article_url=article.get_url(request=request) or "/",
        rendered_at=form.data.get("rendered_at") or sign_rendered_at(),
    )
    return web.no_store(render(request, "discussion/confirm.html", context))


def _refused(
    request: HttpRequest,
    *,
    article: ArticlePage,
    form: CommentForm,
    errors: dict[str, str],
    status: int,
    as_json: bool,
    retry_after: int | None = None,
) -> HttpResponse:
    response: HttpResponse
    if as_json:
        extra = {"retryAfter": retry_after} if retry_after else {}
        response = web.json_errors(errors, status=status, **extra)
    elif status == HTTPStatus.FORBIDDEN:
        response = _message_page(
            request,
            title=_("Your comment was not posted"),
            message=" ".join(errors.values()),
            status=status,
            article_url=article.get_url(request=request) or "",
        )
    else:
        form.add_action_errors(errors)
        response = _form_again(request, article=article, form=form, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@csrf_exempt  # checked below: see sessionless_same_origin, and _confirm_page for the rest
@require_POST
def post_comment(request: HttpRequest, article_id: int) -> HttpResponse:
    """The form's front door: form → ``actions.post_comment`` → redirect (or JSON)."""
    as_json = web.wants_json(request)
    try:
        target = targets.story(article_id, fresh=True)
    except NotFound as missing:
        if as_json:
            return web.json_errors(missing.errors, status=missing.status_code)
        raise Http404(missing.errors["__all__"]) from None
    article = target.article
    assert article is not None  # a story's discussion
    not_utf8 = fields_not_utf8(request)  # first: it reads the body before request.POST does
    form = CommentForm(request.POST)

    if not (web.csrf_passes(request) or sessionless_same_origin(request)):
        if as_json:
            return web.json_errors(
                {"__all__": _("Your session has expired. Please try again.")},
                status=HTTPStatus.FORBIDDEN,
                csrf=True,
            )
        return _confirm_page(request, article=article, form=form)

    def refuse(errors: dict[str, str], status: int, retry_after: int | None = None) -> HttpResponse:
        return _refused(
            request,
            article=article,
            form=form,
            errors=errors,
            status=status,
            as_json=as_json,
            retry_after=retry_after,
        )

    if not form.is_valid() or not_utf8:
        form.add_action_errors(not_utf8)
        if as_json:
            return web.json_errors(form.json_errors(), status=HTTPStatus.BAD_REQUEST)
        return _form_again(request, article=article, form=form, status=HTTPStatus.BAD_REQUEST)

    policy = DiscussionSettings.for_request(request)
    try:
        posted = actions.post_comment(
            target=target,
            author=form.author(
                current_commenter(request), guest_token=request.COOKIES.get(GUEST_COOKIE, "")
            ),
            body=form.cleaned_data["body"] or "",
            policy=policy,
            meta=form.request_meta(request, permalink=target.permalink(request)),
            parent_id=form.cleaned_data.get("parent"),
            follow=form.follow,
        )
    except ratelimits.RateLimited as limited:
        return refuse(
            {"__all__": _retry_message(limited)},
            HTTPStatus.TOO_MANY_REQUESTS,
            retry_after=limited.retry_after,
        )
    except CommentError as error:
        return refuse(error.errors, error.status_code)

    comment = posted.comment
    held = posted.is_held
    edit_until = timezone.now() + datetime.timedelta(minutes=policy.edit_window_minutes)
    if as_json:
        approved_count = (
            Thread.objects.filter(pk=comment.thread_id)
            .values_list("approved_count", flat=True)
            .first()
            or 0
        )
        answer = web.json_answer(
            {
                "id": comment.pk,
                "anchor": comment.anchor,
                "parent": comment.parent_id,
                "status": "pending" if held else "approved",
                "message": strings.word("held") if held else strings.word("posted"),
                # Only this response, going to the author alone, ever carries a held comment.
                "html": _render_comment(request, article=article, comment=comment, pending=held),
                "editToken": posted.edit_token if policy.edit_window_minutes else "",
                "editUntil": edit_until.isoformat() if policy.edit_window_minutes else "",
                "count": approved_count,
                "countText": comment_count_text(approved_count),
                "url": ""
                if held
                else _comment_location(
                    request=request, article=article, comment=comment, policy=policy
                ),
            },
            status=HTTPStatus.CREATED,
        )
        return _remember_guest(answer, posted.guest_token)

    if held:
        location = f"{article.get_url(request=request) or '/'}?{HELD_PARAM}=1#respond"
    else:
        location = _comment_location(
            request=request, article=article, comment=comment, policy=policy
        )
    response = HttpResponseRedirect(location, status=HTTPStatus.SEE_OTHER)
    if policy.edit_window_minutes:
        response.set_cookie(
            EDIT_COOKIE,
            f"{comment.pk}|{posted.edit_token}|{int(edit_until.timestamp())}",
            max_age=policy.edit_window_minutes * 60,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=False,
            samesite="Lax",
        )
    return web.no_store(_remember_guest(response, posted.guest_token))


def _remember_guest(response: HttpResponse, token: str) -> HttpResponse:
    if token:
        response.set_cookie(
            GUEST_COOKIE,
            token,
            max_age=actions.GUEST_TOKEN_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


# Self-service -----------------------------------------------------------------------------


def _own_comment(request: HttpRequest, comment_id: int) -> Comment | None:
    return (
        Comment.objects.select_related("thread", "commenter")
        .filter(pk=comment_id)
        .exclude(status=Comment.Status.TRASH)
        .first()
    )


def _self_service_refused(
    request: HttpRequest, *, errors: dict[str, str], status: int, as_json: bool, **extra: Any
) -> HttpResponse:
    if as_json:
        return web.json_errors(errors, status=status, **extra)
    return _message_page(
        request,
        title=_("Your comment was not changed"),
        message=" ".join(errors.values()),
        status=status,
    )


def _after_self_service(request: HttpRequest, comment: Comment) -> HttpResponse:
    article = comment.thread.article if comment.thread.article_id else None
    url = (article.get_url(request=request) if article else None) or "/"
    anchor = f"#{comment.anchor}" if comment.is_visible else "#comments"
    return web.no_store(HttpResponseRedirect(f"{url}{anchor}", status=HTTPStatus.SEE_OTHER))


def _self_service_checks(
    request: HttpRequest, comment_id: int, form: forms.Form, refusal: str
) -> HttpResponse | tuple[Comment, forms.Form]:
    """What edit and delete check before acting: CSRF, the comment, the submitted token."""
    as_json = web.wants_json(request)
    if not web.csrf_passes(request):
        return _self_service_refused(
            request,
            errors={"__all__": _("Your session has expired. Please try again.")},
            status=HTTPStatus.FORBIDDEN,
            as_json=as_json,
            csrf=True,
        )
    comment = _own_comment(request, comment_id)
    if comment is None or not form.is_valid():
        return _self_service_refused(
            request,
            errors={"__all__": refusal},
            status=HTTPStatus.NOT_FOUND if comment is None else HTTPStatus.BAD_REQUEST,
            as_json=as_json,
        )
    return comment, form


@csrf_exempt  # checked below, so the script gets a JSON answer it can act on
@require_POST
def edit_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    as_json = web.wants_json(request)
    not_utf8 = fields_not_utf8(request)  # first: it reads the body before request.POST does
    checked = _self_service_checks(
        request, comment_id, EditForm(request.POST), _("This comment can no longer be edited.")
    )
    if isinstance(checked, HttpResponse):
        return checked
    comment, form = checked
    if not_utf8:
        return _self_service_refused(
            request, errors=not_utf8, status=HTTPStatus.BAD_REQUEST, as_json=as_json
        )
    policy = DiscussionSettings.for_request(request)
    try:
        updated = actions.edit_comment(
            comment=comment,
            token=form.cleaned_data["token"],
            body=form.cleaned_data["body"] or "",
            policy=policy,
        )
    except CommentError as error:
        return _self_service_refused(
            request, errors=error.errors, status=error.status_code, as_json=as_json
        )
    if not as_json:
        return _after_self_service(request, updated)
    held = not updated.is_visible
    return web.json_answer(
        {
            "id": updated.pk,
            "status": "approved" if not held else "pending",
            "bodyHtml": updated.body_html,
            "edited": True,
            "message": strings.word("held") if held else "",
        }
    )


@csrf_exempt  # checked below, so the script gets a JSON answer it can act on
@require_POST
def delete_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    as_json = web.wants_json(request)
    checked = _self_service_checks(
        request, comment_id, DeleteForm(request.POST), _("This comment can no longer be deleted.")
    )
    if isinstance(checked, HttpResponse):
        return checked
    comment, form = checked
    policy = DiscussionSettings.for_request(request)
    try:
        deleted = actions.delete_own_comment(
            comment=comment, token=form.cleaned_data["token"], policy=policy
        )
    except CommentError as error:
        return _self_service_refused(
            request, errors=error.errors, status=error.status_code, as_json=as_json
        )
    if not as_json:
        return _after_self_service(request, deleted)
    return web.json_answer(
        {"id": deleted.pk, "status": "deleted", "message": _("Your comment was deleted.")}
    )


# Reading ----------------------------------------------------------------------------------


@require_safe
def permalink(request: HttpRequest, comment_id: int) -> HttpResponse:
    """``/comments/<id>/``: the story, at the page of the thread holding the comment. Only
    approved comments on published stories have one; anything else is not found."""
    comment = (
        Comment.objects.approved()
        .select_related("thread")
        .filter(pk=comment_id, thread__article__isnull=False)
        .first()
    )
    if comment is None or comment.thread.article_id is None:
        raise Http404(_("There is no such comment."))
    article = _published_story(comment.thread.article_id)
    policy = DiscussionSettings.for_request(request)
    return HttpResponseRedirect(
        _comment_location(request=request, article=article, comment=comment, policy=policy)
    )


@require_safe
def replies(request: HttpRequest, comment_id: int) -> HttpResponse:
    """``/comments/<id>/replies/?after=<cursor>``: the replies under a top-level comment that
    its story's thread page has no room for, a keyset page at a time."""
    root = threads.replied_comment(comment_id)
    if root is None or root.thread.article_id is None:
        raise Http404(_("There is no such comment."))
    article = _published_story(root.thread.article_id)
    try:
        page = threads.reply_page(root=root, cursor=request.GET.get("after") or None)
    except threads.InvalidCursor:
        return render(
            request,
            "discussion/message.html",
            {
                "title": _("This page of replies does not exist"),
                "message": _("The link may be old or incomplete. Start from the story."),
                "article_url": article.get_url(request=request),
            },
            status=HTTPStatus.BAD_REQUEST,
        )
    policy = DiscussionSettings.for_request(request)
    newsroom = NewsroomSettings.for_request(request)
    story_url = article.get_url(request=request) or "/"
    return TemplateResponse(
        request,
        "discussion/replies.html",
        {
            "article": article,
            # A removed comment keeps its place for its replies, never its author's name.
            "root_name": "" if page.root.is_placeholder else root.author_name,
            "comments_html": render_comments(
                [page.root],
                datetime_format=newsroom.datetime_format or DEFAULT_DATETIME_FORMAT,
                reply_base=f"{story_url}?",
                is_open=targets.comments_open(thread=root.thread, policy=policy),
            ),
            "back_url": _comment_location(
                request=request, article=article, comment=root, policy=policy
            ),
            "next_url": replies_url(root.pk, page.next_cursor) if page.next_cursor else "",
            "more_replies": page.more_replies,
        },
    )


@require_safe
@never_cache
def session(request: HttpRequest) -> JsonResponse:
    """What a cached page cannot carry: this reader's CSRF token (the cookie is set on the way
    out) and a fresh form-render stamp. Changes nothing on the server."""
    return web.json_answer({"csrfToken": get_token(request), "renderedAt": sign_rendered_at()})


@never_cache
@require_http_methods(["GET", "POST"])
def report_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    """ "Report" under a comment: a page with the reasons (no JavaScript needed); the POST
    reports (``actions.report_comment``) and thanks the reader, whatever happened to it."""
    comment = Comment.objects.approved().select_related("thread").filter(pk=comment_id).first()
    if comment is None:
        return _message_page(
            request,
            title=_("This comment cannot be reported"),
            message=_("It is not shown any more, or it never was."),
            status=HTTPStatus.NOT_FOUND,
        )
    story_url = comment.thread.url
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = HTTPStatus.OK
    if request.method == "POST" and form.is_valid():
        try:
            actions.report_comment(
                comment_id=comment.pk,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                commenter=current_commenter(request),
                guest_token=request.COOKIES.get(GUEST_COOKIE, ""),
                ip_address=web.client_ip(request),
                policy=DiscussionSettings.for_request(request),
            )
        except ratelimits.RateLimited as limited:
            response = _message_page(
                request,
                title=_("Please wait"),
                message=limited.for_reader(),
                status=HTTPStatus.TOO_MANY_REQUESTS,
                article_url=story_url,
            )
            response["Retry-After"] = str(limited.retry_after)
            return response
        except CommentError as error:
            web.add_errors(form, error.errors)
            status = error.status_code
        else:
            return _message_page(
                request,
                title=_("Thank you"),
                message=_(
                    "Your report has reached the moderators. They will look at the "
                    "comment and act if it breaks the rules."
                ),
                status=HTTPStatus.OK,
                article_url=story_url,
            )
    elif form.errors:
        status = HTTPStatus.BAD_REQUEST
    return render(
        request,
        "discussion/report.html",
        {"comment": comment, "form": form, "article_url": story_url},
        status=status,
    )


@csrf_exempt  # checked below, as for posting a comment from a cached page
@require_POST
def mark_useful(request: HttpRequest, comment_id: int) -> HttpResponse:
    """ "Useful" under a comment: counted once per reader (``actions.mark_useful``), then back
    to the comment (or a JSON answer for the script)."""
    as_json = web.wants_json(request)
    comment = Comment.objects.approved().select_related("thread").filter(pk=comment_id).first()
    if not (web.csrf_passes(request) or sessionless_same_origin(request)):
        if as_json:
            return web.json_errors(
                {"__all__": _("Your session has expired. Please try again.")},
                status=HTTPStatus.FORBIDDEN,
            )
        # A signed-in reader's cached thread carries no token: ask once more, with one.
        return web.no_store(
            render(
                request,
                "discussion/useful_confirm.html",
                {"comment": comment, "article_url": comment.thread.url if comment else "/"},
                status=HTTPStatus.FORBIDDEN,
            )
        )
    try:
        marked = actions.mark_useful(
            comment_id=comment_id,
            commenter=current_commenter(request),
            guest_token=request.COOKIES.get(GUEST_COOKIE, ""),
            reader_token=request.COOKIES.get(READER_COOKIE, ""),
            ip_address=web.client_ip(request),
        )
    except ratelimits.RateLimited as limited:
        if as_json:
            return web.json_errors(
                {"__all__": limited.for_reader()},
                status=HTTPStatus.TOO_MANY_REQUESTS,
                retry_after=limited.retry_after,
            )
        response = _message_page(
            request, title=_("Please wait"), message=limited.for_reader(), status=429
        )
        response["Retry-After"] = str(limited.retry_after)
        return response
    except CommentError as error:
        if as_json:
            return web.json_errors(error.errors, status=error.status_code)
        return _message_page(
            request,
            title=_("Not counted"),
            message=" ".join(error.errors.values()),
            status=error.status_code,
        )
    response = (
        web.json_answer({"useful": marked.useful_count, "counted": marked.counted})
        if as_json
        # Back to the comment, on the page it is on (the permalink finds it in the thread).
        else HttpResponseRedirect(reverse("discussion:permalink", args=[comment_id]))
    )
    if marked.reader_token:
        response.set_cookie(
            READER_COOKIE,
            marked.reader_token,
            max_age=actions.READER_TOKEN_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return web.no_store(response)
