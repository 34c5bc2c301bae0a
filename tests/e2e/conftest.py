"""A live server on localhost and a real Chromium driven by Playwright."""

from __future__ import annotations

import functools
import logging
import shutil
import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from assessment import create_app
from assessment.extensions import db
from tests import snapshots
from tests.conftest import _compiled_templates

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)  # shown with a failing test's captured log

_RESPONSE = "tests.e2e.response"  # in the WSGI environ: the app's response, for the handler


class _ClosedOnce:
    """The app's response, whose close() runs once however often the server calls it."""

    def __init__(self, iterable) -> None:
        self._iterable = iterable
        self.closed = False

    def __iter__(self):
        return iter(self._iterable)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        close = getattr(self._iterable, "close", None)
        if close is not None:
            close()


def _keeping_the_response(app):
    """Wrap the app so the request handler can reach the response it returned."""

    def wsgi(environ, start_response):
        response = environ[_RESPONSE] = _ClosedOnce(app(environ, start_response))
        return response

    return wsgi


class _ClosingRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, closing the response when the browser drops the connection.

    A server must call a response's close() even when the browser disconnects early
    (PEP 3333), and gunicorn, which serves the app in production, always does. Werkzeug's
    server skips it when the browser resets the connection during the 10 ms it reads for
    after the response, which Chromium does when it leaves a redirect's body unread: the
    app's work after the response (`call_on_close`: the password reset e-mail) then never
    ran, and nothing said so (4 reset e-mails lost in 100 requests from Chromium).
    """

    def connection_dropped(self, error, environ=None) -> None:
        response = environ.pop(_RESPONSE, None) if environ else None
        if response is not None and not response.closed:
            log.info(
                "the browser dropped the connection of %s %s (%r): closing its response",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO"),
                error,
            )
            response.close()


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

    Every response is closed, as gunicorn does, even when the browser resets its
    connection (see `_ClosingRequestHandler`).

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
    server = make_server(
        "127.0.0.1",
        0,
        _keeping_the_response(app),
        threaded=True,
        request_handler=_ClosingRequestHandler,
    )
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
