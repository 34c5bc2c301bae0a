"""Read a page only once it shows what a click led to: a navigation may still be running."""

from __future__ import annotations

import time

from playwright.sync_api import Error


def shows(page, text: str, timeout_ms: int = 10_000) -> bool:
    """Wait until the page's HTML holds this text (in its markup or its attributes); say if it did.

    Reading the HTML while a navigation runs raises, and before it starts gives the old
    page: so ask again until the text is there or the time is up.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            if text in page.content():
                return True
        except Error:
            pass  # the page is navigating: its HTML is not readable yet
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(100)
