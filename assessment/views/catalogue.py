"""The public catalogue pages: the running catalogue, its kept versions, and what changed between two."""

import re

from flask import Blueprint, abort, render_template

from assessment.catalogue import Catalogue
from assessment.catalogue_diff import diff_catalogues
from assessment.catalogue_versions import kept_versions, stored_catalogue
from assessment.extensions import current_catalogue
from assessment.relations import describe

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


@bp.get("/")
def index():
    """Show the whole catalogue to anyone deciding whether to adopt the tool, and its versions."""
    catalogue = current_catalogue()
    return render_template(
        "catalogue/index.html",
        catalogue=catalogue,
        versions=_history(),
        requirement=lambda condition: condition.requirement(catalogue.profile_questions),
    )


def _history() -> list[dict]:
    """Return the kept versions, newest first, each with its changelog and the one before it."""
    rows = kept_versions()
    history = []
    for i, row in enumerate(rows):
        catalogue = _kept(row.fingerprint)
        changes = catalogue.changes
        history.append(
            {
                "row": row,
                "catalogue": catalogue,
                "current": row.fingerprint == current_catalogue().fingerprint,
                "date": changes.date if changes and changes.date else "",
                "summary": changes.summary if changes else "",
                "relations": [describe(r) for r in changes.questions] if changes else [],
                "previous": rows[i - 1].fingerprint if i > 0 else None,
            }
        )
    return history[::-1]


def _kept(fingerprint: str) -> Catalogue:
    """Return a kept catalogue by fingerprint (the running one without a query), or answer 404."""
    if fingerprint == current_catalogue().fingerprint:
        return current_catalogue()
    if not FINGERPRINT.match(fingerprint):
        abort(404)
    catalogue = stored_catalogue(fingerprint)
    if catalogue is None:
        abort(404)
    return catalogue


@bp.get("/versions/<fingerprint>")
def version(fingerprint: str):
    """Show one kept version: its changelog and which statements are verified against the official text."""
    if not FINGERPRINT.match(fingerprint):
        abort(404)
    history = {entry["row"].fingerprint: entry for entry in _history()}
    entry = history.get(fingerprint)
    if entry is None:
        abort(404)
    catalogue = entry["catalogue"]
    principles = list(catalogue.principles.values())
    return render_template(
        "catalogue/version.html",
        entry=entry,
        catalogue=catalogue,
        verified=[p for p in principles if p.verified],
        unverified=[p for p in principles if not p.verified],
    )


@bp.get("/diff/<old>/<new>")
def diff(old: str, new: str):
    """Say in words how one kept catalogue version differs from another."""
    before, after = _kept(old), _kept(new)
    return render_template("catalogue/diff.html", diff=diff_catalogues(before, after))
