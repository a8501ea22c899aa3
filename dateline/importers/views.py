from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from dateline.importers import actions, selectors
from dateline.importers.forms import UploadForm


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """GET shows the form; POST imports the files and shows what happened to each one. Wagtail
    has already checked the user may use the admin; here they must also be able to add pages
    to at least one section."""
    user = request.user
    if not selectors.importable_sections(user=user).exists():
        raise PermissionDenied
    reports: list[actions.FileReport] = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            reports = actions.import_stories(
                stories=form.parsed_stories(),
                section=form.cleaned_data["section"],
                publish=form.cleaned_data["publish"],
                user=None if user.is_anonymous else user,
            )
            # A fresh form for the next batch, keeping the choices just made.
            form = UploadForm(
                user=user,
                initial={
                    "section": form.cleaned_data["section"],
                    "publish": form.cleaned_data["publish"],
                },
            )
    else:
        try:
            initial = {"section": selectors.default_section()}
        except selectors.SectionNotFound:
            initial = {}
        form = UploadForm(user=user, initial=initial)
    return TemplateResponse(
        request,
        "importers/upload.html",
        {
            "form": form,
            "reports": reports,
            "failed": sum(report.failed for report in reports),
        },
    )
