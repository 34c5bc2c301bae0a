"""Health endpoints for a load balancer or an orchestrator: is the process up, can it serve.

`/healthz` answers as long as the process does. `/readyz` also checks what a
request needs: the database answers, the catalogue is loaded, and new evidence
can be stored; it answers 503 naming what failed, and logs why.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from assessment.extensions import db
from assessment.storage import evidence_storage

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    """Say that the process answers."""
    return _no_store(jsonify(status="ok"))


def _check_database() -> None:
    db.session.execute(sa.text("SELECT 1"))


def _check_catalogue() -> None:
    catalogue = current_app.extensions.get("catalogue")
    if catalogue is None or not catalogue.principles:
        raise RuntimeError("no catalogue loaded")


def _check_evidence_storage() -> None:
    evidence_storage().check()


CHECKS = {
    "database": _check_database,
    "catalogue": _check_catalogue,
    "evidence_storage": _check_evidence_storage,
}


@bp.get("/readyz")
def readyz():
    """Check the database, the catalogue and evidence storage; 503 naming what failed."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready, said by name
            db.session.rollback()
            log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = "failed"
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    body = jsonify(status="ready" if ready else "not ready", checks=results)
    return _no_store(body), 200 if ready else 503
