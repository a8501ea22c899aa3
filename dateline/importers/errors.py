"""Errors every importer shares (free of Django, so the readers are too)."""

from __future__ import annotations


class UnreadableFile(Exception):
    """An export cannot be read at all (not well-formed, not the format named): ``str()`` is
    ``FILE:LINE: what``, and nothing has been written. Each format's reader raises its own
    subclass."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message
