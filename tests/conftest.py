"""Fixtures: an app on a fresh database per test, a client, a CLI runner, actions."""

from __future__ import annotations

import collections
import copy
import functools
import gc
import os
import sys

import jinja2
import pytest

# The app, the database and WeasyPrint are imported where a fixture first needs them: the
# xdist controller loads this file too, and runs no test (about 1.7 s before any worker starts).


def _database_url(sqlite_path) -> str:
    return _postgres_url() or f"sqlite:///{sqlite_path}"


@functools.cache
def _postgres_url() -> str | None:
    """Return TEST_DATABASE_URL, or under pytest-xdist a database of this worker's own.

    Each test truncates the tables of the database it runs on, so two workers
    sharing one would wipe each other's data mid-test: worker `gw1` runs on
    `<database>_gw1`, created on the same server the first time it is needed.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    import sqlalchemy as sa

    from assessment.db import database_url

    server = sa.engine.make_url(database_url(url, ""))
    name = f"{server.database}_{worker}"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


_postgres_schemas_made: set[str] = set()


class _CompiledTemplates(jinja2.BytecodeCache):
    """Keep compiled templates for the whole run: every test builds a new app and Jinja env.

    Jinja checks each template's source against its checksum, so an edited template
    is compiled again.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_compiled_templates = _CompiledTemplates()


_url_builders: dict[tuple, object] = {}
_engines: dict[str, object] = {}


@functools.cache
def _install_run_caches() -> None:
    """Share werkzeug's URL builders and SQLAlchemy's engines across the apps of a run."""
    import werkzeug.routing

    from assessment.extensions import db

    compile_url_builder = werkzeug.routing.Rule._compile_builder
    make_engine = db._make_engine

    def cached_url_builder(rule: werkzeug.routing.Rule, append_unknown: bool = True):
        """Keep werkzeug's generated URL builders: every test's app adds the same rules.

        A builder is generated Python code, a pure function of the rule's parsed parts
        and defaults; compiling it is most of the cost of `create_app` (about 50 ms).
        """
        key = (
            rule.rule,
            repr(rule._trace),
            repr(sorted((rule.defaults or {}).items())),
            append_unknown,
        )
        if key not in _url_builders:
            _url_builders[key] = compile_url_builder(rule, append_unknown)
        return _url_builders[key]

    def engine_for(bind_key, options, app):
        """One engine per database URL: its compiled-statement cache outlives a test.

        Each test still gets an empty database (a new SQLite file, or truncated tables on
        PostgreSQL); the `app` fixture disposes of the engine's connections after the test.
        """
        key = repr((str(options["url"]), sorted(options.items(), key=repr)))
        if key not in _engines:
            _engines[key] = make_engine(bind_key, options, app)
        return _engines[key]

    werkzeug.routing.Rule._compile_builder = cached_url_builder
    db._make_engine = engine_for


def _fresh_postgres(url: str) -> None:
    """Give the test empty tables on the shared PostgreSQL database.

    The schema is made once per run (from the models); each test then starts
    from truncated tables with their id sequences reset, which is much faster
    than dropping and creating the schema every time.
    """
    import sqlalchemy as sa

    from assessment.extensions import db

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if url not in _postgres_schemas_made:
            connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
            db.metadata.create_all(connection)
            _postgres_schemas_made.add(url)
        else:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


# Modules that take documents from tests/rendered.py: run on one xdist worker, so each
# shared render is laid out once per run rather than once per worker. (test_reports_pdf.py
# marks its two tests of a shared render `xdist_group("shared-renders")`; its own renders,
# and the subprocess test of test_reports_board.py, run in groups of their own.)
SHARED_RENDERS = {
    "tests/test_reports_board.py",
    "tests/test_reports_boardpack.py",
    "tests/test_reports_layout.py",
    "tests/test_reports_xlsx.py",
}


# The groups that take longest, longest first (tens of seconds each): xdist hands groups
# out in the order of the collection (`--no-loadscope-reorder`), so none of these starts
# last and leaves the other worker idle. The other groups follow, the largest first.
SLOW_GROUPS = (
    "tests/e2e/test_accessibility_browser.py",
    "tests/test_wheel.py",
    "shared-renders",
    "tests/e2e/test_answering_browser.py",
    "tests/test_reports_pdf.py",
    "tests/test_roles.py",
    "tests/test_reports_board.py::flask",
    "tests/test_hostile_routes.py",
    "tests/e2e/test_review_browser.py",
    "tests/e2e/test_browser.py",
    "tests/test_report_cli.py",
    "tests/test_escaping.py",
    "tests/test_coverage_views.py",
    "tests/test_reports_views.py",
    "tests/test_method.py",
    "tests/test_review_cycles.py",
)


