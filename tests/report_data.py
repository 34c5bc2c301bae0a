"""Build scored assessments for the report tests, straight from the catalogue (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from assessment.catalogue import Catalogue, build_catalogue, load_catalogue
from assessment.scoring import (
    AnswerInput,
    AssessmentInfo,
    Assignment,
    AuditEntry,
    EvidenceItem,
    ScoredAssessment,
    score_assessment,
)

ISSUED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)
APPROVED_AT = datetime(2024, 6, 2, 16, 45, tzinfo=UTC)
APPROVER = "Morgan Reviewer"

# Evidence on the first question: a file (listed with its hash) and a link (printed, never fetched).
EVIDENCE = (
    EvidenceItem(
        kind="file",
        title="Hash-matching runbook",
        filename="hash-matching-runbook-v3.pdf",
        media_type="application/pdf",
        size=48213,
        sha256="9f2c4b1e" + "0" * 56,
    ),
    EvidenceItem(
        kind="link",
        title="Transparency report 2024",
        url="https://transparency.example.org/reports/2024",
    ),
)
OWNERS = {
    "P1": Assignment(owner="Priya Patel", due_date=date(2024, 9, 30)),
    "P2": Assignment(owner="Sam O'Neill", due_date=date(2024, 10, 31)),
}
NARRATIVE = "We publish this summary each year to show our progress against the principles."
AUDIT = (
    AuditEntry(
        at=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
        who="Alex Author",
        action="create",
        target="assessment",
        old=None,
        new={"service": "Acme Chat"},
    ),
    AuditEntry(
        at=datetime(2024, 5, 2, 9, 0, tzinfo=UTC),
        who="Alex Author",
        action="answer",
        target="P1.1",
        old=None,
        new={"value": "3", "comment": "first"},
    ),
)

# A profile that keeps some principles in scope and scopes others out.
PROFILE = {
    "hosts_media": True,
    "private_messaging": True,
    "e2ee_messaging": False,
    "livestreaming": False,
    "search": True,
    "under_18s": True,
}

# Cycled over the questions so the report shows a spread of answers.
MATURITY_VALUES = ("3", "1", "2", "0", "4", "na")
CHOICE_VALUES = ("yes", "partly", "no")


def comment_for(question_id: str) -> str:
    """Return the comment the sample assessment gives a question."""
    return f"Evidence note for {question_id}: owned by the safety team."


def sample_answers(
    catalogue: Catalogue, comments: dict[str, str] | None = None, shift: int = 0
) -> dict[str, AnswerInput]:
    """Answer every question with a valid option and a comment, whatever the catalogue holds.

    The first question carries the sample EVIDENCE; `shift` picks other answers
    (a previous assessment that said different things).
    """
    answers = {}
    for i, question in enumerate(catalogue.questions.values()):
        values = [o.value for o in catalogue.options_for(question) if not o.requires_rationale]
        preferred = [v for v in MATURITY_VALUES + CHOICE_VALUES if v in values]
        pool = preferred or values
        value = pool[(i + shift) % len(pool)] if pool else None
        if question.type == "multi" and value is not None:
            value = [value]
        comment = (comments or {}).get(question.id, comment_for(question.id))
        evidence = EVIDENCE if i == 0 else ()
        answers[question.id] = AnswerInput(value=value, comment=comment, evidence=evidence)
    return answers


def sample_scored(
    status: str = "draft",
    *,
    catalogue: Catalogue | None = None,
    organisation: str = "Acme Social Ltd",
    service: str = "Acme Chat",
    comments: dict[str, str] | None = None,
    with_previous: bool = False,
) -> ScoredAssessment:
    """Score a sample assessment with the given status and comments.

    It has owners, evidence, an audit trail and a public narrative; with
    `with_previous`, a trend against an earlier approved assessment too.
    """
    catalogue = catalogue or load_catalogue()
    approved = status == "approved"
    info = AssessmentInfo(
        assessment_id=42,
        organisation=organisation,
        service=service,
        status=status,
        created_at=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
        updated_at=datetime(2024, 6, 2, 9, 30, tzinfo=UTC),
        profile=PROFILE,
        assignments=OWNERS,
        approved_at=APPROVED_AT if approved else None,
        approved_by=APPROVER if approved else "",
        public_narrative=NARRATIVE,
        previous_assessment_id=41 if with_previous else None,
        audit=AUDIT,
    )
    previous = None
    if with_previous:
        earlier = replace(
            info,
            assessment_id=41,
            status="approved",
            approved_at=datetime(2023, 6, 1, 10, 0, tzinfo=UTC),
            previous_assessment_id=None,
        )
        previous = score_assessment(catalogue, earlier, sample_answers(catalogue, shift=2))
    return score_assessment(catalogue, info, sample_answers(catalogue, comments), previous=previous)


def expanded_catalogue(per_principle: int = 6) -> Catalogue:
    """Return the catalogue grown to several questions a principle, some mapped or unscored."""
    data = load_catalogue().spec.model_dump(mode="json")
    for theme in data["themes"]:
        for principle in theme["principles"]:
            first = principle["questions"][0]
            extra = []
            for n in range(2, per_principle + 1):
                question = dict(first, id=f"{principle['id']}.{n}", text=f"{first['text']} ({n})")
                question["mappings"] = [
                    {"framework": "DTSP Safe Framework", "ref": f"Practice {n}", "note": ""}
                ]
                if n == per_principle:
                    question.update(type="text", scale=None, recommendation="")
                extra.append(question)
            principle["questions"] = [first, *extra]
    return build_catalogue(data)
