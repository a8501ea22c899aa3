"""The Arabic catalogues of dateline/identity and dateline/notifications (their Python strings;
their templates are in the project catalogue, checked by tests/newsroom/test_arabic.py): every
string translated, compiled, and in step with what the source marks for translation."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.i18n import makemessages_on_a_copy

PACKAGE_DIR = Path(django_settings.BASE_DIR)
APPS = ("identity", "notifications")

needs_gettext = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("msgfmt", "msgattrib", "msgcat", "xgettext")),
    reason="gettext is not installed (apt-get install gettext)",
)


def catalogue(root: Path, app: str) -> Path:
    return root / app / "locale" / "ar" / "LC_MESSAGES" / "django.po"


def gettext_tool(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def msgids(po: Path) -> set[str]:
    """Each entry's context, id and plural id, whatever the line wrapping."""
    flat = gettext_tool("msgcat", "--no-wrap", "--no-location", str(po))
    keys = set()
    for block in flat.split("\n\n"):
        lines = [line for line in block.splitlines() if line.startswith(("msgctxt", "msgid"))]
        if lines and lines != ['msgid ""']:
            keys.add("\n".join(lines))
    return keys


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    """makemessages on a copy of the package, as docs/architecture.md says to run it."""
    return makemessages_on_a_copy(tmp_path_factory.mktemp("messages"))


@needs_gettext
@pytest.mark.parametrize("app", APPS)
def test_every_string_has_an_arabic_translation_with_six_plural_forms(app, tmp_path):
    po = catalogue(PACKAGE_DIR, app)

    # -c: header, plural forms (nplurals=6, every msgstr[n]) and each %(name)s kept.
    gettext_tool("msgfmt", "-c", "-o", str(tmp_path / "django.mo"), str(po))
    assert gettext_tool("msgattrib", "--untranslated", "--no-obsolete", str(po)) == ""
    assert gettext_tool("msgattrib", "--only-fuzzy", str(po)) == ""
    assert "Plural-Forms: nplurals=6;" in po.read_text(encoding="utf-8")


@needs_gettext
@pytest.mark.parametrize("app", APPS)
def test_the_committed_mo_file_is_the_compiled_po_file(app, tmp_path):
    po = catalogue(PACKAGE_DIR, app)
    compiled = tmp_path / "django.mo"

    gettext_tool("msgfmt", "-o", str(compiled), str(po))

    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), (
        f"run msgfmt --check-format -o django.mo django.po in {po.parent}"
    )


@needs_gettext
@pytest.mark.parametrize("app", APPS)
def test_the_catalogue_has_exactly_the_strings_the_source_marks(app, regenerated):
    fresh = catalogue(regenerated, app)

    assert msgids(fresh) == msgids(catalogue(PACKAGE_DIR, app))
    assert gettext_tool("msgattrib", "--untranslated", "--no-obsolete", str(fresh)) == ""
    assert gettext_tool("msgattrib", "--only-fuzzy", "--no-obsolete", str(fresh)) == ""
