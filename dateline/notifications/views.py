"""Subscription pages. Every response about an address is the same whether or not that
address is subscribed, and no GET changes anything: mail scanners and link previews follow
every link in a message, so confirming and unsubscribing take a POST."""

from __future__ import annotations

import math
from collections.abc import Callable
from http import HTTPStatus

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from dateline import ratelimits, web
from dateline.addresses import normalise_email
from dateline.discussion.actions import thread_for_article
from dateline.discussion.models import Thread
from dateline.identity.selectors import current_commenter
from dateline.newsroom.models import ArticlePage
from dateline.notifications import actions, tokens
from dateline.notifications.forms import FollowForm, NewPostsForm
from dateline.notifications.models import Subscription


def _rate_limited(request: HttpRequest, error: ratelimits.RateLimited) -> HttpResponse:
    response = TemplateResponse(
        request,
        "notifications/rate_limited.html",
        {"minutes": max(1, math.ceil(error.retry_after / 60)), "message": error.message},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(error.retry_after)
    return response


def _bad_link(request: HttpRequest, *, expired: bool = False) -> HttpResponse:
    return TemplateResponse(
        request,
        "notifications/bad_link.html",
        {"expired": expired},
        status=HTTPStatus.GONE if expired else HTTPStatus.BAD_REQUEST,
    )


def _requested() -> HttpResponse:
    # After a POST, a redirect: reloading the page must not send the request again.
    return HttpResponseRedirect(reverse("notifications:requested"))


def _follow(
    request: HttpRequest, *, get_thread: Callable[[], Thread], title: str, url: str
) -> HttpResponse:
    form = FollowForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            actions.subscribe(
                email=form.cleaned_data["email"],
                kind=form.cleaned_data["what"],
                frequency=form.cleaned_data["frequency"],
                thread=get_thread(),
                # A signed-in reader following a story with their own address: "replies to
                # my comments" then means this identity's comments, and a verified address
                # needs no confirmation email.
                commenter=current_commenter(request),
                ip_address=web.client_ip(request),
            )
        except ratelimits.RateLimited as error:
            return _rate_limited(request, error)
        except actions.SubscriptionError as error:
            web.add_errors(form, error.errors)
        else:
            return _requested()
    return TemplateResponse(
        request,
        "notifications/follow.html",
        {"form": form, "story_title": title, "story_url": url},
        status=HTTPStatus.BAD_REQUEST if form.is_bound and form.errors else HTTPStatus.OK,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def follow_article(request: HttpRequest, article_id: int) -> HttpResponse:
    """ "Follow this story": every new comment, or only replies to mine."""
    article = get_object_or_404(ArticlePage.objects.published(), pk=article_id)
    return _follow(
        request,
        # A story's thread is made when someone first follows or comments on it.
        get_thread=lambda: thread_for_article(article=article),
        title=article.title,
        url=article.url or "/",
    )


@never_cache
@require_http_methods(["GET", "POST"])
def follow_thread(request: HttpRequest, thread_id: int) -> HttpResponse:
    """Following a discussion by its thread (stories on other sites that embed Dateline)."""
    thread = get_object_or_404(Thread.objects.select_related("article"), pk=thread_id)
    url = thread.url
    if thread.article is not None:
        # A story that is not (or no longer) published has no discussion to follow.
        if not ArticlePage.objects.published().filter(pk=thread.article.pk).exists():
            raise Http404
        url = thread.article.url or "/"
    return _follow(request, get_thread=lambda: thread, title=str(thread), url=url)


@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """New stories by email: the whole site or chosen sections, at once or in a digest."""
    form = NewPostsForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        sections = list(form.cleaned_data["sections"]) or [None]
        try:
            actions.subscribe_many(
                email=form.cleaned_data["email"],
                requests=[
                    actions.SubscriptionRequest(
                        kind=Subscription.Kind.POSTS,
                        frequency=form.cleaned_data["frequency"],
                        section=section,
                    )
                    for section in sections
                ],
                ip_address=web.client_ip(request),
            )
        except ratelimits.RateLimited as error:
            return _rate_limited(request, error)
        except actions.SubscriptionError as error:
            web.add_errors(form, error.errors)
        else:
            return _requested()
    return TemplateResponse(
        request,
        "notifications/subscribe.html",
        {"form": form},
        status=HTTPStatus.BAD_REQUEST if form.is_bound and form.errors else HTTPStatus.OK,
    )


@never_cache
@require_http_methods(["GET"])
def requested(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "notifications/requested.html", {})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (a link scanner following the link confirms nothing); the POST
    from that button starts the subscriptions."""
    try:
        if request.method == "POST":
            subscriptions = actions.confirm(token=token)
            return TemplateResponse(
                request,
                "notifications/confirmed.html",
                {
                    "subscriptions": subscriptions,
                    "manage_token": tokens.manage_token(
                        subscriber=tokens.read_confirm_token(token).subscriber
                    ),
                },
            )
        tokens.read_confirm_token(token)
    except actions.ExpiredToken:
        return _bad_link(request, expired=True)
    except actions.InvalidToken:
        return _bad_link(request)
    return TemplateResponse(request, "notifications/confirm.html", {})


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """Everything an address receives, each with a button to stop it. The signed link in
    every message is the key; there is no account to sign in to."""
    try:
        subscriber = tokens.read_manage_token(token)
    except actions.InvalidToken:
        return _bad_link(request)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "remove_all":
            actions.remove_all(subscriber=subscriber)
        elif action == "remove":
            try:
                subscription_id = int(request.POST.get("subscription", ""))
            except ValueError:
                subscription_id = 0
            actions.remove_subscription(subscriber=subscriber, subscription_id=subscription_id)
        elif action in {"moderation_off", "moderation_on"}:
            actions.set_moderation_notices(subscriber=subscriber, enabled=action == "moderation_on")
        return HttpResponseRedirect(reverse("notifications:manage", args=[token]) + "?saved=1")
    subscriptions = subscriber.subscriptions.select_related("thread__article", "section").order_by(
        "pk"
    )
    is_moderator = subscriber.email in {normalise_email(u.email) for u in actions.moderators()}
    return TemplateResponse(
        request,
        "notifications/manage.html",
        {
            "subscriber": subscriber,
            "subscriptions": list(subscriptions),
            "is_moderator": is_moderator,
            "saved": request.GET.get("saved") == "1",
        },
    )


# RFC 8058: the one-click POST comes from the mail provider's servers, with no cookie and so
# no CSRF token; the signed token in the address is the authorisation. Only this view is
# exempt, and what it can do is limited to stopping email to the address it was sent to.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (scanners follow links); POST — the mail provider's one-click or the button
    on that page — unsubscribes."""
    try:
        if request.method == "POST":
            scope = actions.unsubscribe(token=token)
        else:
            scope = tokens.read_unsubscribe_token(token)
    except actions.InvalidToken:
        return _bad_link(request)
    return TemplateResponse(
        request,
        "notifications/unsubscribe.html",
        {
            "done": request.method == "POST",
            "moderation": scope.moderation,
            "manage_token": tokens.manage_token(subscriber=scope.subscriber),
        },
    )
