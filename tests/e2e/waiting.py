"""Read a page only once it shows what a click led to: a navigation may still be running."""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout

# The page's HTML as `page.content()` gives it, less the doctype, searched inside the page
# (a document just started has no root element yet).
IN_THE_HTML = "text => (document.documentElement?.outerHTML ?? '').includes(text)"


def shows(page, text: str, timeout_ms: int = 10_000) -> bool:
    """Wait until the page's HTML holds this text (in its markup or its attributes); say if it did.

    The check runs in the page every 25 ms, and again in the next document when a
    navigation replaces this one (before it starts, the old page is what is read).
    """
    try:
        page.wait_for_function(IN_THE_HTML, arg=text, polling=25, timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True
