"""Read a page only once it shows what a click led to: a navigation may still be running."""

from __future__ import annotations


def shows(page, text: str, timeout_ms: int = 10_000) -> bool:
    """Wait until the page holds this text, then say whether its HTML holds it.

    Waits for the text to be in the page, shown or not (a closed `<details>` counts):
    the point is that the page the click led to has arrived.
    """
    page.get_by_text(text).first.wait_for(state="attached", timeout=timeout_ms)
    return text in page.content()