def _group_of(item) -> str:
    marker = item.get_closest_marker("xdist_group")
    if marker is not None:
        return marker.args[0] if marker.args else marker.kwargs.get("name", "default")
    module = item.nodeid.split("::", 1)[0]
    return "shared-renders" if module in SHARED_RENDERS else module


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under `--dist loadgroup`, send a module's tests to one worker (its module fixtures run once).

    Then order the groups longest first (see SLOW_GROUPS); tests keep their order within a group.
    """
    groups = {item.nodeid: _group_of(item) for item in items}
    sizes = collections.Counter(groups.values())
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    slow = {group: rank for rank, group in enumerate(SLOW_GROUPS)}

    def order(item) -> tuple[int, int]:
        group = groups[item.nodeid]
        return slow.get(group, len(slow)), -sizes[group]

    items.sort(key=order)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After a module's last test (and its module fixtures), put what is still alive out of the
    garbage collector's sight.

    What outlives a module (the imported code, shared renders, cached catalogues and
    apps) lives to the end of the run, and CPython's full collections walked all of it
    again and again: a tenth of a worker's time, about 10 s per run. `gc.freeze()` sets
    it aside; the young generations are collected first, so only garbage that is
    already old (rare, and small) is set aside with it.
    """
    if nextitem is None or getattr(nextitem, "module", None) is not getattr(item, "module", None):
        gc.collect(1)
        gc.freeze()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    """Refuse to run when xdist's loadgroup has not put the groups into the test ids.

    pytest-xdist marks a test's group by extending its id; when a pytest release changes how
    ids are stored, every test silently becomes a group of its own and each module's fixtures
    run on every worker.
    """
    if node.config.getvalue("dist") != "loadgroup":
        return
    ungrouped = [nodeid for nodeid in ids if "@" not in nodeid.rsplit("]", 1)[-1]]
    if ungrouped:
        raise pytest.UsageError(
            f"pytest-xdist did not apply the test groups (first: {ungrouped[0]}); "
            "this pytest and pytest-xdist do not work together: see setup.cfg"
        )


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    """End an xdist worker as soon as its session is over, skipping the interpreter's clean-up.

    By then the worker has sent its last report; what remains is a full garbage
    collection (pytest's check for unraisable exceptions, which a worker can no
    longer report) and freeing every object of a thousand tests: seconds that
    the controller spends waiting for both workers to exit.
    """
    if hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


@pytest.fixture(autouse=True)
def fast_pdf_renderer(request, monkeypatch):
    """Lay out PDFs with a fast stand-in unless the test checks the PDF (`real_pdf`)."""
    if request.node.get_closest_marker("real_pdf") is None:
        import reports.pdf
        from tests import fast_pdf

        monkeypatch.setattr(reports.pdf, "_write_pdf", fast_pdf.write_pdf)


@pytest.fixture
def sqlite_path(tmp_path_factory):
    """This worker's SQLite file: emptied before each test, so every test starts on a new one."""
    path = tmp_path_factory.getbasetemp() / "test.db"
    for leftover in (path, path.with_name("test.db-wal"), path.with_name("test.db-shm")):
        leftover.unlink(missing_ok=True)
    return path


@pytest.fixture
def app_config(sqlite_path, tmp_path):
    """The test configuration; tests may change it before `app` is built."""
    return {
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": _database_url(sqlite_path),
        "WTF_CSRF_ENABLED": False,
        # Still scrypt, with cheaper parameters: the suite creates hundreds of users.
        "PASSWORD_HASH_METHOD": "scrypt:256:8:1",
    }


class _BuiltApps:
    """One app per test configuration for the worker's run, handed to each test as it was built.

    Building an app (its ~190 URL rules, the limiter, the catalogue version
    check) cost about 12 ms, a large share of most tests. Before each test the
    app is put back as it was built: its configuration (each test's own
    evidence folder), its attributes (a test may swap its client class), its
    rate limits emptied, and no request yet seen. Each test still gets a new
    database. A configuration with anything unhashable or per-test in it
    simply builds its own app, as before.
    """

    KEPT = 16  # configurations kept per worker; the suite uses a handful

    def __init__(self) -> None:
        self._built: collections.OrderedDict[str, tuple] = collections.OrderedDict()

    def app_for(self, config: dict):
        key = repr(
            sorted((name, value) for name, value in config.items() if name != "EVIDENCE_DIR")
        )
        built = self._built.get(key)
        if built is None:
            from assessment import create_app

            _install_run_caches()
            app = create_app(config)
            app.jinja_env.bytecode_cache = _compiled_templates
            self._built[key] = (app, copy.deepcopy(dict(app.config)), dict(vars(app)))
            while len(self._built) > self.KEPT:
                self._built.popitem(last=False)
            return app
        self._built.move_to_end(key)
        app, config_as_built, attributes_as_built = built
        for name in set(vars(app)) - set(attributes_as_built):
            delattr(app, name)
        vars(app).update(attributes_as_built)
        app.config.clear()
        app.config.update(copy.deepcopy(config_as_built))
        app.config["EVIDENCE_DIR"] = config["EVIDENCE_DIR"]
        app.extensions["api_limiter"].reset()
        return app


_built_apps = _BuiltApps()


@pytest.fixture
def app(app_config):
    from assessment.db import database_url
    from assessment.extensions import db
    from tests import snapshots

    app_config["SQLALCHEMY_DATABASE_URI"] = database_url(app_config["SQLALCHEMY_DATABASE_URI"], "")
    on_postgres = app_config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if on_postgres:
        import assessment.models  # noqa: F401 - the tables must be known before they are made

        _fresh_postgres(app_config["SQLALCHEMY_DATABASE_URI"])
    app = _built_apps.app_for(app_config)
    if not on_postgres:
        snapshots.contents(app, "schema", functools.partial(_create_all, app))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _create_all(app) -> None:
    from assessment.extensions import db

    with app.app_context():
        db.create_all()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Log in and out the way a person would, through the forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str | None = None):
        from tests.factories import PASSWORD

        password = PASSWORD if password is None else password
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def member(app):
    """A user with an organisation and one assessment; returns (user email, assessment id)."""
    from assessment.extensions import db
    from tests.factories import make_assessment, make_user

    with app.app_context():
        user = make_user()
        assessment = make_assessment(user)
        db.session.commit()
        return user.email, assessment.id


@pytest.fixture
def logged_in(member, auth):
    """The `member` fixture, logged in; returns the assessment id."""
    email, assessment_id = member
    response = auth.login(email)
    assert response.status_code == 302, response.text
    return assessment_id
