"""Helpers for the importer tests: the fixture files, and stories written on the fly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED_NAME = "000_e0bc2a2d236096d8.txt"

# A complete story in the wire shape, for tests that change one thing about it.
STORY = """Ferry service resumes on the Tigris

Time: 2020/11/20 21:28:39

(Baghdad: River Wire) The ferry company said on Friday that its boats would run again.

The spokesman asked passengers to be patient.

Rana Aziz
"""


@pytest.fixture
def fixture_path() -> Callable[[str], Path]:
    return lambda name: FIXTURES / name


@pytest.fixture
def story_file(tmp_path: Path) -> Callable[..., Path]:
    """Write text (or bytes, written as they are) to a file in a fresh folder."""

    def write(content: str | bytes = STORY, name: str = "story.txt") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def seed_file(shared_dir: Path) -> Path:
    path = shared_dir / "seed" / SEED_NAME
    if not path.is_file():
        pytest.skip(f"{path} is not there")
    return path
