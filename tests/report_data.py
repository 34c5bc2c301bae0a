"""Build scored assessments for the report tests, straight from the catalogue (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from assessment.catalogue import Catalogue, build_catalogue, iter_questions, load_catalogue
from assessment.scoring import AnswerInput, AssessmentInfo, ScoredAssessment, score_assessment

ISSUED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)

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
    catalogue: Catalogue, comments: dict[str, str] | None = None
) -> dict[str, AnswerInput]:
    """Answer every question with a valid option and a comment, whatever the catalogue holds."""
    answers = {}
    for i, (_, _, question) in enumerate(iter_questions(catalogue)):
        values = [o.value for o in catalogue.options_for(question) if not o.requires_rationale]
        preferred = [v for v in MATURITY_VALUES + CHOICE_VALUES if v in values]
        pool = preferred or values
        value = pool[i % len(pool)] if pool else None
        comment = (comments or {}).get(question.id, comment_for(question.id))
        answers[question.id] = AnswerInput(value=value, comment=comment)
    return answers


def sample_scored(
    status: str = "draft",
    *,
    catalogue: Catalogue | None = None,
    organisation: str = "Acme Social Ltd",
    service: str = "Acme Chat",
    comments: dict[str, str] | None = None,
) -> ScoredAssessment:
    """Score a sample assessment with the given status and comments."""
    catalogue = catalogue or load_catalogue()
    info = AssessmentInfo(
        assessment_id=42,
        organisation=organisation,
        service=service,
        status=status,
        created_at=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
        updated_at=datetime(2024, 6, 2, 9, 30, tzinfo=UTC),
        profile=PROFILE,
    )
    return score_assessment(catalogue, info, sample_answers(catalogue, comments))


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
