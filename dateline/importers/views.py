from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dateline.importers import actions, runs, selectors
from dateline.importers.forms import SiteImportForm, UploadForm
from dateline.importers.models import ImportRun


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


# Importing a whole site (WordPress, Disqus) in the background --------------------------------

RECENT_RUNS = 50


def _may_import(request: HttpRequest) -> None:
    if not runs.may_import(request.user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def site_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form and the imports so far, newest first. POST: keep the file, queue the
    import and go to its page. Only POST starts anything (and Django's CSRF check guards it)."""
    _may_import(request)
    if request.method == "POST":
        form = SiteImportForm(request.POST, request.FILES)
        if form.is_valid():
            run = runs.start(
                upload=form.cleaned_data["export_file"],
                format=form.cleaned_data["format"],
                dry_run=form.cleaned_data["dry_run"],
                user=request.user,
            )
            messages.success(
                request,
                _("%(name)s is uploaded; the import runs in the background.")
                % {"name": run.original_name},
            )
            return redirect("dateline_import_run", pk=run.pk)
    else:
        form = SiteImportForm()
    recent = list(ImportRun.objects.select_related("created_by")[:RECENT_RUNS])
    now = timezone.now()
    return TemplateResponse(
        request,
        "importers/site_import.html",
        {
            "form": form,
            "runs": [(run, runs.is_stalled(run, now=now)) for run in recent],
            "max_mb": settings.DATELINE_IMPORT_MAX_MB,
        },
    )


@require_http_methods(["GET", "HEAD"])
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its progress while it runs (the page reloads itself every few seconds), then
    its summary and warnings, or the error."""
    _may_import(request)
    run = get_object_or_404(ImportRun.objects.select_related("created_by"), pk=pk)
    report = runs.report_from_dict(run.report) if run.status == ImportRun.Status.DONE else None
    stalled = runs.is_stalled(run)
    return TemplateResponse(
        request,
        "importers/import_run.html",
        {
            "run": run,
            "stalled": stalled,
            "stalled_minutes": int(runs.STALLED_AFTER.total_seconds() // 60),
            "waiting_long": runs.is_waiting_long(run),
            "refresh": run.status in {ImportRun.Status.QUEUED, ImportRun.Status.RUNNING}
            and not stalled,
            "report": report,
            "summary": runs.summary_lines(report) if report else [],
            "warnings": [str(w) for w in report.warnings] if report else [],
            "can_run_again": runs.can_run_again(run),
        },
    )


@require_http_methods(["GET", "HEAD"])
def import_report(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The finished run's report as a download: JSON (``Report.as_dict()``) or plain text."""
    _may_import(request)
    if kind not in {"json", "txt"}:
        raise Http404
    run = get_object_or_404(ImportRun, pk=pk, status=ImportRun.Status.DONE)
    stem = f"import-{run.pk}-report"
    if kind == "json":
        response = HttpResponse(
            json.dumps(run.report, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
    else:
        text = "\n".join(runs.report_from_dict(run.report).lines()) + "\n"
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}.{kind}"'
    return response


@require_POST
def import_again(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the kept file again: after a failure or a stall (the import carries on where it
    stopped), or for real after a dry run."""
    _may_import(request)
    run = get_object_or_404(ImportRun, pk=pk)
    if runs.run_again(run, dry_run=request.POST.get("dry_run") == "1"):
        messages.success(request, _("The import is queued again."))
    else:
        messages.error(request, _("This import cannot be started again."))
    return redirect("dateline_import_run", pk=run.pk)


@require_POST
def import_delete_file(request: HttpRequest, pk: int) -> HttpResponse:
    """Forget the uploaded export (it holds readers' emails and addresses) before the import
    would have deleted it."""
    _may_import(request)
    run = get_object_or_404(ImportRun, pk=pk)
    if run.status in {ImportRun.Status.QUEUED, ImportRun.Status.RUNNING} and not (
        runs.is_stalled(run)
    ):
        messages.error(request, _("Wait for the import to finish before deleting its file."))
    else:
        runs.delete_file(run)
        messages.success(request, _("The uploaded file is deleted."))
    return redirect("dateline_import_run", pk=run.pk)
