"""Scoring: pure functions from catalogue and answers to scores, bands and gaps."""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.catalogue import build_catalogue
from assessment.results import AnswerInput, AssessmentInfo, round_half_up
from assessment.scoring import score_assessment

SPEC = {
    "catalogue": {"id": "t", "title": "Test", "version": "1.0.0", "source": {"title": "S"}},
    "scales": [
        {
            "id": "m",
            "title": "Maturity",
            "options": [
                {"value": "0", "label": "None", "score": 0},
                {"value": "1", "label": "Initial", "score": 0.25},
                {"value": "2", "label": "Developing", "score": 0.5},
                {"value": "3", "label": "Established", "score": 0.75},
                {"value": "4", "label": "Leading", "score": 1},
                {"value": "alt", "label": "Alternative", "score": 0.75, "requires_rationale": True},
                {"value": "na", "label": "N/A", "na": True},
            ],
        }
    ],
    "scoring": {
        "gap_threshold": 0.75,
        "bands": [
            {"min": 0, "label": "Low", "colour": "red"},
            {"min": 50, "label": "Mid", "colour": "amber"},
            {"min": 80, "label": "High", "colour": "green"},
        ],
    },
    "profile": [{"id": "live", "type": "boolean", "text": "Live?"}],
    "themes": [
        {
            "id": "T1",
            "title": "Theme one",
            "principles": [
                {
                    "id": "A",
                    "title": "A",
                    "statement": "A statement.",
                    "questions": [
                        {
                            "id": "A.1",
                            "text": "q",
                            "scale": "m",
                            "weight": 3,
                            "recommendation": "Do A1",
                        },
                        {
                            "id": "A.2",
                            "text": "q",
                            "scale": "m",
                            "weight": 1,
                            "recommendation": "Do A2",
                        },
                        {"id": "A.3", "text": "how many", "type": "number"},
                    ],
                },
                {
                    "id": "B",
                    "title": "B",
                    "statement": "B statement.",
                    "weight": 2,
                    "questions": [{"id": "B.1", "text": "q", "scale": "m"}],
                },
            ],
        },
        {
            "id": "T2",
            "title": "Theme two",
            "principles": [
                {
                    "id": "L",
                    "title": "Live",
                    "statement": "L statement.",
                    "applies_if": {"live": True},
                    "scope_note": "No livestreams.",
                    "questions": [{"id": "L.1", "text": "q", "scale": "m"}],
                }
            ],
        },
    ],
}
CATALOGUE = build_catalogue(SPEC)
SCALE_VALUES = ["0", "1", "2", "3", "4"]


def score(answers, profile=None):
    info = AssessmentInfo(
        1, "Org", "Svc", "draft", profile={"live": True} if profile is None else profile
    )
    return score_assessment(
        CATALOGUE,
        info,
        {k: v if isinstance(v, AnswerInput) else AnswerInput(v) for k, v in answers.items()},
    )


def test_weighted_mean_of_questions_makes_the_principle_score():
    result = score({"A.1": "4", "A.2": "0"})
    assert result.principle("A").score == pytest.approx(75.0)  # (3*100 + 1*0) / 4


def test_unanswered_counts_as_zero_and_lowers_completion():
    result = score({"A.1": "4"})
    principle = result.principle("A")
    assert principle.score == pytest.approx(75.0)
    assert principle.answered_count == 1
    assert principle.applicable_count == 3  # the number question counts for completion
    assert principle.completion == pytest.approx(1 / 3)


def test_not_applicable_answer_leaves_numerator_and_denominator():
    result = score({"A.1": "na", "A.2": "2"})
    assert result.principle("A").score == pytest.approx(50.0)
    assert not result.principle("A").questions[0].applicable
    assert result.principle("A").questions[0].scope_reason == "Answered as not applicable."


def test_principle_where_everything_is_not_applicable_has_no_score():
    result = score({"B.1": "na"})
    b = result.principle("B")
    assert b.score is None
    assert b.band == "Not applicable"
    assert not b.applicable
    assert "not applicable" in b.scope_reason


def test_profile_scopes_out_a_principle_and_says_why():
    result = score({"L.1": "4"}, profile={"live": False})
    live = result.principle("L")
    assert live.score is None
    assert not live.applicable
    assert '"Live?" is Yes (answered: No)' in live.scope_reason
    assert "No livestreams." in live.scope_reason
    assert result.themes[1].score is None
    assert all(g.principle_id != "L" for g in result.gaps)


