"""How sizes, score changes, statuses and places in a file are written for people: one rule each.

Pure functions, no Flask and no database, so the web pages, the reports and
the importer all print the same thing the same way.
"""

from __future__ import annotations

from collections.abc import Iterable


def human_size(size: int) -> str:
    """Return a byte count for people: '1 byte', '812 bytes', '2 KB', '47.1 KB', '10 MB'."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} byte{'s' if size != 1 else ''}"


def signed(change: int | None, *, missing: str = "n/a") -> str:
    """Return a score change with its sign (+5, -3, \u00b10), or `missing` when there is none."""
    if change is None:
        return missing
    return f"{change:+d}" if change else "\u00b10"


def status_label(status: str) -> str:
    """Return an assessment or job status as a reader says it: 'in_review' -> 'In review'."""
    return status.replace("_", " ").capitalize()


def json_path(location: Iterable[str | int]) -> str:
    """Return a place in a document the way every error message names it: themes[0].principles[2].id."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
