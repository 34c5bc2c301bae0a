"""The app's CSRF check accepts and refuses exactly what Flask-WTF's own check does.

`assessment.csrf.CSRFProtection` builds its token serializer once per key;
every request here is checked by it twice (the serializer built, then
reused) and by Flask-WTF's own `CSRFProtect.protect`, and all three must
agree: the same acceptance, or the same 400 and message.
"""

from __future__ import annotations

import time

import pytest
from flask import g, session
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from itsdangerous import URLSafeTimedSerializer

from assessment.extensions import csrf

RAW = "0123456789abcdef0123456789abcdef01234567"  # what the session holds


def signed(raw: str = RAW, secret: str | None = None, app=None) -> str:
    """Sign a session's raw token as Flask-WTF does (with this secret, else the app's)."""
    return URLSafeTimedSerializer(secret or app.secret_key, salt="wtf-csrf-token").dumps(raw)


def outcome(check) -> str | tuple[int, str]:
    g.pop("csrf_valid", None)
    try:
        check()
    except CSRFError as refused:
        return refused.code, refused.description
    return "accepted" if g.get("csrf_valid") else "not checked"


def three_ways(app, *, session_token=RAW, **request) -> list:
    """Check one request three ways: ours twice, then Flask-WTF's; return each answer."""
    with app.test_request_context(**request):
        if session_token is not None:
            session["csrf_token"] = session_token
        return [
            outcome(csrf.protect),
            outcome(csrf.protect),
            outcome(lambda: CSRFProtect.protect(csrf)),
        ]


@pytest.fixture
def checked(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def cases(app) -> dict[str, dict]:
    token = signed(app=app)
    payload, stamp, mac = token.rsplit(".", 2)
    return {
        "valid": {"method": "POST", "data": {"csrf_token": token}},
        "valid in the header": {"method": "POST", "headers": {"X-CSRFToken": token}},
        "valid under a prefixed name": {"method": "POST", "data": {"page-csrf_token": token}},
        "a GET is not checked": {"method": "GET"},
        "missing": {"method": "POST", "data": {"other": "x"}},
        "empty": {"method": "POST", "data": {"csrf_token": ""}},
        "no token in the session": {
            "method": "POST", "data": {"csrf_token": token}, "session_token": None,
        },
        "garbage": {"method": "POST", "data": {"csrf_token": "not.a.token"}},
        "another key": {"method": "POST", "data": {"csrf_token": signed(secret="other", app=app)}},
        "signature changed": {"method": "POST", "data": {"csrf_token": f"{payload}.{stamp}.{mac[:-2]}xx"}},
        "another session's token": {"method": "POST", "data": {"csrf_token": signed("f" * 40, app=app)}},
        "https without a referrer": {
            "method": "POST", "data": {"csrf_token": token}, "base_url": "https://vp.example",
        },
        "https from another site": {
            "method": "POST", "data": {"csrf_token": token}, "base_url": "https://vp.example",
            "headers": {"Referer": "https://evil.example/form"},
        },
        "https from the site": {
            "method": "POST", "data": {"csrf_token": token}, "base_url": "https://vp.example",
            "headers": {"Referer": "https://vp.example/assessments/"},
        },
    }  # fmt: skip


CASE_NAMES = [
    "valid", "valid in the header", "valid under a prefixed name", "a GET is not checked",
    "missing", "empty", "no token in the session", "garbage", "another key", "signature changed",
    "another session's token", "https without a referrer", "https from another site",
    "https from the site",
]  # fmt: skip


@pytest.mark.parametrize("name", CASE_NAMES)
def test_the_check_agrees_with_flask_wtf(checked, name):
    request = cases(checked)[name]
    ours_first, ours_again, flask_wtf = three_ways(checked, **request)
    assert ours_first == ours_again == flask_wtf
    if name == "a GET is not checked":
        assert flask_wtf == "not checked"
    elif name.startswith("valid") or name == "https from the site":
        assert flask_wtf == "accepted"
    else:
        assert flask_wtf[0] == 400


def test_an_expired_token_is_refused_as_flask_wtf_refuses_it(checked, monkeypatch):
    checked.config["WTF_CSRF_TIME_LIMIT"] = 60
    token = signed(app=checked)
    with checked.test_request_context(method="POST", data={"csrf_token": token}):
        session["csrf_token"] = RAW
        assert outcome(csrf.protect) == "accepted"
        later = time.time() + 120
        monkeypatch.setattr(time, "time", lambda: later)
        expired = (400, "The CSRF token has expired.")
        assert outcome(csrf.protect) == expired
        assert outcome(lambda: CSRFProtect.protect(csrf)) == expired


def test_a_token_is_refused_once_the_secret_key_changes(checked):
    token = signed(app=checked)
    with checked.test_request_context(method="POST", data={"csrf_token": token}):
        session["csrf_token"] = RAW
        assert outcome(csrf.protect) == "accepted"
    checked.config["SECRET_KEY"] = "a new secret key"
    with checked.test_request_context(method="POST", data={"csrf_token": token}):
        session["csrf_token"] = RAW
        invalid = (400, "The CSRF token is invalid.")
        assert outcome(csrf.protect) == invalid
        assert outcome(lambda: CSRFProtect.protect(csrf)) == invalid


def test_the_token_the_pages_carry_is_flask_wtfs(checked):
    with checked.test_request_context(method="POST"):
        token = generate_csrf()
        raw = session["csrf_token"]
        assert URLSafeTimedSerializer(checked.secret_key, salt="wtf-csrf-token").loads(token) == raw


@pytest.mark.parametrize("csrf_key", ["a key for CSRF only", ""])
def test_a_csrf_key_of_its_own_is_used_as_flask_wtf_uses_it(checked, csrf_key):
    checked.config["WTF_CSRF_SECRET_KEY"] = csrf_key
    own = URLSafeTimedSerializer(csrf_key, salt="wtf-csrf-token").dumps(RAW)
    app_signed = signed(app=checked)
    assert three_ways(checked, method="POST", data={"csrf_token": own}) == ["accepted"] * 3
    refused = three_ways(checked, method="POST", data={"csrf_token": app_signed})
    assert refused == [(400, "The CSRF token is invalid.")] * 3


def test_without_any_key_both_refuse_to_run(checked):
    checked.config["WTF_CSRF_SECRET_KEY"] = None
    with checked.test_request_context(method="POST", data={"csrf_token": "x"}):
        for check in (csrf.protect, lambda: CSRFProtect.protect(csrf)):
            with pytest.raises(RuntimeError, match="A secret key is required to use CSRF."):
                check()
