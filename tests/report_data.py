"""Build scored assessments for the report tests, straight from the catalogue (no database)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime

from assessment.catalogue import Catalogue, build_catalogue, load_catalogue
from assessment.results import (
    AnswerInput,
    AssessmentInfo,
    Assignment,
    AuditEntry,
    EvidenceItem,
    ScoredAssessment,
)
from assessment.scoring import score_assessment

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


# What an approver records at sign-off, beside their name and the time (issue 10, point 4).
PERIOD = "FY2026 H1"
ATTESTATION = (
    "I confirm that this self-assessment is accurate and complete to the best of my knowledge."
)
APPROVER_ROLE = "Head of Trust and Safety"
REVIEW = "Evidence for P2 was thin; accepted with the action plan."


def signed_scored(catalogue: Catalogue | None = None) -> ScoredAssessment:
    """Score the approved sample with a previous cycle and every sign-off field recorded."""
    scored = sample_scored("approved", catalogue=catalogue, with_previous=True)
    info = replace(
        scored.info,
        period=PERIOD,
        attestation=ATTESTATION,
        approved_by_role=APPROVER_ROLE,
        review_comment=REVIEW,
    )
    return scored.model_copy(update={"info": info})


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


# ---------- the demo, and the largest assessment the app accepts ----------

DEMO_CONTRIBUTORS = ("Dana Demo", "Riley Respondent")


def demo_scored(status: str = "draft", *, with_previous: bool = False) -> ScoredAssessment:
    """Score the assessment `flask demo` seeds (same profile, answers and owners), no database.

    Its audit trail records each answer as saved by one of two contributors.
    """
    from assessment.applicability import question_applies
    from assessment.demo import (
        ANSWERED_SHARE,
        DEMO_NARRATIVE,
        DEMO_ORGANISATION,
        DEMO_PROFILE,
        DEMO_SERVICE,
        _demo_answer,
    )

    catalogue = load_catalogue()
    answers: dict[str, AnswerInput] = {}
    audit = []
    for theme in catalogue.themes:
        for principle in theme.principles:
            applicable = [
                q for q in principle.questions if question_applies(principle, q, DEMO_PROFILE)
            ]
            for question in applicable[: math.ceil(len(applicable) * ANSWERED_SHARE)]:
                answer = _demo_answer(catalogue, question)
                if answer is None:
                    continue
                value, comment = answer
                answers[question.id] = AnswerInput(value=value, comment=comment)
                audit.append(
                    AuditEntry(
                        at=datetime(2026, 3, 1 + len(audit) % 28, 10, 0, tzinfo=UTC),
                        who=DEMO_CONTRIBUTORS[len(audit) % 3 == 0],
                        action="answer",
                        target=question.id,
                        old=None,
                        new={"value": value, "comment": comment},
                    )
                )
    assignments = {
        pid: Assignment(owner="Dana Demo", due_date=date(2026, 6, 1 + 7 * (i // 3)))
        for i, pid in enumerate(catalogue.principles)
        if i % 3 == 0
    }
    approved = status == "approved"
    info = AssessmentInfo(
        assessment_id=1,
        organisation=DEMO_ORGANISATION,
        service=DEMO_SERVICE,
        status=status,
        created_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        updated_at=datetime(2026, 3, 28, 17, 0, tzinfo=UTC),
        profile=DEMO_PROFILE,
        assignments=assignments,
        approved_at=APPROVED_AT if approved else None,
        approved_by=APPROVER if approved else "",
        approved_by_role="Reviewer" if approved else "",
        public_narrative=DEMO_NARRATIVE,
        audit=tuple(audit),
    )
    previous = None
    if with_previous:
        earlier = replace(info, assessment_id=0, status="approved", approved_at=APPROVED_AT)
        older_answers = dict(list(answers.items())[::2])
        previous = score_assessment(catalogue, earlier, older_answers)
        info = replace(info, previous_assessment_id=0)
    return score_assessment(catalogue, info, answers, previous=previous)


# Every field at the longest the app accepts: names 200, comments 5000, evidence titles 300,
# URLs 2000 characters, the narrative 10,000. Words are long and unbroken where a person's might be.
LONG_NAME = ("Maximilian-Alexander Featherstonehaugh-Cholmondeley " * 5)[:200]
LONG_SERVICE = ("Acme Ultra Social Video Messaging Platform (iOS, Android, web) " * 4)[:200]
LONG_COMMENT = (
    "Reviewed quarterly by the trust and safety lead; see "
    "https://intranet.example.org/" + "x" * 180 + " and the runbook. "
) * 60
LONG_COMMENT = LONG_COMMENT[:5000]


def stress_scored(status: str = "approved", *, with_previous: bool = True) -> ScoredAssessment:
    """Score an assessment with every free-text field at its maximum length."""
    catalogue = load_catalogue()
    evidence = (
        EvidenceItem(
            kind="file",
            title="T" * 300,
            filename=("very-long-evidence-file-name-" * 10)[:255] + ".pdf",
            media_type="application/pdf",
            size=10_485_760,
            sha256="f" * 64,
        ),
        EvidenceItem(kind="link", title="L" * 300, url="https://example.org/" + "p" * 1980),
    )
    # The longest comment and evidence on the first question of each principle (every
    # question at 5000 characters makes a 180-page report that proves nothing more).
    firsts = {p.questions[0].id for p in catalogue.principles.values()}
    answers = {
        qid: replace(a, comment=LONG_COMMENT, evidence=evidence) if qid in firsts else a
        for qid, a in sample_answers(catalogue).items()
    }
    audit = tuple(
        AuditEntry(
            at=datetime(2024, 5, 2, 9, 0, tzinfo=UTC),
            who=f"{LONG_NAME[:190]} {n}",
            action="answer" if n % 4 else "status",
            target=qid,
            old=None,
            new={"value": "1", "comment": LONG_COMMENT}
            if n % 4
            else {"status": "changes_requested", "comment": LONG_COMMENT},
        )
        for n, qid in enumerate(list(catalogue.questions)[:12])
    )
    approved = status == "approved"
    info = AssessmentInfo(
        assessment_id=99999,
        organisation=LONG_NAME,
        service=LONG_SERVICE,
        status=status,
        created_at=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
        updated_at=datetime(2024, 6, 2, 9, 30, tzinfo=UTC),
        profile=PROFILE,
        assignments={
            pid: Assignment(owner=LONG_NAME, due_date=date(2024, 12, 31))
            for pid in catalogue.principles
        },
        approved_at=APPROVED_AT if approved else None,
        approved_by=LONG_NAME if approved else "",
        approved_by_role="Administrator" if approved else "",
        review_comment=LONG_COMMENT,
        public_narrative=("We publish this statement every year. " * 300)[:10_000],
        previous_assessment_id=99998 if with_previous else None,
        audit=audit,
        period=("FY2026 H1 (1 April 2025 to 30 September 2025) " * 5)[:200],
        attestation=LONG_COMMENT,
    )
    previous = None
    if with_previous:
        earlier = replace(info, assessment_id=99998, previous_assessment_id=None)
        previous = score_assessment(catalogue, earlier, sample_answers(catalogue, shift=3))
    return score_assessment(catalogue, info, answers, previous=previous)


def long_names_catalogue() -> Catalogue:
    """Return the catalogue with every principle in scope and every title at great length."""
    data = load_catalogue().spec.model_dump(mode="json")
    for theme in data["themes"]:
        theme["title"] = (theme["title"] + " and everything that goes with it ") * 3
        for principle in theme["principles"]:
            principle["applies_if"] = None
            principle["title"] = (principle["title"] + ", in every product and region ") * 4
            for question in principle["questions"]:
                question["applies_if"] = None
                question["recommendation"] = (question["recommendation"] + " ") * 4
    return build_catalogue(data)
