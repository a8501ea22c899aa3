"""Reader-facing identity pages and endpoints. Thin: decisions live in ``actions``,
``selectors`` and the allauth adapters; every answer here is per reader and never cached.

The provider icons, "confirm my email" and "Log Out" submit the comment form itself, which a
cached page serves without a token. So those views run the CSRF check themselves
(``web.csrf_passes``): instead of a bare 403 a failed check gets a page with a fresh token that
asks again, carrying what was typed, and nothing changes on the server until that second POST."""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.conf import settings
from django.core.exceptions import MultipleObjectsReturned
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dateline import ratelimits, web
from dateline.discussion.actions import CommentError
from dateline.discussion.models import Comment
from dateline.identity import actions, returns, selectors, session
from dateline.identity.forms import DeleteIdentityForm, EmailLinkForm
from dateline.identity.models import IdentitySettings
from dateline.notifications import emails

logger = logging.getLogger(__name__)

MY_COMMENTS_PER_PAGE = 50


def _referer_path(request: HttpRequest) -> str:
    referer = request.headers.get("Referer", "")
    origin = f"{request.scheme}://{request.get_host()}"
    return referer[len(origin) :] if referer.startswith(origin + "/") else ""


def _next_path(request: HttpRequest) -> str:
    raw = request.GET.get("next") or request.POST.get("next") or _referer_path(request)
    return returns.safe_return_path(raw, request=request)


def _session_expired() -> str:
    return _("Your session has expired. Please try again.")


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "identity/unavailable.html", status=404)


# Signing in with a provider ---------------------------------------------------------------


