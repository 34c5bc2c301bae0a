"""Read a page only once it shows what a click led to: a navigation may still be running."""

from __future__ import annotations

import time

from playwright.sync_api import TimeoutError as PlaywrightTimeout

# The page's HTML as `page.content()` gives it, less the doctype, searched inside the page
# (a document just started has no root element yet).
IN_THE_HTML = "text => (document.documentElement?.outerHTML ?? '').includes(text)"


def shows(page, text: str, timeout_ms: int = 10_000) -> bool:
    """Wait until the page's HTML holds this text (in its markup or its attributes); say if it did.

    The check runs in the page every 25 ms, and again in the next document when a
    navigation replaces this one (before it starts, the old page is what is read). It is
    started afresh every 250 ms: in a context with script turned off the page's own timers
    may never fire, and a check started on the old document would then never look again.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left_ms = (deadline - time.monotonic()) * 1000
        if left_ms <= 0:
            return False
        try:
            page.wait_for_function(IN_THE_HTML, arg=text, polling=25, timeout=min(250, left_ms))
        except PlaywrightTimeout:
            continue
        return True
