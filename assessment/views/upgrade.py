"""Upgrading a draft to the running catalogue: a preview of every answer's fate, then the upgrade."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from assessment.access import (
    Permission,
    get_assessment_or_404,
    get_changeable_assessment_or_404,
    require,
)
from assessment.catalogue import Catalogue
from assessment.catalogue_diff import diff_catalogues
from assessment.extensions import db
from assessment.forms import UpgradeForm
from assessment.models import CONTENT_EDITABLE
from assessment.upgrade import plan_for, upgradable, upgrade_draft

bp = Blueprint("upgrade", __name__, url_prefix="/assessments")


@bp.before_request
@login_required
def _members_only():
    """Every page here needs a signed-in member who may at least read."""
    require(Permission.VIEW)


@bp.get("/<int:assessment_id>/upgrade")
def preview(assessment_id: int):
    """Show what upgrading this draft to the running catalogue does to every answer."""
    assessment = get_assessment_or_404(assessment_id, with_answers=True)
    require(Permission.UPGRADE)
    versions = upgradable(assessment)
    plan = plan_for(assessment) if versions.needed else None
    return render_template(
        "upgrade/preview.html",
        assessment=assessment,
        versions=versions,
        plan=plan,
        diff=diff_catalogues(versions.own, versions.target) if versions.needed else None,
        editable=assessment.content_editable,
        form=UpgradeForm(
            seen_version=str(assessment.version_id), target=versions.target.fingerprint
        ),
        old_label=lambda qid, value: answer_label(versions.own, qid, value),
        new_label=lambda qid, value: answer_label(versions.target, qid, value),
    )


def answer_label(catalogue: Catalogue, question_id: str, value) -> str:
    """Describe a stored value of a question of this catalogue in words."""
    question = catalogue.questions.get(question_id)
    return catalogue.label_for(question, value) if question else str(value)


@bp.post("/<int:assessment_id>/upgrade")
def apply(assessment_id: int):
    """Upgrade the draft as previewed; refused (nothing changed) if anything moved since."""
    assessment = get_changeable_assessment_or_404(
        assessment_id, Permission.UPGRADE, allowed=CONTENT_EDITABLE
    )
    form = UpgradeForm()
    seen_version = form.seen_version_number()
    if not form.validate_on_submit() or seen_version is None:
        abort(400, "The upgrade did not say which preview it follows. Open the preview again.")
    plan = upgrade_draft(
        assessment,
        current_user,
        seen_version=seen_version,
        target_fingerprint=(form.target.data or "").strip(),
    )
    db.session.commit()
    counts = plan.counts
    flash(
        f"Upgraded to catalogue version {plan.new.version}: {counts['kept']} kept, "
        f"{counts['carried']} carried, {counts['review']} to review, {counts['dropped']} dropped "
        "(their answers are in the history).",
        "success",
    )
    return redirect(url_for("assessments.overview", assessment_id=assessment_id))
