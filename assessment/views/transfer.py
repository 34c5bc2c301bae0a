"""Import: a JSON export becomes a new draft assessment (the web form; `flask import-json` in cli.py)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from assessment.access import Permission, require
from assessment.extensions import current_catalogue, db
from assessment.forms import ImportForm
from assessment.importer import MAX_BYTES, ImportRefused, parse_export
from assessment.workflow import open_imported_draft

bp = Blueprint("transfer", __name__, url_prefix="/assessments")

WARNINGS_SHOWN = 10


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_json():
    """Create a draft assessment from an uploaded JSON export."""
    membership = require(Permission.ANSWER)
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        # One byte over the limit is enough to know the file is too big.
        data = form.file.data.read(MAX_BYTES + 1)
        catalogue = current_catalogue()
        try:
            imported = parse_export(data, catalogue)
        except ImportRefused as refused:
            problems = refused.problems
        else:
            assessment = open_imported_draft(
                imported,
                catalogue,
                organisation_id=membership.organisation_id,
                user=current_user,
            )
            db.session.commit()
            flash(
                f"Imported {len(imported.answers)} answers into a new draft of "
                f"{assessment.service_name}.",
                "success",
            )
            for warning in imported.warnings[:WARNINGS_SHOWN]:
                flash(warning, "info")
            if len(imported.warnings) > WARNINGS_SHOWN:
                flash(f"... and {len(imported.warnings) - WARNINGS_SHOWN} more warnings.", "info")
            return redirect(url_for("assessments.overview", assessment_id=assessment.id))
    status = 422 if problems or form.errors else 200
    return render_template("transfer/import.html", form=form, problems=problems), status
