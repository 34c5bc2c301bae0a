"""Security headers on every response, and the cookie settings that go with them."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

# No inline script or style anywhere: templates link the one stylesheet, and
# nothing on a page runs script, so 'self' is all either needs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
# The tool needs none of these powerful features; deny them to anything on the page.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Assessment URLs name an organisation's assessments and evidence links go to
# its own systems: other sites learn nothing, not even that this tool was used.
REFERRER_POLICY = "same-origin"

# A year, the usual minimum for preload lists; subdomains are left to their own servers.
HSTS = "max-age=31536000"

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": REFERRER_POLICY,
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SessionJSON(TaggedJSONSerializer):
    """Flask's session serializer, passing plain strings, numbers and booleans straight through.

    Flask tries each of its tags on every value; these types carry none.
    """

    PLAIN = frozenset({str, int, float, bool, type(None)})

    def tag(self, value: Any) -> Any:
        if type(value) in self.PLAIN:
            return value
        return super().tag(value)


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its signing serializer built once, not per request.

    Every request reads the cookie and many write it; building the
    serializer each time cost more than checking the signature. A changed
    key (or fallback list) builds a new one. The signature is the same as
    Flask's (HMAC-SHA1), so existing cookies stay valid.
    """

    serializer = SessionJSON()
    # SHA-1 as Flask's own, but hashlib's function itself: Flask passes a Python wrapper
    # around it, and HMAC then falls back to its slow pure-Python construction.
    digest_method = staticmethod(hashlib.sha1)

    def __init__(self) -> None:
        self._serializer: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]


def register_security(app: Flask) -> None:
    """Set the cookie defaults and add the security headers to every response."""
    app.session_interface = SessionCookies()
    # The remember-me cookie follows the session cookie; set either explicitly to differ.
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", app.config["SESSION_COOKIE_SAMESITE"])
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.after_request(add_security_headers)
    if app.config.get("SESSION_COOKIE_SECURE"):
        # Cookies that only travel over HTTPS go with a site that is only reached over it.
        app.after_request(add_hsts)


def add_hsts(response: Response) -> Response:
    """Tell browsers to use HTTPS only for this site for a year."""
    response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


# What a signed-in page may be kept as: nowhere (see `add_security_headers`).
PRIVATE_NO_STORE = "no-store, private"


def add_security_headers(response: Response) -> Response:
    """Add the security headers, keeping any a view set itself (a download's sandbox CSP)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    for name, value in HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    present_cache_control = "cache-control" in present
    if request.endpoint != "static" and current_user.is_authenticated:
        # An organisation's answers must not linger in shared or back-button caches.
        if not present_cache_control:
            headers.add("Cache-Control", PRIVATE_NO_STORE)  # the common case, without a parse
        else:
            response.cache_control.no_store = True
            response.cache_control.private = True
            response.cache_control.public = False
            response.cache_control.max_age = None
    return response
