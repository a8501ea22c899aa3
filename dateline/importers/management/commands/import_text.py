"""``dateline import-text FILE...``: import wire copy in the plain-text shape of a scraped news
page (see docs/importing.md). Every file is parsed before anything is written; each good file is
then saved in its own transaction, every file gets a line saying what happened, and the exit
status is 1 when any file was not imported."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from dateline.importers import actions, selectors
from dateline.importers.wiretext import WireStory, WireTextError, parse_wire_file


class Command(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        # Translated here, not in class attributes: the language is only known once Django runs.
        parser.description = gettext(
            "Import stories from plain-text wire copy as article drafts. Importing a story "
            "again updates its article."
        )
        parser.add_argument("files", nargs="+", metavar="FILE", help=gettext("text files"))
        parser.add_argument(
            "--section",
            metavar="SLUG",
            help=gettext(
                "the section for new articles, by slug (or path, e.g. world/sport); "
                "default: the first section under the home page"
            ),
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help=gettext("publish the articles instead of leaving them as drafts"),
        )

    def handle(
        self, *args: Any, files: list[str], section: str | None, publish: bool, **options: Any
    ) -> None:
        try:
            target = selectors.find_section(ref=section) if section else selectors.default_section()
        except selectors.SectionNotFound as error:
            raise CommandError(str(error)) from None

        parsed: list[WireStory | WireTextError] = []
        for path in files:
            try:
                parsed.append(parse_wire_file(path))
            except WireTextError as error:
                parsed.append(error)

        reports = actions.import_stories(stories=parsed, section=target, publish=publish)
        for report in reports:
            if report.failed:
                self.stderr.write(report.message)
            elif options["verbosity"] > 0:
                self.stdout.write(report.message)

        failed = sum(report.failed for report in reports)
        if failed:
            raise CommandError(
                ngettext(
                    "%(failed)d of %(total)d file was not imported.",
                    "%(failed)d of %(total)d files were not imported.",
                    len(reports),
                )
                % {"failed": failed, "total": len(reports)}
            )
