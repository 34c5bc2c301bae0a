"""Hardening: security headers, no inline script or style, cookies, login throttling, logout."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.sessions import SecureCookieSessionInterface
from flask_login.utils import encode_cookie
from itsdangerous import BadSignature

from assessment import create_app, throttle
from assessment.extensions import db
from assessment.models import LoginFailure, User, utcnow
from assessment.security import CONTENT_SECURITY_POLICY
from tests.factories import PASSWORD, make_user

GENERIC = "Email or password is not right."
THROTTLED = "Too many failed attempts to log in. Wait 15 minutes and try again."


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    return app_config


def flashes(html: str) -> list[str]:
    return re.findall(r'<li class="flash [^"]*">([^<]*)</li>', html)


# --- headers --------------------------------------------------------------------------------


def assert_security_headers(response, csp=CONTENT_SECURITY_POLICY):
    assert response.headers["Content-Security-Policy"] == csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_the_policy_allows_no_inline_script_or_style_and_no_framing():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", ["/", "/auth/login", "/catalogue/", "/no-such-page", "/static/style.css"]
)
def test_anonymous_responses_carry_the_security_headers(client, path):
    assert_security_headers(client.get(path))


def test_signed_in_pages_carry_the_headers_and_are_not_cached(client, logged_in):
    for path in (
        "/assessments/",
        f"/assessments/{logged_in}/",
        f"/assessments/{logged_in}/principles/P1",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert_security_headers(response)
        assert "no-store" in response.headers["Cache-Control"]
        assert "private" in response.headers["Cache-Control"]


def test_anonymous_pages_may_be_cached(client):
    assert "no-store" not in client.get("/catalogue/").headers.get("Cache-Control", "")


def test_report_downloads_carry_the_headers(client, logged_in):
    response = client.get(f"/assessments/{logged_in}/report.csv")
    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" in response.headers["Cache-Control"]


def test_evidence_downloads_keep_their_sandbox_policy_and_get_the_rest(client, app, logged_in):
    client.post(
        f"/assessments/{logged_in}/questions/P1.1/evidence/upload",
        data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "policy.pdf")},
        content_type="multipart/form-data",
    )
    with app.app_context():
        from assessment.models import Evidence

        evidence_id = db.session.scalars(sa.select(Evidence.id)).one()
    response = client.get(f"/assessments/{logged_in}/evidence/{evidence_id}")
    assert response.status_code == 200
    assert_security_headers(response, csp="sandbox")


# --- no inline script or style ---------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def assert_no_inline_code(html: str, where: str) -> None:
    for pattern in (INLINE_SCRIPT, INLINE_STYLE, EVENT_HANDLER, JAVASCRIPT_URL):
        found = pattern.search(html)
        assert found is None, f"{where}: {found.group(0)!r} is blocked by the CSP"


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register", "/catalogue/", "/nowhere"])
def test_public_pages_have_no_inline_script_or_style(client, path):
    assert_no_inline_code(client.get(path).text, path)


def test_member_pages_have_no_inline_script_or_style(client, app, logged_in):
    from assessment.extensions import current_catalogue

    with app.app_context():
        principles = list(current_catalogue().principles)
    client.post(
        f"/assessments/{logged_in}/questions/P1.1/evidence/link",
        data={"title": "Policy", "url": "https://example.org/policy"},
    )
    paths = [
        "/assessments/",
        "/assessments/new",
        f"/assessments/{logged_in}/",
        f"/assessments/{logged_in}/profile",
        "/auth/logout",
        *(f"/assessments/{logged_in}/principles/{p}" for p in principles),
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_inline_code(response.text, path)
    # A page re-rendered with errors too.
    response = client.post(
        f"/assessments/{logged_in}/principles/P1", data={"q_P1_1-answer": "bogus"}
    )
    assert_no_inline_code(response.text, "principle page with errors")


# --- cookies --------------------------------------------------------------------------------


def session_cookie_header(response) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def test_the_session_cookie_is_httponly_and_samesite_lax(client, member, auth):
    header = session_cookie_header(auth.login(member[0]))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header


def test_session_cookies_signed_by_flask_itself_stay_valid_and_the_other_way_round(app):
    """The signature is Flask's HMAC-SHA1: cookies from before the change keep people signed in."""
    ours, flasks = app.session_interface, SecureCookieSessionInterface()
    assert type(ours) is not SecureCookieSessionInterface
    data = {"_user_id": "7", "session_version": 2, "_flashes": [("success", "Saved.")]}
    for writer, reader in ((flasks, ours), (ours, flasks)):
        cookie = writer.get_signing_serializer(app).dumps(data)
        assert reader.get_signing_serializer(app).loads(cookie) == data
        with pytest.raises(BadSignature):
            reader.get_signing_serializer(app).loads(
                cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")
            )


class TestSecureCookies:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["SESSION_COOKIE_SECURE"] = True
        return app_config

    def test_the_session_cookie_is_secure_when_configured(self, app, member):
        client = app.test_client()
        response = client.post(
            "/auth/login",
            data={"email": member[0], "password": PASSWORD},
            base_url="https://localhost",
        )
        assert response.status_code == 302
        header = session_cookie_header(response)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
        assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_secure_cookies_can_be_switched_on_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "true")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


# --- login throttling ------------------------------------------------------------------------


def fail(auth, email, times, **kw):
    for _ in range(times):
        response = auth.login(email, "not the password")
        assert response.status_code == 401
        assert GENERIC in flashes(response.text)


def test_five_failures_refuse_even_the_right_password(client, member, auth):
    fail(auth, member[0], 5)
    response = auth.login(member[0])
    assert response.status_code == 429
    assert flashes(response.text) == [THROTTLED]
    assert int(response.headers["Retry-After"]) > 14 * 60
    assert client.get("/assessments/").status_code == 302  # still not logged in


