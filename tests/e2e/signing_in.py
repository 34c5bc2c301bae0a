"""Sign a browser context in without drawing the login form, for tests about what comes after.

The context's own HTTP client sends what the form sends (the CSRF token from the login page,
the e-mail and the password) to the real login view, with the browser's user agent and
address, so the context holds the same session cookie as after a click on "Log in". Tests of
the login form itself still fill it in the page.
"""

from __future__ import annotations

import re

from tests.factories import PASSWORD

CSRF_TOKEN = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"')


def log_in(context, base: str, email: str, password: str = PASSWORD) -> str:
    """Log the browser context in as this user; return the page the login sends them to."""
    form = context.request.get(f"{base}/auth/login")
    token = CSRF_TOKEN.search(form.text())
    assert token, "the login page has no CSRF token"
    response = context.request.post(
        f"{base}/auth/login",
        form={"csrf_token": token.group(1), "email": email, "password": password},
        max_redirects=0,
    )
    landing = response.headers.get("location", "")
    assert response.status == 302 and "/auth/login" not in landing, f"{email} could not log in"
    return landing if landing.startswith("http") else base + landing
