"""Import: a JSON export becomes a new draft assessment (web form and `flask import-json`)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint, flash, redirect, render_template, url_for
from flask.cli import with_appcontext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from assessment.access import Permission, require
from assessment.catalogue import Catalogue
from assessment.extensions import current_catalogue, db
from assessment.importer import MAX_BYTES, ImportedAssessment, ImportRefused, parse_export
from assessment.inputs import MAX_ID
from assessment.models import Answer, Assessment, Organisation, User
from assessment.workflow import open_draft

# cli_group=None puts the command at the top level: `flask import-json`.
bp = Blueprint("transfer", __name__, url_prefix="/assessments", cli_group=None)

WARNINGS_SHOWN = 10


class ImportForm(FlaskForm):
    file = FileField(
        "JSON export",
        validators=[FileRequired("Choose a JSON export to import.")],
        description="A file downloaded from an assessment's JSON link (schema version 1.1).",
    )
    submit = SubmitField("Import as a new draft")


def create_from_import(
    imported: ImportedAssessment, catalogue: Catalogue, *, organisation_id: int, user: User | None
) -> Assessment:
    """Add a new draft holding the imported answers, with its audit event; the caller commits."""
    assessment = open_draft(
        catalogue,
        organisation_id=organisation_id,
        service_name=imported.service,
        profile=imported.profile,
        user=user,
        action="import",
        details={
            "service": imported.service,
            "answers": len(imported.answers),
            "source_catalogue_version": imported.source_catalogue_version,
            "warnings": list(imported.warnings),
        },
    )
    for question_id, answer in imported.answers.items():
        db.session.add(
            Answer(
                assessment_id=assessment.id,
                question_id=question_id,
                value=answer.value,
                comment=answer.comment,
                updated_by_id=user.id if user is not None else None,
            )
        )
    return assessment


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
            assessment = create_from_import(
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


@bp.cli.command("import-json")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--organisation-id",
    type=click.IntRange(1, MAX_ID),
    required=True,
    help="The organisation to import into.",
)
@with_appcontext
def import_json_command(file: Path, organisation_id: int) -> None:
    """Create a draft assessment from a JSON export file."""
    if db.session.get(Organisation, organisation_id) is None:
        raise click.ClickException(f"there is no organisation with id {organisation_id}")
    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    catalogue = current_catalogue()
    try:
        imported = parse_export(data, catalogue)
    except ImportRefused as refused:
        lines = "\n  ".join(refused.problems)
        raise click.ClickException(f"{file} was not imported:\n  {lines}") from None
    assessment = create_from_import(imported, catalogue, organisation_id=organisation_id, user=None)
    db.session.commit()
    for warning in imported.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"Imported {len(imported.answers)} answers as draft assessment {assessment.id} "
        f"of {assessment.service_name}."
    )
