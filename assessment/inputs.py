"""Hostile input, turned away at the edge: ids, digits, redirect targets and request bodies.

Each check here exists because the value reached the database or a header
and answered 500: an id past the database's integer range, a number written
with non-ASCII digits, a redirect target with a newline, a JSON body where a
form was expected. Bad input is a 4xx that says what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

# Ids are INTEGER columns: PostgreSQL's range is the narrower one.
MAX_ID = 2**31 - 1
ASCII_DIGITS = re.compile(r"[0-9]+")
# What a local path and query from this app's own url_for can contain.
LOCAL_TARGET = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*")


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` for database ids: ASCII digits only, 1 to MAX_ID; anything else is a 404."""

    regex = r"[0-9]{1,19}"

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(text: str | None) -> int | None:
    """Return a database id written in ASCII digits within range, else None."""
    if text is None or not ASCII_DIGITS.fullmatch(text) or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def parse_count(text: str | None, maximum: int = MAX_ID) -> int | None:
    """Return a non-negative whole number written in ASCII digits up to `maximum`, else None."""
    if text is None or not ASCII_DIGITS.fullmatch(text) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def safe_local_target(target: str | None) -> str | None:
    """Return `target` if it can only lead to a page of this site, else None.

    Browsers drop tabs and newlines from URLs, read a backslash as a slash and
    decode some escapes, so `/\\evil`, `/%09/evil` and `/\t/evil` all become
    `//evil`: another host. Only a plain ASCII path that stays a path however
    often it is decoded is accepted.
    """
    if not target or len(target) > 2000 or not LOCAL_TARGET.fullmatch(target):
        return None
    decoded = target
    for _ in range(3):
        decoded = unquote(decoded)
        if any(unicodedata.category(ch)[0] in "CZ" for ch in decoded):
            return None
        normalised = unicodedata.normalize("NFKC", decoded).replace("\\", "/")
        if normalised.startswith("//") or not normalised.startswith("/"):
            return None
        parts = urlsplit(normalised)
        if parts.scheme or parts.netloc:
            return None
    return target


def refuse_json_bodies() -> None:
    """Answer 415 to a JSON body sent to a page that takes a form.

    Flask-WTF would read the JSON as form data, and a list or a nested object
    there breaks the form machinery in ways that end in a 500.
    """
    if request.blueprint == "api":  # the JSON API reads JSON, with its own models
        return
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and request.is_json:
        abort(415, "This address takes a form or a file upload, not a JSON body.")


def refuse_nul_characters() -> None:
    """Answer 400 to a form value (or file name) holding U+0000.

    No text a person types holds it, and PostgreSQL refuses to store it in a
    text column: caught here, it is a clear message instead of a 500. Query
    strings are left to the views, which never store them (a login's `next=`
    is checked and ignored when it is not a local page).
    """
    if request.method not in ("POST", "PUT", "PATCH") or request.is_json:
        return
    if request.mimetype == "application/x-www-form-urlencoded":
        body = request.get_data(cache=True)  # the form is read from this copy
        if b"%00" not in body and b"\x00" not in body:
            return  # no value of this body decodes to U+0000: nothing to look at one by one
    values = [text for key, texts in request.form.lists() for text in (key, *texts)]
    values += [f.filename or "" for f in request.files.values()]
    if any("\x00" in value for value in values):
        abort(400, "The form held a NUL character (U+0000), which no field accepts.")


def register_input_guards(app: Flask) -> None:
    """Bound every `<int:...>` in a URL and refuse bodies the views cannot read."""
    # Before any blueprint is registered: rules pick their converter when added.
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(refuse_json_bodies)
    app.before_request(refuse_nul_characters)
