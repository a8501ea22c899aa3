"""The admin's upload form: text files, a section the user may add articles to, and whether to
publish."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dateline.importers import runs, selectors
from dateline.importers.models import ImportRun
from dateline.importers.wiretext import MAX_FILE_BYTES, WireStory, WireTextError, parse_wire_bytes
from dateline.newsroom.models import SectionPage


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name. Each file's content is judged by the parser and reported
    per file, so an empty or odd file does not block the others from being imported."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class SectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} (/{selectors.section_path(obj)}/)"


class UploadForm(forms.Form):
    text_files = MultipleFileField(
        label=_("Text files"),
        widget=MultipleFileInput(attrs={"accept": ".txt,text/plain"}),
    )
    section = SectionChoiceField(
        label=_("Section"),
        queryset=SectionPage.objects.none(),
        empty_label=None,
        help_text=_("Where new articles go. A story imported before is updated where it is."),
    )
    publish = forms.BooleanField(
        label=_("Publish"),
        required=False,
        help_text=_("Publish new and updated articles at once instead of saving drafts."),
    )

    def __init__(self, *args: Any, user: AbstractBaseUser | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["text_files"].help_text = gettext(
            "One story per file, UTF-8 plain text, at most %(size)s MB each."
        ) % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        section_field = cast(SectionChoiceField, self.fields["section"])
        section_field.queryset = selectors.importable_sections(user=user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        section = cleaned.get("section")
        if (
            cleaned.get("publish")
            and section is not None
            and not section.permissions_for_user(self.user).can_publish_subpage()
        ):
            self.add_error("publish", _("You may not publish articles in this section."))
        return cleaned

    def parsed_stories(self) -> list[WireStory | WireTextError]:
        """Every uploaded file, parsed or with the reason it could not be."""
        parsed: list[WireStory | WireTextError] = []
        for upload in self.cleaned_data["text_files"]:
            name = upload.name or "upload.txt"
            try:
                # One byte over the cap is enough to refuse the file; the rest is never read.
                parsed.append(parse_wire_bytes(upload.read(MAX_FILE_BYTES + 1), filename=name))
            except WireTextError as error:
                parsed.append(error)
        return parsed


class SiteImportForm(forms.Form):
    """A whole site's export for the worker to import: the file, its format, and whether only
    to report what would happen."""

    export_file = forms.FileField(
        label=_("Export file"),
        widget=forms.FileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )
    format = forms.ChoiceField(label=_("Format"), widget=forms.RadioSelect)
    dry_run = forms.BooleanField(
        label=_("Dry run"),
        required=False,
        help_text=_("Read everything and report what would happen, writing nothing."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        format_field = cast(forms.ChoiceField, self.fields["format"])
        format_field.choices = runs.available_formats()
        format_field.initial = ImportRun.Format.WORDPRESS
        self.fields["export_file"].help_text = gettext(
            "The exported .xml file, at most %(size)s MB."
        ) % {"size": settings.DATELINE_IMPORT_MAX_MB}

    def clean_export_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["export_file"]
        name = upload.name or ""
        # Only plain XML: a compressed export would make the size limit mean something else
        # (and could unpack to far more than it says).
        if not name.lower().endswith(".xml"):
            raise forms.ValidationError(
                _("Upload the export as an .xml file (unpack a .zip or .gz first)."),
                code="extension",
            )
        limit = settings.DATELINE_IMPORT_MAX_MB * 1024 * 1024
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _(
                    "This file is %(size)s MB; the most this page accepts is %(limit)s MB. "
                    "Import it with the dateline import-wordpress command instead."
                ),
                code="too_large",
                params={
                    "size": f"{upload.size / (1024 * 1024):,.1f}",
                    "limit": settings.DATELINE_IMPORT_MAX_MB,
                },
            )
        upload.seek(0)
        start = upload.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n")
        upload.seek(0)
        if not start.startswith(b"<"):
            raise forms.ValidationError(
                _("This file is not XML: an export starts with <?xml or <rss."), code="not_xml"
            )
        return upload
