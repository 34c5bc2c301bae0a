"""Production settings: health endpoints, HSTS, proxies, trusted hosts, the external URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assessment import create_app
from tests.factories import PASSWORD
from tests.test_wheel import ROOT, _free_port, wait_until_serving


def test_healthz_answers_without_a_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_database_catalogue_and_evidence_storage(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ready",
        "checks": {"database": "ok", "catalogue": "ok", "evidence_storage": "ok"},
    }


def test_readyz_is_503_naming_what_failed(app, client, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the evidence folder should be")
    app.config["EVIDENCE_DIR"] = str(blocker / "evidence")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["checks"]["evidence_storage"] == "failed"
    assert response.json["checks"]["database"] == "ok"


def test_readyz_is_503_when_the_database_is_unreachable(app_config, tmp_path):
    app_config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/missing/dir/x.db"
    app = create_app(app_config)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "failed"


def test_health_endpoints_answer_a_signed_in_browser_when_the_database_is_gone(
    app_config, logged_in, client, tmp_path
):
    gone = dict(app_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db")
    browser = create_app(gone).test_client()
    browser.set_cookie("session", client.get_cookie("session").value)
    healthz = browser.get("/healthz")
    assert healthz.status_code == 200
    assert healthz.json == {"status": "ok"}
    readyz = browser.get("/readyz")
    assert readyz.status_code == 503
    assert readyz.json["checks"]["database"] == "failed"


def test_no_hsts_without_secure_cookies(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


class TestSecureDeployment:
    @pytest.fixture
    def app_config(self, app_config):
        app_config.update(
            SESSION_COOKIE_SECURE=True,
            PROXY_FIX=1,
            TRUSTED_HOSTS="vp.example.org, localhost",
            EXTERNAL_URL="https://vp.example.org/",
        )
        return app_config

    def test_hsts_is_sent_when_cookies_are_secure(self, client):
        assert client.get("/").headers["Strict-Transport-Security"] == "max-age=31536000"

    def test_an_untrusted_host_is_refused(self, client):
        refused = client.get("/", headers={"Host": "evil.example"})
        assert refused.status_code == 400
        assert "unknown host" in refused.text
        assert client.get("/", headers={"Host": "vp.example.org"}).status_code == 200

    def test_one_proxy_hop_is_trusted_for_the_client_address_and_scheme(self, app, client):
        seen = {}

        @app.get("/_whoami")
        def whoami():
            from flask import request

            seen.update(addr=request.remote_addr, scheme=request.scheme, host=request.host)
            return "ok"

        client.get(
            "/_whoami",
            headers={
                "X-Forwarded-For": "203.0.113.9, 198.51.100.7",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "evil.example",
            },
        )
        # One hop: the last address the proxy added; the host is never taken from a header.
        assert seen == {"addr": "198.51.100.7", "scheme": "https", "host": "localhost"}

    def test_invitation_links_use_the_external_url_whatever_the_host(self, app, client):
        from assessment.extensions import db
        from tests.factories import make_user

        with app.app_context():
            email = make_user().email
            db.session.commit()
        client.post(
            "/auth/login",
            data={"email": email, "password": PASSWORD},
            base_url="https://localhost",
        )
        client.post("/members/invite", data={"role": "viewer"}, base_url="https://localhost")
        page = client.get("/members/", base_url="https://localhost").text
        link = page.split('<code class="link">')[1].split("</code>")[0]
        assert link.startswith("https://vp.example.org/invite/")


def test_without_an_external_url_an_untrusted_host_gets_no_invitation_link(app, client):
    from assessment.extensions import db
    from assessment.models import Invitation
    from tests.factories import make_user

    with app.app_context():
        email = make_user().email
        db.session.commit()
    evil = "http://evil.example"
    client.post("/auth/login", data={"email": email, "password": PASSWORD}, base_url=evil)
    response = client.post("/members/invite", data={"role": "viewer"}, base_url=evil)
    assert response.status_code == 303
    page = client.get("/members/", base_url=evil).text
    assert "evil.example" not in page
    assert "set FLASK_EXTERNAL_URL" in page
    with app.app_context():
        assert db.session.query(Invitation).count() == 0


def test_a_malformed_external_url_stops_the_app_saying_why(app_config):
    app_config["EXTERNAL_URL"] = "vp.example.org"
    with pytest.raises(SystemExit, match="FLASK_EXTERNAL_URL"):
        create_app(app_config)


def test_an_unknown_evidence_storage_stops_the_app_saying_why(app_config):
    app_config["EVIDENCE_STORAGE"] = "s3"
    with pytest.raises(SystemExit, match="filesystem, database"):
        create_app(app_config)


def test_gunicorn_config_reads_workers_from_the_environment(monkeypatch):
    import runpy
    from pathlib import Path

    config = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert runpy.run_path(str(config))["workers"] == 7
    monkeypatch.delenv("WEB_CONCURRENCY")
    settings = runpy.run_path(str(config))
    assert settings["workers"] >= 2
    assert settings["accesslog"] is None  # the app logs each request itself


def test_gunicorn_serves_with_the_repository_config_and_opens_no_control_socket(tmp_path):
    """`make run` and `make serve` use gunicorn.conf.py; gunicorn >= 25.1 would open a control
    socket at a path shared by every instance of the same user, each taking it from the other."""
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir()
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}",
        SECRET_KEY="gunicorn-test",
        EVIDENCE_DIR=str(tmp_path / "evidence"),
        WEB_CONCURRENCY="1",
    )
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}")
        sockets = [*runtime.rglob("*.ctl"), *home.rglob("*.ctl")]  # gunicorn removes it on exit
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert not sockets, output
