"""A live server on localhost and a real Chromium driven by Playwright."""

from __future__ import annotations

import functools
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from assessment import create_app
from assessment.extensions import db
from tests import snapshots
from tests.conftest import _compiled_templates


@pytest.fixture
def live_server_config() -> dict:
    """Extra settings for the live app; a test module overrides this fixture to change them."""
    return {}


def _create_all(app) -> None:
    with app.app_context():
        db.create_all()


@pytest.fixture
def live_server(tmp_path, live_server_config):
    """Serve a fresh app (CSRF on, as in production) on a free localhost port.

    The empty schema is copied from a snapshot and compiled templates are shared, as the
    `app` fixture does: every test still gets its own database file and evidence folder.
    """
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "e2e",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e2e.db'}",
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            "PASSWORD_HASH_METHOD": "scrypt:256:8:1",
            # The browser keeps the stylesheets and scripts for the test instead of asking
            # for each again on every page (they do not change while a test runs).
            "SEND_FILE_MAX_AGE_DEFAULT": 3600,
            **live_server_config,
        }
    )
    app.jinja_env.bytecode_cache = _compiled_templates
    snapshots.contents(app, "schema", functools.partial(_create_all, app))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Stop within 50 ms of shutdown() (the default poll is every 0.5 s).
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium headless shell (a test tool's own browser download fails here), started once.

    The headless shell is the build Playwright itself runs headless tests in: the same
    Blink, without the full browser's UI machinery, so the browser tests cost about 40 %
    less CPU than in `chromium --headless`.
    """
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    executable = shutil.which("chromium-headless-shell")
    if executable is None:
        pytest.fail(
            "Chromium's headless shell is not installed: "
            ".ci/run installs it with apt-get install chromium-headless-shell"
        )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page in a fresh browser context: no cookies, storage or downloads from another test."""
    context = browser.new_context(accept_downloads=True)
    yield context.new_page()
    context.close()