@csrf_exempt  # checked by web.csrf_passes: a failed check falls back to the GET page
@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start signing in with a provider. A POST with a good token (the comment form's icon
    without JavaScript, or the page below submitting itself) goes to the provider at once;
    a GET (the popup) answers a tiny page whose form POSTs back here."""
    choice = selectors.provider_choice(request, provider_id)
    if choice is None:
        return _unavailable(request)
    next_path = _next_path(request)
    popup = request.GET.get("popup") == "1"
    if request.method == "POST" and web.csrf_passes(request):
        return _go_to_provider(
            request, choice=choice, next_path=next_path, popup=popup, draft=request.POST
        )
    # Submitted by script only when the request came from our own pages (or was typed):
    # a page on another site may link here but cannot start a sign-in unseen.
    fetch_site = request.headers.get("Sec-Fetch-Site", "same-origin")
    query = {"next": next_path, **({"popup": "1"} if popup else {})}
    return render(
        request,
        "identity/start.html",
        {
            "provider": choice,
            "action": f"{choice.start_url}?{urlencode(query)}",
            "autosubmit": fetch_site in {"same-origin", "none"},
            "return_url": returns.article_anchor(next_path),
            "draft": session.draft_items(request.POST) if request.method == "POST" else [],
        },
    )


# What asks each provider to show its account chooser (OpenID Connect Core 3.1.2.1
# ``prompt=select_account``; Facebook's ``auth_type=reauthenticate``). X and WordPress.com
# have no such parameter: their own sign-out is the way to another account.
CHOOSE_ACCOUNT_PARAMS: dict[str, dict[str, str]] = {
    "google": {"prompt": "select_account"},
    "openid_connect": {"prompt": "select_account"},
    "facebook": {"auth_type": "reauthenticate"},
}


def _go_to_provider(
    request: HttpRequest,
    *,
    choice: selectors.ProviderChoice,
    next_path: str,
    popup: bool,
    draft: Any,
) -> HttpResponse:
    session.keep_draft(request, path=next_path, data=draft)
    session.set_pending(request, provider_id=choice.id, next_path=next_path, popup=popup)
    finish = returns.finish_url(next_path=next_path, popup=popup)
    try:
        provider = get_adapter(request).get_provider(request, choice.id)
        # Scope and parameters come from configuration only, never from the request.
        auth_params = dict(provider.get_auth_params())
        if session.pop_changing_account(request):
            # After "Change", the provider's own account chooser, not a silent sign-in
            # with the account the browser is already signed in to there.
            kind = getattr(provider.app, "provider", "") or provider.id
            auth_params.update(CHOOSE_ACCOUNT_PARAMS.get(kind, {}))
        response: HttpResponse = provider.redirect(
            request, process=AuthProcess.LOGIN, next_url=finish, auth_params=auth_params
        )
        return session.set_hint(response)
    except (requests.RequestException, OAuth2Error, KeyError, ValueError) as error:
        # An OpenID Connect provider is asked for its configuration before we can send the
        # reader there: when it does not answer, say so in the form.
        logger.warning("Could not start a sign-in with %s: %r", choice.id, error)
        session.set_notice(
            request,
            message=_(
                "%(provider)s could not be reached, so you are not signed in. Please try again "
                "in a moment, or fill in your details below."
            )
            % {"provider": choice.name},
        )
        return session.set_hint(HttpResponseRedirect(finish))


@never_cache
@require_safe
def finish(request: HttpRequest) -> HttpResponse:
    """Where the provider's round trip ends. In a popup: a page that tells the article (same
    origin only) and closes; otherwise straight back to the comment form."""
    next_path = returns.safe_return_path(request.GET.get("next"), request=request)
    return_url = returns.article_anchor(next_path)
    if request.GET.get("popup") != "1":
        return HttpResponseRedirect(return_url)
    commenter = selectors.current_commenter(request)
    return render(
        request,
        "identity/finish.html",
        {"return_url": return_url, "signed_in": commenter is not None},
    )


def guard_provider_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap allauth's provider views: an unknown or switched-off provider is a 404 and an
    unreachable one a message in the form, never a server error."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (SocialApp.DoesNotExist, MultipleObjectsReturned):
            return _unavailable(request)
        except (requests.RequestException, OAuth2Error, KeyError, ValueError) as error:
            logger.warning("Sign-in provider failed at %s: %r", request.path, error)
            pending = session.get_pending(request)
            next_path = returns.safe_return_path(pending.get("next"), request=request)
            session.set_notice(
                request,
                message=_(
                    "The sign-in provider could not be reached, so you are not signed in. "
                    "Please try again in a moment, or fill in your details below."
                ),
            )
            return HttpResponseRedirect(
                returns.finish_url(next_path=next_path, popup=bool(pending.get("popup")))
            )

    return guarded


@never_cache
def provider_stopped(request: HttpRequest) -> HttpResponse:
    """allauth's "login cancelled" and "login error" pages, which our adapter normally
    pre-empts: back to the form with a message."""
    pending = session.get_pending(request)
    next_path = returns.safe_return_path(pending.get("next"), request=request)
    session.set_notice(request, message=_("You are not signed in. Please try again."))
    return HttpResponseRedirect(
        returns.finish_url(next_path=next_path, popup=bool(pending.get("popup")))
    )


# The signed-in state ----------------------------------------------------------------------


@never_cache
@require_safe
def me(request: HttpRequest) -> JsonResponse:
    """The reader's identity for the comment form's script. Articles are cached for anonymous
    readers, so who is signed in is never in their HTML: it comes from here, with the form's
    one-time notice and, for ``?path=`` the article, a draft the server kept."""
    commenter = selectors.current_commenter(request)
    data = selectors.identity_summary(request, commenter)
    data["notice"] = session.pop_notice(request)
    path = request.GET.get("path")
    draft = session.pop_draft(request, path=path) if path else {}
    data["draft"] = draft or None
    data["csrf_token"] = get_token(request)
    if commenter is not None:
        data["links"] = {
            "sign_out": reverse("identity:sign_out"),
            "comments": reverse("identity:my_comments"),
            "export": reverse("identity:export"),
            "delete": reverse("identity:delete"),
        }
    response = web.json_answer(data)
    if commenter is None and not session.get_pending(request):
        # Nothing left for the script to ask about on the next page.
        session.clear_hint(response)
    return response


@csrf_exempt  # checked by web.csrf_passes: a failed check asks again with a fresh token
@never_cache
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """ "Log Out" and "Change" (which also signs out, then shows the choices again)."""
    next_path = _next_path(request)
    change = "1" in (request.POST.get("change"), request.GET.get("change"))
    if not web.csrf_passes(request):
        if web.wants_json(request):
            return web.json_errors({"__all__": _session_expired()}, status=HTTPStatus.FORBIDDEN)
        return render(
            request,
            "identity/sign_out_confirm.html",
            {
                "next_path": next_path,
                "change": change,
                "return_url": returns.article_anchor(next_path),
            },
        )
    actions.sign_out_commenter(request)
    if change:
        session.mark_changing_account(request)
    response: HttpResponse
    if web.wants_json(request):
        response = web.json_answer({"signed_in": False})
    else:
        anchor = "#sign-in-choices" if change else "#respond"
        response = HttpResponseRedirect(f"{next_path}{anchor}")
    return session.clear_hint(response)


# The commenter's own data -----------------------------------------------------------------


@never_cache
@require_safe
def my_comments(request: HttpRequest) -> HttpResponse:
    commenter = selectors.current_commenter(request)
    if commenter is None:
        return render(request, "identity/not_signed_in.html", status=403)
    comments = (
        Comment.objects.filter(commenter=commenter)
        .select_related("thread")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(comments, MY_COMMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "identity/my_comments.html",
        {
            "commenter": commenter,
            "identity": selectors.identity_summary(request, commenter),
            "page_obj": page,
        },
    )


@never_cache
@require_safe
def export(request: HttpRequest) -> JsonResponse:
    """A download of everything stored about the signed-in identity. Reading it changes
    nothing, so a GET is right; the attachment header keeps it out of the browser window."""
    commenter = selectors.current_commenter(request)
    if commenter is None:
        return web.json_errors(
            {"__all__": _("You are not signed in.")}, status=HTTPStatus.FORBIDDEN
        )
    response = JsonResponse(
        actions.export_commenter_data(commenter=commenter),
        json_dumps_params={"indent": 2, "ensure_ascii": False},
    )
    response["Content-Disposition"] = 'attachment; filename="my-comments.json"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    commenter = selectors.current_commenter(request)
    if commenter is None:
        return render(request, "identity/not_signed_in.html", status=403)
    policy = IdentitySettings.for_request(request)
    form = DeleteIdentityForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        count = actions.delete_identity(commenter=commenter, mode=policy.deleted_comments)
        actions.sign_out_commenter(request)
        response = render(
            request, "identity/deleted.html", {"count": count, "mode": policy.deleted_comments}
        )
        return session.clear_hint(response)
    return render(
        request,
        "identity/delete.html",
        {
            "form": form,
            "identity": selectors.identity_summary(request, commenter),
            "count": Comment.objects.filter(commenter=commenter).count(),
            "remove": policy.deleted_comments == IdentitySettings.DeletedComments.REMOVE,
        },
        status=400 if form.errors else 200,
    )


# Verified guests --------------------------------------------------------------------------


@csrf_exempt  # checked by web.csrf_passes, as for start()
@never_cache
@require_http_methods(["GET", "POST"])
def email_request(request: HttpRequest) -> HttpResponse:
    """Ask for a one-time link that confirms the guest's email address."""
    next_path = _next_path(request)
    as_json = web.wants_json(request)
    form = EmailLinkForm(initial={"name": request.GET.get("name", "")})
    if request.method == "POST" and not web.csrf_passes(request):
        if as_json:
            return web.json_errors(
                {"__all__": _session_expired()}, status=HTTPStatus.FORBIDDEN, sent=False
            )
        # Asked again with a fresh token, showing what was typed; nothing sent yet.
        form = EmailLinkForm(
            initial={k: request.POST.get(k, "") for k in ("name", "email", "website")}
        )
    elif request.method == "POST":
        form = EmailLinkForm(request.POST)
        try:
            sent = form.is_valid() and _send_email_link(request, form=form, next_path=next_path)
        except ratelimits.RateLimited as limited:
            return _email_link_rate_limited(
                request, form=form, next_path=next_path, limited=limited, as_json=as_json
            )
        if sent:
            message = _(
                "We have sent a link to %(email)s. Open it to confirm your address; your "
                "comments will then appear under your name as a verified reader."
            ) % {"email": form.cleaned_data["email"]}
            # Kept on the server as well: the link is often opened in another tab or window.
            session.keep_draft(request, path=next_path, data=request.POST)
            if as_json:
                return session.set_hint(web.json_answer({"sent": True, "message": message}))
            session.set_notice(request, message=message, level="info")
            return session.set_hint(HttpResponseRedirect(returns.article_anchor(next_path)))
        if as_json:
            errors = {
                field: " ".join(map(str, messages)) for field, messages in form.errors.items()
            }
            return web.json_errors(errors, status=HTTPStatus.BAD_REQUEST, sent=False)
    return _email_request_page(
        request,
        form=form,
        next_path=next_path,
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


def _email_request_page(
    request: HttpRequest, *, form: EmailLinkForm, next_path: str, status: int
) -> HttpResponse:
    return render(
        request,
        "identity/email_request.html",
        {
            "form": form,
            "next_path": next_path,
            "return_url": returns.article_anchor(next_path),
            "draft": [
                (k, v) for k, v in session.draft_items(request.POST) if k in ("body", "parent")
            ],
        },
        status=status,
    )


def _email_link_rate_limited(
    request: HttpRequest,
    *,
    form: EmailLinkForm,
    next_path: str,
    limited: ratelimits.RateLimited,
    as_json: bool,
) -> HttpResponse:
    """429 with Retry-After (as the subscription pages answer), and the same words for the
    reader whether the script or the page asked: why, and how long to wait. What was typed
    stays in the form."""
    text = limited.for_reader()
    response: HttpResponse
    if as_json:
        response = web.json_errors(
            {"__all__": text},
            status=HTTPStatus.TOO_MANY_REQUESTS,
            sent=False,
            retry_after=limited.retry_after,
        )
    else:
        form.add_error(None, text)
        response = _email_request_page(
            request, form=form, next_path=next_path, status=HTTPStatus.TOO_MANY_REQUESTS
        )
    response["Retry-After"] = str(limited.retry_after)
    return response


def _send_email_link(request: HttpRequest, *, form: EmailLinkForm, next_path: str) -> bool:
    """Queue the link; on bad details put the reason on the form and answer False. A rate
    limit is raised to the caller, which answers 429."""
    policy = IdentitySettings.for_request(request)
    try:
        actions.send_email_link(
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            website=form.cleaned_data["website"],
            next_path=next_path,
            # From the configured address, never the Host header: a link in an email must
            # not point wherever a forged request said.
            confirm_url_for=lambda token: (
                settings.BASE_URL + reverse("identity:email_confirm", kwargs={"token": token})
            ),
            # Named as every other message from the site is (the publisher's name first).
            site_name=emails.Brand.current().site_name,
            ip_address=web.client_ip(request),
            valid_hours=policy.email_link_hours,
        )
    except CommentError as error:
        web.add_errors(form, error.errors)
        return False
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the email. Opening it (GET) only shows a button: mail scanners open
    links too, and must not use up the reader's one-time link."""
    max_age = datetime.timedelta(hours=IdentitySettings.for_request(request).email_link_hours)
    try:
        if request.method == "POST":
            commenter, link = actions.use_email_link(token=token, max_age=max_age)
        else:
            link = actions.read_email_link(token=token, max_age=max_age)
    except actions.LinkError as error:
        return render(
            request, "identity/email_link_invalid.html", {"message": error.message}, status=400
        )
    next_path = returns.safe_return_path(link.next_path, request=request)
    if request.method == "GET":
        return render(request, "identity/email_confirm.html", {"link": link})
    actions.sign_in_commenter(request=request, commenter=commenter)
    return session.set_hint(HttpResponseRedirect(returns.article_anchor(next_path)))
