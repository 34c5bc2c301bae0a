"""The app factory: defaults, configuration, then named steps."""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from assessment.catalogue import DEFAULT_PATH, CatalogueError, load_catalogue
from assessment.db import database_url
from assessment.extensions import csrf, db, login_manager, migrate
from assessment.inputs import register_input_guards
from assessment.links import check_external_url, trusted_hosts_setting
from assessment.logs import register_logging
from assessment.mail import DEFAULTS as MAIL_DEFAULTS
from assessment.mail import check_mail_settings
from assessment.resources import MIGRATIONS_DIR, TEMPLATES_DIR
from assessment.security import register_security
from assessment.storage import check_storage_setting
from assessment.workflow import DEFAULT_ATTESTATION

MIGRATIONS = MIGRATIONS_DIR


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then environment or test config, then named steps."""
    app = Flask(__name__, template_folder=TEMPLATES_DIR, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        CATALOGUE_PATH=str(DEFAULT_PATH),
        SQLALCHEMY_DATABASE_URI=database_url(os.environ.get("DATABASE_URL"), app.instance_path),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        PASSWORD_HASH_METHOD="scrypt",
        EVIDENCE_DIR=str(Path(app.instance_path) / "evidence"),
        EVIDENCE_MAX_BYTES=10 * 1024 * 1024,
        EVIDENCE_STORAGE="filesystem",
        EXTERNAL_URL=None,
        PROXY_FIX=0,
        LOG_LEVEL="INFO",
        # Jobs go to RQ on this Redis when set; otherwise they run in-process.
        REDIS_URL="",
        JOBS_QUEUE="vp-assessment",
        # E-mail through SMTP (FLASK_MAIL_SERVER and friends); unset, it goes to the log.
        **MAIL_DEFAULTS,
        # The statement an approver confirms; stored with each approval (FLASK_ATTESTATION_TEXT).
        ATTESTATION_TEXT=DEFAULT_ATTESTATION,
    )
    if test_config is None:
        app.config.from_prefixed_env()
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _instance_secret(app)
        app.config["REDIS_URL"] = os.environ.get("REDIS_URL", app.config["REDIS_URL"])
    else:
        app.config.from_mapping(test_config)
    if app.config["MAX_CONTENT_LENGTH"] is None:
        # Room for the largest evidence file plus the rest of its form.
        app.config["MAX_CONTENT_LENGTH"] = app.config["EVIDENCE_MAX_BYTES"] + 64 * 1024

    register_logging(app)
    load_app_catalogue(app)
    configure_deployment(app)
    register_input_guards(app)
    register_extensions(app)
    register_catalogue_version(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security(app)
    register_commands(app)
    return app


def _instance_secret(app: Flask) -> str:
    """Read the secret key from `instance/`, generating it on first start."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _cached_catalogue(path: str):
    """Load a catalogue once per file version (tests and workers build many apps)."""
    stat = Path(path).stat() if Path(path).exists() else None
    key = (str(Path(path).resolve()), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)
    return _load_catalogue_version(*key)


@functools.lru_cache(maxsize=8)
def _load_catalogue_version(path: str, _mtime_ns: int, _size: int):
    return load_catalogue(path)


def load_app_catalogue(app: Flask) -> None:
    """Load the catalogue, refusing to start with a broken one and saying why."""
    try:
        app.extensions["catalogue"] = _cached_catalogue(app.config["CATALOGUE_PATH"])
    except CatalogueError as exc:
        lines = "\n  ".join(exc.problems)
        # SystemExit, not an exception with a traceback: the operator needs the
        # reasons, and `flask run` or gunicorn stop with exactly this message.
        raise SystemExit(
            f"The catalogue {exc.source} is broken; the app will not start.\n  {lines}\n"
            f"Run `flask catalogue check {exc.source}` after fixing it."
        ) from None


def configure_deployment(app: Flask) -> None:
    """Apply the production settings: proxies, trusted hosts, the external URL, storage."""
    app.config["TRUSTED_HOSTS"] = trusted_hosts_setting(app.config.get("TRUSTED_HOSTS"))
    app.config["EVIDENCE_STORAGE"] = check_storage_setting(app.config["EVIDENCE_STORAGE"])
    check_external_url(app)
    check_mail_settings(app)
    hops = int(app.config.get("PROXY_FIX") or 0)
    if hops > 0:
        # Only the client address and scheme: the host comes from EXTERNAL_URL or
        # TRUSTED_HOSTS, never from a header a client could add.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_extensions(app: Flask) -> None:
    from assessment import db as database  # registers the SQLite pragmas and transactions

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    from assessment.notices import outbox  # e-mail of committed changes, after the response

    outbox.register(app)


def register_catalogue_version(app: Flask) -> None:
    from assessment.catalogue_versions import register_at_start

    register_at_start(app)


def register_blueprints(app: Flask) -> None:
    from assessment.views import (
        account,
        answering,
        api,
        assessments,
        auth,
        catalogue,
        comments,
        coverage,
        evidence,
        health,
        main,
        members,
        reports,
        review,
        tokens,
        transfer,
        upgrade,
    )

    for module in (
        health,
        main,
        auth,
        assessments,
        answering,
        review,
        comments,
        evidence,
        members,
        catalogue,
        reports,
        coverage,
        transfer,
        account,
        upgrade,
        api,
        tokens,
    ):
        app.register_blueprint(module.bp)
    api.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from assessment.views.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    from assessment.cli import register

    register(app)