def test_unanswered_profile_field_keeps_a_conditional_principle_out_of_scope():
    result = score({}, profile={})
    assert not result.principle("L").applicable
    assert "Not answered" in result.principle("L").scope_reason


def test_theme_and_overall_are_weighted_means_of_principles():
    result = score({"A.1": "4", "A.2": "4", "B.1": "0", "L.1": "2"})
    assert result.themes[0].score == pytest.approx((1 * 100 + 2 * 0) / 3)
    assert result.score == pytest.approx((1 * 100 + 2 * 0 + 1 * 50) / 4)


def test_alternative_measure_counts_only_with_a_rationale():
    without = score({"B.1": AnswerInput("alt", "")})
    with_reason = score({"B.1": AnswerInput("alt", "E2EE: we use user reporting with franking")})
    assert without.principle("B").score == 0
    assert "needs a rationale" in without.principle("B").questions[0].note
    assert with_reason.principle("B").score == pytest.approx(75.0)


def test_gaps_carry_recommendations_ordered_by_priority():
    result = score({"A.1": "1", "A.2": "0", "B.1": "3", "L.1": "4"})
    assert [g.question_id for g in result.gaps] == ["A.1", "A.2"]
    assert result.gaps[0].recommendation == "Do A1"
    assert result.gaps[0].priority == pytest.approx(3 * 0.75)
    assert result.gaps[1].priority == pytest.approx(1.0)


def test_unknown_stored_value_scores_zero_with_a_note():
    result = score({"B.1": "7"})
    question = result.principle("B").questions[0]
    assert question.score == 0
    assert question.answer_label == "Unknown answer '7'"


@pytest.mark.parametrize(
    ("raw", "shown"), [(0.5, 1), (1.5, 2), (2.5, 3), (49.5, 50), (79.49, 79), (None, None)]
)
def test_display_rounds_half_up(raw, shown):
    assert round_half_up(raw) == shown


def test_band_follows_the_rounded_figure():
    """79.5 is shown as 80, so its band must be the one that starts at 80."""
    spec = copy.deepcopy(SPEC)
    spec["themes"][0]["principles"][0]["questions"] = [
        {"id": "A.1", "text": "q", "scale": "m", "weight": 41},
        {"id": "A.2", "text": "q", "scale": "m", "weight": 159},
    ]
    catalogue = build_catalogue(spec)
    info = AssessmentInfo(1, "O", "S", "draft", profile={"live": True})
    result = score_assessment(catalogue, info, {"A.1": AnswerInput("0"), "A.2": AnswerInput("4")})
    assert result.principle("A").score == pytest.approx(79.5)
    assert result.principle("A").display_score == 80
    assert result.principle("A").band == "High"


answers_strategy = st.fixed_dictionaries(
    {},
    optional={q: st.sampled_from(SCALE_VALUES + ["na"]) for q in ("A.1", "A.2", "B.1", "L.1")},
)


def _all_scores(result):
    yield result.score
    for theme in result.themes:
        yield theme.score
        for principle in theme.principles:
            yield principle.score


@settings(max_examples=200, deadline=None)
@given(answers=answers_strategy, live=st.booleans())
def test_scores_stay_between_0_and_100(answers, live):
    result = score(answers, profile={"live": live})
    for value in _all_scores(result):
        assert value is None or 0 <= value <= 100
    assert 0 <= result.completion <= 1


@settings(max_examples=300, deadline=None)
@given(
    answers=answers_strategy, question=st.sampled_from(["A.1", "A.2", "B.1", "L.1"]), data=st.data()
)
def test_improving_one_answer_never_lowers_any_score(answers, question, data):
    current = answers.get(question)
    if current == "na":
        return
    floor = SCALE_VALUES.index(current) if current else -1
    if floor == len(SCALE_VALUES) - 1:
        return
    better = data.draw(st.sampled_from(SCALE_VALUES[floor + 1 :]))
    before = list(_all_scores(score(answers)))
    after = list(_all_scores(score({**answers, question: better})))
    for old, new in zip(before, after, strict=True):
        if old is not None:
            assert new is not None and new >= old - 1e-9
