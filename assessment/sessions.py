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

import hashlib
from typing import Any

from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer

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
    serializer each time cost more than checking the signature. A changed
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
        self._serializer: tuple[tuple, URLSafeTimedSerializer | None] | None = None
        self._flash_signer: tuple[tuple, URLSafeSerializer] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]

    def flash_signer(self, app: Flask) -> URLSafeSerializer:
        """Return the signer of the flash cookie for the app's current keys (built once per keys).

        itsdangerous, as the session: HMAC-SHA256 with a key derived from the
        secret key and this cookie's own salt; it signs with the secret key
        and still verifies what a fallback key signed. A message carries no
        secret and no time, so there is no timestamp.
        """
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._flash_signer
        if cached is None or cached[0] != keys:
            signer = URLSafeSerializer(
                [*keys[1], keys[0]],  # the newest last, as itsdangerous wants
                salt=self.flash_salt,
                serializer=self.serializer,
                signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
            )
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
        try:
            flashes = self.flash_signer(app).loads(value)
        except BadData:  # not signed with any of the keys, or not what was signed
            return None
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