def test_an_unknown_email_is_throttled_the_same_way(client, member, auth):
    fail(auth, member[0], 5)
    fail(auth, "nobody@example.org", 5)
    known = auth.login(member[0])
    unknown = auth.login("nobody@example.org", PASSWORD)
    assert known.status_code == unknown.status_code == 429
    assert flashes(known.text) == flashes(unknown.text) == [THROTTLED]


def test_an_unknown_email_costs_a_password_check_of_the_configured_strength(
    client, app, member, auth, monkeypatch
):
    from assessment.views import auth as auth_views

    checked = []
    real_check = auth_views.check_password_hash
    monkeypatch.setattr(
        auth_views,
        "check_password_hash",
        lambda stored, given: checked.append(stored) or real_check(stored, given),
    )
    auth.login(member[0], "wrong password")
    auth.login("nobody@example.org", "wrong password")
    with app.app_context():
        real_hash = db.session.scalar(sa.select(User.password_hash).filter_by(email=member[0]))
    known, unknown = checked
    assert known == real_hash
    assert unknown.split("$")[0] == real_hash.split("$")[0] == app.config["PASSWORD_HASH_METHOD"]


def test_the_email_is_matched_whatever_its_case(client, member, auth):
    fail(auth, member[0].upper(), 5)
    assert auth.login(member[0]).status_code == 429


def test_login_works_again_after_the_window(client, member, auth, monkeypatch):
    fail(auth, member[0], 5)
    assert auth.login(member[0]).status_code == 429
    later = utcnow() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    assert auth.login(member[0]).status_code == 302


def test_the_wait_is_counted_from_the_oldest_failure_that_still_counts(
    client, member, auth, monkeypatch
):
    fail(auth, member[0], 5)
    later = utcnow() + timedelta(minutes=10)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    response = auth.login(member[0])
    assert response.status_code == 429
    assert "Wait 5 minutes" in flashes(response.text)[0]


def test_refused_attempts_do_not_extend_the_wait(client, app, member, auth):
    fail(auth, member[0], 5)
    for _ in range(3):
        assert auth.login(member[0], "still wrong").status_code == 429
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(LoginFailure.key == throttle.email_key(member[0]))
            )
            == 5
        )


def test_a_successful_login_clears_that_emails_failures(client, member, auth):
    fail(auth, member[0], 4)
    assert auth.login(member[0]).status_code == 302
    auth.logout()
    fail(auth, member[0], 4)
    assert auth.login(member[0]).status_code == 302


def test_many_failures_from_one_address_throttle_every_email_from_it(client, app, member, auth):
    for n in range(20):
        fail(auth, f"guess{n}@example.org", 1)
    response = auth.login(member[0])
    assert response.status_code == 429
    assert flashes(response.text) == [THROTTLED]
    elsewhere = client.post(
        "/auth/login",
        data={"email": member[0], "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert elsewhere.status_code == 302


class TestConfiguredLimits:
    @pytest.fixture
    def app_config(self, app_config):
        app_config.update(LOGIN_MAX_FAILURES=2, LOGIN_WINDOW_SECONDS=60)
        return app_config

    def test_the_limits_come_from_the_configuration(self, client, member, auth):
        fail(auth, member[0], 2)
        response = auth.login(member[0])
        assert response.status_code == 429
        assert "Wait 1 minute and try again." in flashes(response.text)[0]


def test_expired_failures_are_pruned(client, app, member, auth, monkeypatch):
    fail(auth, member[0], 3)
    later = utcnow() + timedelta(hours=1)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    fail(auth, "someone@example.org", 1)
    with app.app_context():
        keys = db.session.scalars(sa.select(LoginFailure.key)).all()
    assert sorted(keys) == ["address:127.0.0.1", "email:someone@example.org"]


# --- logout ---------------------------------------------------------------------------------


def test_after_logout_the_same_client_is_anonymous(client, member, auth):
    auth.login(member[0])
    assert client.get("/assessments/").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/assessments/").status_code == 302


def test_a_remember_me_cookie_alone_logs_nobody_in(client, app, member, auth):
    """The app issues no remember-me cookies; a forged or old one must not open a session."""
    with app.app_context():
        user_id = db.session.scalars(sa.select(User.id).where(User.email == member[0])).one()
        remember = encode_cookie(str(user_id))
    client.set_cookie("remember_token", remember)
    assert client.get("/assessments/").status_code == 302
    auth.login(member[0])
    response = auth.logout()
    cleared = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_token=")]
    assert cleared and "Expires=Thu, 01 Jan 1970" in cleared[0]
    assert client.get("/assessments/").status_code == 302


def test_a_session_cookie_copied_before_logout_no_longer_works(app, member, auth, client):
    auth.login(member[0])
    copied = client.get_cookie("session").value
    auth.logout()
    other = app.test_client()
    other.set_cookie("session", copied)
    assert other.get("/assessments/").status_code == 302


def test_registration_counts_nothing_against_login_throttling(client, app):
    # Registration must be neither a way to guess passwords nor a way to lock someone
    # out: its requests count only against the e-mailed-link limit, never the login's.
    with app.app_context():
        make_user(email="taken@example.org")
        db.session.commit()
    form = {"organisation": "X", "name": "Y", "email": "taken@example.org"}
    statuses = [client.post("/auth/register", data=form).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    with app.app_context():
        keys = db.session.scalars(sa.select(LoginFailure.key)).all()
        assert keys and all(key.startswith(throttle.RESET_PREFIX) for key in keys)
    login = client.post("/auth/login", data={"email": "taken@example.org", "password": PASSWORD})
    assert login.status_code == 302
