"""Check laid-out report pages: no text box may extend beyond its page's content area.

WeasyPrint's `Document.pages[i]._page_box` is the root of the page's box tree;
the header and footer live in margin boxes, outside the content area by design,
so they are left out. Everything else that holds text (line boxes and the text
boxes inside them) must lie within the content area, or a reader loses text.
"""

from __future__ import annotations

from dataclasses import dataclass

from weasyprint.formatting_structure import boxes

TOLERANCE = 0.5  # CSS px: rounding in the layout, far below anything a reader sees


@dataclass(frozen=True)
class Overflow:
    page: int  # 1-based
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom
    area: tuple[float, float, float, float]

    def __str__(self) -> str:
        return f"page {self.page}: {self.text[:60]!r} at {self.box} outside {self.area}"


def content_area(page_box: boxes.PageBox) -> tuple[float, float, float, float]:
    """Return the page's content area as (left, top, right, bottom) in CSS px."""
    left, top = page_box.content_box_x(), page_box.content_box_y()
    return left, top, left + page_box.width, top + page_box.height


def _text_of(box: boxes.Box) -> str:
    if isinstance(box, boxes.TextBox):
        return box.text
    return "".join(_text_of(child) for child in getattr(box, "children", ()))


def _walk(box: boxes.Box, *, skip_positioned: bool = False):
    yield box
    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.MarginBox):
            continue
        # A fixed box (the DRAFT watermark) repeats on every page: it is no page's content.
        if skip_positioned and child.style["position"] in ("fixed", "absolute"):
            continue
        yield from _walk(child, skip_positioned=skip_positioned)


def text_boxes(page_box: boxes.PageBox):
    """Yield every line box and text box on a page, margin boxes left out."""
    for box in _walk(page_box):
        if isinstance(box, boxes.TextBox | boxes.LineBox):
            yield box


def overflows(document) -> list[Overflow]:
    """Return every text or line box that extends beyond its page's content area."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        area = content_area(page_box)
        for box in text_boxes(page_box):
            text = _text_of(box).strip()
            if not text:
                continue
            left, top = box.position_x, box.position_y
            right, bottom = left + box.margin_width(), top + box.margin_height()
            if isinstance(box, boxes.LineBox):
                # A line box spans its container; what matters is where its text ends.
                right = max(
                    (c.position_x + c.margin_width() for c in box.children if _text_of(c).strip()),
                    default=left,
                )
            if (
                left < area[0] - TOLERANCE
                or top < area[1] - TOLERANCE
                or right > area[2] + TOLERANCE
                or bottom > area[3] + TOLERANCE
            ):
                found.append(Overflow(number, text, (left, top, right, bottom), area))
    return found


def page_fill(document, number: int) -> float:
    """Return how far down its content area a page's text and charts reach, from 0 to 1."""
    page_box = document.pages[number - 1]._page_box
    left, top, right, bottom = content_area(page_box)
    lowest = top
    for box in _walk(page_box, skip_positioned=True):
        holds_text = isinstance(box, boxes.LineBox) and _text_of(box).strip()
        if holds_text or isinstance(box, boxes.ReplacedBox):
            lowest = max(lowest, box.position_y + box.margin_height())
    return (lowest - top) / (bottom - top)
