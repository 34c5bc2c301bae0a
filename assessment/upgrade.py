"""Upgrade a draft to the running catalogue: exactly the previewed plan, audited answer by answer.

The preview (`plan_for`) and the write (`upgrade_draft`) share one plan. The
write goes through the one door for changes (`touch_assessment`, a
conditional UPDATE that holds only while the assessment is still the
version the preview showed) and records an audit event for every stored
answer with its old value, so a dropped answer is never lost without a record.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from assessment import audit
from assessment.catalogue import Catalogue
from assessment.catalogue_versions import catalogue_for, register, upgrade_path
from assessment.editing import EditRefused, touch_assessment
from assessment.extensions import current_catalogue, db
from assessment.models import CONTENT_EDITABLE, Answer, Assessment, Evidence, User
from assessment.upgrade_plan import DROPPED, StoredAnswer, UpgradePlan, plan_upgrade


class UpgradeRefused(EditRefused):
    """An upgrade that cannot go ahead as previewed; nothing was changed."""


@dataclass(frozen=True)
class Upgradable:
    """A draft and the catalogue it would move to."""

    own: Catalogue
    target: Catalogue

    @property
    def needed(self) -> bool:
        return self.own.fingerprint != self.target.fingerprint


def upgradable(assessment: Assessment) -> Upgradable:
    """Return the draft's catalogue and the running one."""
    return Upgradable(own=catalogue_for(assessment), target=current_catalogue())


def plan_for(assessment: Assessment) -> UpgradePlan:
    """Plan the upgrade of this assessment's answers to the running catalogue."""
    versions = upgradable(assessment)
    path = upgrade_path(versions.own, versions.target)
    answers = {
        a.question_id: StoredAnswer(value=a.value, comment=a.comment or "")
        for a in assessment.answers
    }
    if path is None:
        return plan_upgrade([versions.own, versions.target], answers, by_id_only=True)
    return plan_upgrade(path, answers)


def upgrade_draft(
    assessment: Assessment, user: User, *, seen_version: int, target_fingerprint: str
) -> UpgradePlan:
    """Apply the previewed upgrade, or raise UpgradeRefused / EditRefused; the caller commits."""
    plan = plan_for(assessment)
    if plan.new.fingerprint != target_fingerprint:
        raise UpgradeRefused(
            "The catalogue changed since the preview, so nothing was upgraded. "
            "Read the new preview and upgrade from there."
        )
    if plan.old.fingerprint == plan.new.fingerprint:
        raise UpgradeRefused("This assessment already uses the running catalogue.")
    touch_assessment(
        assessment,
        CONTENT_EDITABLE,
        expect_version=seen_version,
        catalogue_version=plan.new.version,
        catalogue_fingerprint=plan.new.fingerprint,
    )
    register(plan.new)
    _write_answers(assessment, user, plan)
    _move_evidence(assessment, plan)
    _audit(assessment, user, plan)
    return plan


def _write_answers(assessment: Assessment, user: User, plan: UpgradePlan) -> None:
    rows = {a.question_id: a for a in assessment.answers}
    for question_id, row in rows.items():
        if question_id not in plan.answers:
            db.session.delete(row)
    db.session.flush()  # a dropped id may come back as a new question's id
    for question_id, new in plan.answers.items():
        row = rows.get(question_id)
        if row is None:
            db.session.add(
                Answer(
                    assessment_id=assessment.id,
                    question_id=question_id,
                    value=new.value,
                    comment=new.comment,
                    updated_by_id=user.id,
                    carried_forward=new.needs_confirmation,
                )
            )
        elif (row.value, row.comment or "") != (new.value, new.comment) or (
            new.needs_confirmation and not row.carried_forward
        ):
            row.value = new.value
            row.comment = new.comment
            row.carried_forward = row.carried_forward or new.needs_confirmation
            row.updated_by_id = user.id
            row.version = row.version + 1  # a page opened before the upgrade cannot save over it
    db.session.flush()


def _move_evidence(assessment: Assessment, plan: UpgradePlan) -> None:
    """Evidence follows its answer to the first question it was carried to."""
    for outcome in plan.outcomes:
        if outcome.fate != DROPPED and outcome.to and outcome.to[0] != outcome.question_id:
            db.session.execute(
                sa.update(Evidence)
                .where(
                    Evidence.assessment_id == assessment.id,
                    Evidence.question_id == outcome.question_id,
                )
                .values(question_id=outcome.to[0])
            )


def _audit(assessment: Assessment, user: User, plan: UpgradePlan) -> None:
    audit.record_for(
        assessment,
        user,
        "catalogue",
        "catalogue_version",
        old={"version": plan.old.version, "fingerprint": plan.old.fingerprint},
        new={"version": plan.new.version, "fingerprint": plan.new.fingerprint},
    )
    audit.record_all_for(
        assessment,
        user,
        "catalogue_upgrade",
        [
            (
                o.question_id,
                {"value": o.value, "comment": o.comment},
                {
                    "fate": o.fate,
                    "to": list(o.to),
                    "value": o.new_value,
                    "confirm": o.confirm,
                    "notes": list(o.notes),
                },
            )
            for o in plan.outcomes
        ],
    )
