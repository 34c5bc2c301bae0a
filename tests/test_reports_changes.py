"""What changed since the previous approved assessment: one pure function, no database."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from assessment.catalogue import load_catalogue
from assessment.changes import what_changed
from assessment.results import AnswerInput, AssessmentInfo, AuditEntry
from assessment.scoring import score_assessment
from reports.content import contributors, review_notes
from tests.report_data import PROFILE


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def scored(catalogue, answers, audit=(), assessment_id=2):
    info = AssessmentInfo(
        assessment_id=assessment_id,
        organisation="Org",
        service="Chat",
        status="draft",
        profile=PROFILE,
        audit=tuple(audit),
        approved_at=datetime(2025, 1, 1, tzinfo=UTC) if assessment_id == 1 else None,
    )
    return score_assessment(catalogue, info, answers)


def test_changed_answers_carry_labels_and_who_changed_them_when(catalogue):
    before = scored(
        catalogue, {"P1.1": AnswerInput("1"), "P1.2": AnswerInput("4")}, assessment_id=1
    )
    at = datetime(2026, 2, 3, 10, 0, tzinfo=UTC)
    audit = [
        AuditEntry(at, "Old Hand", "answer", "P1.1", None, {"value": "2"}),
        AuditEntry(at.replace(hour=11), "Alex Author", "answer", "P1.1", None, {"value": "4"}),
    ]
    now = scored(catalogue, {"P1.1": AnswerInput("4"), "P1.2": AnswerInput("4")}, audit)
    changes = what_changed(now, before)
    (change,) = changes.answers
    assert (change.question_id, change.before, change.after) == ("P1.1", "Initial", "Leading")
    assert (change.who, change.at) == ("Alex Author", at.replace(hour=11))
    assert [g.question_id for g in changes.closed_gaps] == ["P1.1"]
    assert "P1.2" not in [g.question_id for g in changes.new_gaps]
    assert changes.previous_assessment_id == 1


def test_a_new_gap_and_an_answer_removed(catalogue):
    before = scored(
        catalogue, {"P1.2": AnswerInput("4"), "P1.4": AnswerInput("3")}, assessment_id=1
    )
    now = scored(catalogue, {"P1.2": AnswerInput("1")})
    changes = what_changed(now, before)
    by_id = {c.question_id: c for c in changes.answers}
    assert (by_id["P1.2"].before, by_id["P1.2"].after) == ("Leading", "Initial")
    assert (by_id["P1.4"].before, by_id["P1.4"].after) == ("Established", "Not answered")
    assert by_id["P1.2"].who == ""  # no audit record: the page says so rather than guess
    assert {"P1.2", "P1.4"} <= {g.question_id for g in changes.new_gaps}


def test_nothing_changed_is_empty(catalogue):
    answers = {"P1.1": AnswerInput("3"), "P2.1": AnswerInput(["a"])}
    changes = what_changed(scored(catalogue, answers), scored(catalogue, answers, assessment_id=1))
    assert changes.empty and not changes.answers


def test_a_value_stored_as_a_number_or_as_text_is_the_same_answer(catalogue):
    before = scored(catalogue, {"P1.1": AnswerInput(3)}, assessment_id=1)
    now = scored(catalogue, {"P1.1": AnswerInput("3")})
    assert not what_changed(now, before).answers


def test_scoring_with_a_previous_assessment_attaches_the_changes(catalogue):
    before = scored(catalogue, {"P1.1": AnswerInput("1")}, assessment_id=1)
    info = AssessmentInfo(assessment_id=2, organisation="Org", service="Chat", status="draft")
    now = score_assessment(catalogue, replace(info, profile=PROFILE), {}, previous=before)
    assert now.changes is not None and now.trend is not None
    assert [c.question_id for c in now.changes.answers] == ["P1.1"]
    assert now.trend.previous_theme_scores


def test_contributors_count_answer_changes_per_person(catalogue):
    at = datetime(2026, 1, 1, tzinfo=UTC)
    audit = (
        AuditEntry(at, "A", "answer", "P1.1", None, {}),
        AuditEntry(at, "B", "answer", "P1.2", None, {}),
        AuditEntry(at.replace(day=5), "A", "answer", "P1.3", None, {}),
        AuditEntry(at, "C", "profile", "profile", {}, {}),
        AuditEntry(
            at, "R", "status", "status", {}, {"status": "changes_requested", "comment": "Fix P2"}
        ),
    )
    people = contributors(audit)
    assert [(p.name, p.changes) for p in people] == [("A", 2), ("B", 1)]
    assert people[0].last == at.replace(day=5)
    (note,) = [n for n in review_notes(audit) if n.comment]
    assert (note.who, note.status, note.comment) == ("R", "changes_requested", "Fix P2")
