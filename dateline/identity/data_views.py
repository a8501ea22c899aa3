"""A reader's own data by email address, without an account (``dateline.identity.rights``):
ask for a link, then download or erase. Thin: forms in, rights functions, pages out."""

from __future__ import annotations

import datetime
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from dateline import ratelimits, web
from dateline.identity import rights
from dateline.identity.actions import LinkError
from dateline.identity.forms import DataRequestForm, EraseDataForm
from dateline.identity.models import IdentitySettings
from dateline.notifications import emails


@never_cache
@require_http_methods(["GET", "POST"])
def data_request(request: HttpRequest) -> HttpResponse:
    """ "Your data": type the address; a link is sent whatever is stored about it."""
    form = DataRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        policy = IdentitySettings.for_request(request)
        try:
            rights.send_data_link(
                email=form.cleaned_data["email"],
                # From the configured address, never the Host header.
                link_url_for=lambda token: (
                    settings.BASE_URL + reverse("identity:data_link", kwargs={"token": token})
                ),
                site_name=emails.Brand.current().site_name,
                ip_address=web.client_ip(request),
                valid_hours=policy.email_link_hours,
            )
        except rights.BadAddress as error:
            form.add_error("email", str(error))
        except ratelimits.RateLimited as limited:
            form.add_error(None, limited.for_reader())
            response = render(request, "identity/data_request.html", {"form": form}, status=429)
            response["Retry-After"] = str(limited.retry_after)
            return response
        else:
            return render(request, "identity/data_sent.html", {"email": form.cleaned_data["email"]})
    return render(
        request,
        "identity/data_request.html",
        {"form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def data_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the email. Opening it (GET) shows what there is and two buttons; mail
    scanners open links too, so only a POST downloads or erases."""
    policy = IdentitySettings.for_request(request)
    try:
        link = rights.read_data_link(
            token=token, max_age=datetime.timedelta(hours=policy.email_link_hours)
        )
    except LinkError as error:
        return _link_refused(request, error)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "export":
        response = JsonResponse(
            rights.export_address(link.email),
            json_dumps_params={"indent": 2, "ensure_ascii": False},
        )
        response["Content-Disposition"] = 'attachment; filename="my-data.json"'
        return response
    form = EraseDataForm(request.POST if action == "erase" else None)
    if action == "erase" and form.is_valid():
        try:
            erased = rights.erase_address(
                link.email, mode=policy.deleted_comments, link_id=link.link_id
            )
        except LinkError as error:  # used meanwhile (another tab, a double click)
            return _link_refused(request, error)
        return render(
            request,
            "identity/data_erased.html",
            {"erased": erased, "remove": policy.deleted_comments == policy.DeletedComments.REMOVE},
        )
    return render(
        request,
        "identity/data_link.html",
        {
            "email": link.email,
            "counts": rights.summary(link.email),
            "form": form,
            "remove": policy.deleted_comments == policy.DeletedComments.REMOVE,
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


def _link_refused(request: HttpRequest, error: LinkError) -> HttpResponse:
    return render(
        request, "identity/email_link_invalid.html", {"message": error.message}, status=400
    )
