""".env.example is the list of every environment variable Dateline reads. These tests read
the source for the variables the code asks for and fail when one is missing from the file
(or the file lists one nothing reads), so the list cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from tests.servers import PROJECT_DIR

SOURCE_DIR = PROJECT_DIR / "dateline"
ENV_EXAMPLE = PROJECT_DIR / ".env.example"

NAME = r"[A-Z][A-Z0-9_]*"
# env.get_str("NAME"), env.get_int(\n "NAME", …) (get_str("NAME") inside env.py itself),
# os.environ["NAME"], os.environ.get("NAME"), os.getenv("NAME"), and env.py's
# _required("NAME", …) which reads it with get_str. Not get_client_pair: it takes a prefix.
READS = re.compile(
    rf"""(?:\b(?:env\.)?get_(?!client_pair)\w+\(|\bos\.environ\.get\(|\bos\.environ\[|\bos\.getenv\("""
    rf"""|\b_required\()\s*["']({NAME})["']"""
)
# env.get_client_pair("PREFIX") reads PREFIX_CLIENT_ID and PREFIX_CLIENT_SECRET.
CLIENT_PAIRS = re.compile(rf"""\bget_client_pair\(\s*["']({NAME})["']""")
# Set for Django by the entry points, not configuration a deployment gives.
NOT_CONFIGURATION = {"DJANGO_SETTINGS_MODULE"}


def variables_read_by_the_code() -> set[str]:
    found: set[str] = set()
    for path in SOURCE_DIR.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        found |= set(READS.findall(source))
        # Names built from a prefix: each built-in sign-in provider's client id and secret.
        for prefix in CLIENT_PAIRS.findall(source):
            found |= {f"{prefix}_CLIENT_ID", f"{prefix}_CLIENT_SECRET"}
    return found - NOT_CONFIGURATION


def listed_variables(text: str) -> dict[str, int]:
    """``NAME=value`` lines (not commented out) and their line numbers."""
    listed: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(rf"({NAME})=", line)
        if match:
            listed[match.group(1)] = number
    return listed


def test_the_source_scan_finds_the_variables_it_should():
    # Guards the regular expression: if it stopped matching, every other check would pass.
    found = variables_read_by_the_code()

    assert {
        "SECRET_KEY",
        "DATELINE_WEB_WORKERS",
        "DATELINE_SPAM_CHECKERS",
        "DATELINE_CLOUDFLARE_ZONE_ID",
        "DATELINE_GOOGLE_CLIENT_ID",
        "DATELINE_WORDPRESS_CLIENT_SECRET",
        "AKISMET_URL",
    } <= found
    assert len(found) > 50


def test_every_variable_the_code_reads_is_in_env_example():
    listed = listed_variables(ENV_EXAMPLE.read_text(encoding="utf-8"))

    missing = sorted(variables_read_by_the_code() - set(listed))

    assert missing == [], f"add these to .env.example, with their default: {missing}"


def test_env_example_lists_nothing_the_code_does_not_read():
    listed = listed_variables(ENV_EXAMPLE.read_text(encoding="utf-8"))

    stale = sorted(set(listed) - variables_read_by_the_code())

    assert stale == [], f"nothing reads these any more: {stale}"


def test_every_variable_in_env_example_comes_under_a_comment_saying_what_it_is():
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()

    uncommented = []
    for name, number in listed_variables("\n".join(lines)).items():
        # Walk up the block the line belongs to (blocks are separated by blank lines).
        above = number - 2
        while above >= 0 and lines[above].strip() and not lines[above].startswith("#"):
            above -= 1
        if above < 0 or not lines[above].startswith("#"):
            uncommented.append(name)

    assert uncommented == []


def test_env_example_names_the_numbered_openid_connect_variables():
    assert "DATELINE_OIDC_1_ID" in Path(ENV_EXAMPLE).read_text(encoding="utf-8")
