"""Signed values (the session cookie, CSRF tokens) checked once per process, not on every request.

A browser sends the same session cookie and the same CSRF token with request
after request, and checking one (base64, HMAC, timestamp, decompression,
JSON) was a noticeable share of a page save. A value that verified is
remembered, exactly as sent, with what it holds and when it was signed; the
same value again is answered from memory while it is still within its
maximum age. Anything else (a new value, a changed one, one that no longer
fits the age) is checked in full by itsdangerous, which raises as always.
The memory belongs to one serializer, so a new secret key starts afresh.
"""

from __future__ import annotations

import time
from typing import Any

from itsdangerous import URLSafeTimedSerializer

REMEMBERED = 1024  # values per serializer and process: one per active session is plenty


class RememberingSerializer:
    """An itsdangerous timed serializer that remembers the values it verified."""

    def __init__(self, serializer: URLSafeTimedSerializer) -> None:
        self.serializer = serializer
        # value as sent -> (its payload serialized again, the time it was signed)
        self._verified: dict[str | bytes, tuple[Any, float]] = {}

    def dumps(self, obj: Any) -> str:
        return self.serializer.dumps(obj)

    def loads(self, value: str | bytes, max_age: int | None = None) -> Any:
        """Return what a signed value holds; raise BadSignature (or SignatureExpired) as itsdangerous."""
        known = self._verified.get(value)
        if known is not None:
            payload, signed_at = known
            age = time.time() - signed_at
            if age >= 0 and (max_age is None or age <= max_age):
                # Read again from its text: the caller gets objects of its own to change.
                return self.serializer.serializer.loads(payload)
        obj, signed = self.serializer.loads(value, max_age=max_age, return_timestamp=True)
        if len(self._verified) >= REMEMBERED:
            self._verified.clear()
        self._verified[value] = (self.serializer.serializer.dumps(obj), signed.timestamp())
        return obj
