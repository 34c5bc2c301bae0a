"""The demo organisation seeded by `flask demo` (and so by `make run`)."""

from __future__ import annotations

import hashlib
import math
from datetime import date, timedelta

import sqlalchemy as sa

from assessment.accounts import new_user
from assessment.answers import AnswerChange, record_answers
from assessment.applicability import applicable_questions
from assessment.assignments import Plan, record_assignments
from assessment.catalogue import Catalogue
from assessment.evidence_changes import add_link
from assessment.extensions import db
from assessment.models import (
    Assessment,
    Membership,
    Organisation,
    Role,
    User,
)
from assessment.workflow import open_draft

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-2026"
DEMO_ORGANISATION = "Demo Social Ltd"
DEMO_SERVICE = "Demo Social (app and web)"
DEMO_PROFILE = {
    "hosts_media": True,
    "user_interaction": True,
    "file_storage": False,
    "groups_communities": True,
    "gaming_virtual_worlds": False,
    "anonymous_accounts": False,
    "private_messaging": True,
    "e2ee_messaging": False,
    "livestreaming": False,
    "search": True,
    "under_18s": True,
    "recommends_contacts": True,
    "generative_images": False,
    "mau_band": "1m_10m",
    "regions": ["uk", "eu", "au"],
}
DEMO_NARRATIVE = (
    "Demo Social matches every uploaded image and video against industry hash lists, "
    "reviews flagged material with trained moderators, and reports to NCMEC and national "
    "authorities. This summary is published yearly."
)
DEMO_LINKS = {
    "P1.1": (
        "Hash-matching standard (internal wiki)",
        "https://intranet.example.com/safety/hash-matching",
    ),
    "P11.1": ("Transparency report 2026", "https://demo-social.example.com/transparency/2026"),
}
# Share of the applicable questions the demo answers, so the demo shows both
# scores and the completion still to do.
ANSWERED_SHARE = 0.7


def _demo_pick(question_id: str, count: int) -> int:
    """Pick a stable pseudo-random index for a question (the same on every seed)."""
    return int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % count


def _demo_answer(catalogue: Catalogue, question) -> tuple[object, str] | None:
    scored = [o for o in catalogue.options_for(question) if not o.na and not o.requires_rationale]
    if question.type in ("scale", "choice") and scored:
        option = scored[1 + _demo_pick(question.id, len(scored) - 1)]
        return option.value, f"Demo answer: {option.label.lower()} across the app and web."
    if question.type == "multi" and scored:
        return [scored[_demo_pick(question.id, len(scored))].value], ""
    if question.type == "number":
        return 10 + _demo_pick(question.id, 90), "Demo figure for the last quarter."
    if question.type == "text":
        return "Demo answer: described in the internal policy handbook.", ""
    return None


def seed_demo(catalogue: Catalogue) -> tuple[Assessment, bool]:
    """Create the demo organisation, user and partly answered assessment once.

    Returns the demo assessment and whether it was created now. The caller commits.
    """
    user = db.session.scalars(sa.select(User).where(User.email == DEMO_EMAIL)).first()
    if user is None:
        organisation, user = _demo_organisation()
    else:
        organisation = user.memberships[0].organisation
        existing = db.session.scalars(
            sa.select(Assessment)
            .where(Assessment.organisation_id == organisation.id)
            .order_by(Assessment.id)
        ).first()
        if existing is not None:
            return existing, False
    assessment = open_draft(
        catalogue,
        organisation_id=organisation.id,
        service_name=DEMO_SERVICE,
        profile=DEMO_PROFILE,
        user=user,
        details={"service": DEMO_SERVICE, "seeded": "demo"},
    )
    _add_answers(catalogue, assessment, user)
    _add_assignments(catalogue, assessment, user)
    _add_links(catalogue, assessment, user)
    assessment.public_narrative = DEMO_NARRATIVE
    return assessment, True


def _demo_organisation() -> tuple[Organisation, User]:
    """Add the demo organisation with the demo user as its admin."""
    organisation = Organisation(name=DEMO_ORGANISATION)
    user = new_user(DEMO_EMAIL, "Dana Demo", DEMO_PASSWORD)
    db.session.add_all(
        [organisation, Membership(user=user, organisation=organisation, role=Role.ADMIN)]
    )
    db.session.flush()
    return organisation, user


def _add_answers(catalogue: Catalogue, assessment: Assessment, user: User) -> None:
    """Answer the first ANSWERED_SHARE of each principle's applicable questions.

    Through the write path people use, so the history and the sign-off's
    contributors show who answered.
    """
    changes = []
    for theme in catalogue.themes:
        for principle in theme.principles:
            applicable = applicable_questions(principle, assessment.profile)
            for question in applicable[: math.ceil(len(applicable) * ANSWERED_SHARE)]:
                answer = _demo_answer(catalogue, question)
                if answer is not None:
                    value, comment = answer
                    changes.append(AnswerChange(question.id, value, comment, base_version=0))
    record_answers(assessment, user, changes)


def _add_assignments(catalogue: Catalogue, assessment: Assessment, user: User) -> None:
    """Give every third principle to the demo user, some due already, some later."""
    plans = {
        principle_id: Plan(user.id, date.today() + timedelta(days=14 * (index - 2)))
        for index, principle_id in enumerate(catalogue.principles)
        if index % 3 == 0
    }
    record_assignments(assessment, user, plans)


def _add_links(catalogue: Catalogue, assessment: Assessment, user: User) -> None:
    for question_id, (title, url) in DEMO_LINKS.items():
        if question_id in catalogue.questions:
            add_link(assessment, question_id, user, title, url)
