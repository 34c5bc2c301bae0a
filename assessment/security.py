"""Security headers on every response, and the cookie settings that go with them."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

from assessment.sessions import SessionCookies

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

# Responses that never carry an organisation's data. They do not ask who is signed
# in: a health probe from a signed-in browser must answer without the database.
NO_USER_ENDPOINTS = frozenset({"static", "health.healthz", "health.readyz"})

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
    if request.endpoint not in NO_USER_ENDPOINTS and current_user.is_authenticated:
        # An organisation's answers must not linger in shared or back-button caches.
        if not present_cache_control:
            headers.add("Cache-Control", PRIVATE_NO_STORE)  # the common case, without a parse
        else:
            response.cache_control.no_store = True
            response.cache_control.private = True
            response.cache_control.public = False
            response.cache_control.max_age = None
    return response
