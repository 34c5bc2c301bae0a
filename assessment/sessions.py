"""The signed session cookie, and a cookie of its own for flashed messages.

Flask keeps flashed messages in the session, so a page that says "Saved"
after a redirect wrote the whole signed session cookie again to carry the
message, and the page showing it wrote it once more to drop it: a noticeable
share of a page save. Here the messages travel in a small signed cookie of
their own (`<session cookie name>_flashes`), set when a message is flashed and
deleted once it has been shown. The session cookie is written only when the
session itself changes. `flash()` and `get_flashed_messages()` work as
always: in the request, the messages sit in the session under `_flashes`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from assessment.signed_values import REMEMBERED, RememberingSerializer

FLASHES = "_flashes"  # where Flask's flash() keeps messages in the session


class SessionJSON(TaggedJSONSerializer):
    """Flask's session serializer, passing plain strings, numbers and booleans straight through.

    Flask tries each of its tags on every value; these types carry none.
    """

    PLAIN = frozenset({str, int, float, bool, type(None)})

    def tag(self, value: Any) -> Any:
        if type(value) in self.PLAIN:
            return value
        return super().tag(value)


class FlashSigner:
    """Sign flashed messages for their cookie, and verify them: `<payload>.<HMAC-SHA256>`.

    The keys are derived once from the secret key (and its fallbacks, which
    still verify); a message carries no secret and no time, so nothing else
    is needed, and signing stays a small share of the request that flashes.
    """

    def __init__(self, secret_keys: list, salt: str, serializer: TaggedJSONSerializer) -> None:
        self.keys = [
            hmac.new(_bytes(secret), salt.encode(), hashlib.sha256).digest()
            for secret in reversed(secret_keys)  # the current key first
        ]
        self.serializer = serializer
        self._signed: dict[str, str] = {}

    def dumps(self, flashes: list) -> str:
        text = self.serializer.dumps(flashes)
        signed = self._signed.get(text)
        if signed is None:  # the same messages sign the same: "Saved: 1 answer changed."
            payload = base64.urlsafe_b64encode(text.encode()).rstrip(b"=")
            signed = f"{payload.decode()}.{self._mac(self.keys[0], payload)}"
            if len(self._signed) >= REMEMBERED:
                self._signed.clear()
            self._signed[text] = signed
        return signed

    def loads(self, value: str) -> Any:
        """Return the signed messages, or None when the value does not verify."""
        payload, _, mac = value.encode("ascii", "replace").rpartition(b".")
        if not any(hmac.compare_digest(self._mac(key, payload).encode(), mac) for key in self.keys):
            return None
        try:
            padded = payload + b"=" * (-len(payload) % 4)
            return self.serializer.loads(base64.urlsafe_b64decode(padded).decode())
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None

    @staticmethod
    def _mac(key: bytes, payload: bytes) -> str:
        digest = hmac.new(key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


class FlashingSession(SecureCookieSession):
    """The session, where setting or taking the flashed messages does not mark it modified.

    `sent_flashes` is what the flash cookie held when the request came (None
    when it held something that did not verify); the response writes that
    cookie only when the messages differ from it.
    """

    sent_flashes: list | None = []  # never changed in place: replaced per session

    def __setitem__(self, key: str, value: Any) -> None:
        if key == FLASHES:
            dict.__setitem__(self, key, value)
        else:
            super().__setitem__(key, value)

    def pop(self, key: str, *default: Any) -> Any:
        if key == FLASHES:
            return dict.pop(self, key, *default)
        return super().pop(key, *default)


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, its serializer built once, its flashes in their own cookie.

    Every request reads the cookie and many write it; building the
    serializer each time cost more than checking the signature, and a
    cookie that verified is not checked again (`signed_values`). A changed
    key (or fallback list) builds a new one. The signature is the same as
    Flask's (HMAC-SHA1), so existing cookies stay valid, and messages an
    older cookie still carries are moved to the flash cookie.
    """

    serializer = SessionJSON()
    session_class = FlashingSession
    # SHA-1 as Flask's own, but hashlib's function itself: Flask passes a Python wrapper
    # around it, and HMAC then falls back to its slow pure-Python construction.
    digest_method = staticmethod(hashlib.sha1)
    flash_salt = "flashed-messages"

    def __init__(self) -> None:
        self._serializer: tuple[tuple, RememberingSerializer | None] | None = None
        self._flash_signer: tuple[tuple, FlashSigner] | None = None

    def get_signing_serializer(self, app: Flask) -> RememberingSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            serializer = super().get_signing_serializer(app)
            remembering = RememberingSerializer(serializer) if serializer is not None else None
            cached = self._serializer = (keys, remembering)
        return cached[1]

    def flash_signer(self, app: Flask) -> FlashSigner:
        """Return the signer of the flash cookie for the app's current keys."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._flash_signer
        if cached is None or cached[0] != keys:
            signer = FlashSigner([*keys[1], keys[0]], self.flash_salt, self.serializer)
            cached = self._flash_signer = (keys, signer)
        return cached[1]

    def flash_cookie_name(self, app: Flask) -> str:
        """Return the name of the cookie that carries flashed messages."""
        return f"{self.get_cookie_name(app)}{FLASHES}"

    def open_session(self, app: Flask, request: Request) -> FlashingSession | None:
        session = super().open_session(app, request)
        if session is None:
            return None
        carried = dict.pop(session, FLASHES, None)
        if carried is not None:  # a cookie signed when messages travelled in the session
            session.modified = True
        sent = session.sent_flashes = self._read_flashes(app, request)
        flashes = [*(sent or ()), *(carried or ())]
        if flashes:
            dict.__setitem__(session, FLASHES, flashes)
        return session

    def _read_flashes(self, app: Flask, request: Request) -> list | None:
        """Return the messages of the flash cookie: [] without one, None when it does not verify."""
        value = request.cookies.get(self.flash_cookie_name(app))
        if not value:
            return []
        flashes = self.flash_signer(app).loads(value)
        return flashes if isinstance(flashes, list) else None

    def save_session(self, app: Flask, session: FlashingSession, response: Response) -> None:
        flashes = dict.pop(session, FLASHES, None) or []
        if flashes != session.sent_flashes:
            self._write_flashes(app, response, flashes)
            if not session.accessed:  # else Flask's own save says it (one parse of Vary)
                response.vary.add("Cookie")
        super().save_session(app, session, response)

    def _write_flashes(self, app: Flask, response: Response, flashes: list) -> None:
        """Set the flash cookie to these messages, or delete it when there are none."""
        options = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "partitioned": self.get_cookie_partitioned(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }
        name = self.flash_cookie_name(app)
        if flashes:
            value = self.flash_signer(app).dumps(flashes)
            response.set_cookie(name, value, **options)
        else:
            response.delete_cookie(name, **options)
