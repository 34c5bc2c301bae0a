"""Read a page only once it shows what a click led to: a navigation may still be running."""

from __future__ import annotations


def shows(page, text: str, timeout_ms: int = 10_000) -> bool:
    """Wait until the page shows this text, then say whether its HTML holds it."""
    page.get_by_text(text).first.wait_for(timeout=timeout_ms)
    return text in page.content()
