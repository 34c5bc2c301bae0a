"""Every question type the catalogue accepts, through the forms, scoring, the PDF and the importer.

The shipped catalogue asks only scale questions, so these tests run the app on
`tests/catalogues/all_types.yaml` (loaded through the real loader), which asks
one question of each type.
"""

import io
import json
import re
from pathlib import Path
from typing import get_args

import pytest
import sqlalchemy as sa

from assessment.catalogue import Question, load_catalogue
from assessment.extensions import db
from assessment.importer import ImportRefused, parse_export
from assessment.models import Answer, Assessment
from assessment.results import AnswerInput, AssessmentInfo
from assessment.scoring import score_assessment
from tests.factories import make_answer, make_assessment, make_user
from tests.pdf_text import page_texts

ALL_TYPES = Path(__file__).resolve().parent / "catalogues" / "all_types.yaml"
PROFILE = {"hosts_media": True, "regions": ["uk"]}

# One answer of each type, as the principle page posts it and as it is stored.
POSTED = {
    "q_D1_1-answer": "2",
    "q_D1_2-answer": "vendor",
    "q_D1_3-answer": ["hashes", "urls"],
    "q_D1_4-answer": "12",
    "q_D1_5-answer": "  Weekly rotation and counselling.  ",
}
STORED = {
    "D1.1": "2",
    "D1.2": "vendor",
    "D1.3": ["hashes", "urls"],
    "D1.4": 12,
    "D1.5": "Weekly rotation and counselling.",
}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(ALL_TYPES)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CATALOGUE_PATH": str(ALL_TYPES)}


@pytest.fixture
def assessment_id(app, auth):
    """An assessment against the all-types catalogue, its owner logged in."""
    with app.app_context():
        user = make_user()
        assessment = make_assessment(user, profile=PROFILE, service_name="Acme Photos")
        db.session.commit()
        email, assessment_id = user.email, assessment.id
    assert auth.login(email).status_code == 302
    return assessment_id


@pytest.fixture
def answered(app, assessment_id):
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        for question_id, value in STORED.items():
            make_answer(assessment, question_id, value, f"Comment on {question_id}.")
        db.session.commit()
    return assessment_id


def stored_answers(app, assessment_id) -> dict:
    with app.app_context():
        rows = db.session.scalars(sa.select(Answer).where(Answer.assessment_id == assessment_id))
        return {a.question_id: a.value for a in rows}


def post_page(client, assessment_id, answers: dict):
    data = {f"q_D1_{n}-base_version": "0" for n in range(1, 6)}
    return client.post(
        f"/assessments/{assessment_id}/principles/D1", data={**data, **answers, "save": "Save"}
    )


def test_the_test_catalogue_asks_every_question_type_the_schema_accepts(catalogue):
    accepted = set(get_args(Question.model_fields["type"].annotation))
    assert {q.type for q in catalogue.questions.values()} == accepted


def test_a_principle_page_saves_an_answer_of_every_type(app, client, assessment_id):
    response = post_page(client, assessment_id, POSTED)
    assert response.status_code == 302, response.text
    assert stored_answers(app, assessment_id) == STORED

    page = client.get(f"/assessments/{assessment_id}/principles/D1").text
    assert re.search(r'<input checked[^>]*value="hashes"|value="hashes"[^>]*checked', page)
    assert re.search(r'<input checked[^>]*value="urls"|value="urls"[^>]*checked', page)
    assert not re.search(
        r'<input checked[^>]*value="classifiers"|value="classifiers"[^>]*checked', page
    )
    assert 'value="12"' in page
    assert "Weekly rotation and counselling.</textarea>" in page
    assert "5 of 5 applicable questions answered" in page


def test_a_decimal_is_stored_as_a_number_and_cleared_answers_as_none(app, client, assessment_id):
    assert post_page(client, assessment_id, POSTED).status_code == 302
    cleared = {"q_D1_3-answer": [], "q_D1_4-answer": "2.5", "q_D1_5-answer": "   "}
    data = {**POSTED, **cleared, **{f"q_D1_{n}-base_version": "1" for n in range(1, 6)}}
    response = client.post(
        f"/assessments/{assessment_id}/principles/D1", data={**data, "save": "Save"}
    )
    assert response.status_code == 302, response.text
    stored = stored_answers(app, assessment_id)
    assert stored["D1.4"] == 2.5
    assert stored["D1.3"] is None and stored["D1.5"] is None


@pytest.mark.parametrize(
    ("number", "message"),
    [("-1", "Must be 0 or more."), ("many", "Write the number with the digits 0 to 9")],
)
def test_a_number_that_is_not_zero_or_more_is_refused_beside_the_valid_answers(
    app, client, assessment_id, number, message
):
    # Changed by issue 9: this page used to save nothing when one answer was invalid.
    # Now the valid answers save and the invalid one stays on the page with its error.
    response = post_page(client, assessment_id, {**POSTED, "q_D1_4-answer": number})
    assert response.status_code == 422
    assert message in response.text
    assert "Saved: 4 answers changed. 1 answer was not saved" in response.text
    assert f'value="{number}"' in response.text  # what was typed is kept
    assert stored_answers(app, assessment_id) == {k: v for k, v in STORED.items() if k != "D1.4"}


def test_a_choice_outside_the_options_is_refused_beside_the_valid_answers(
    app, client, assessment_id
):
    response = post_page(client, assessment_id, {**POSTED, "q_D1_3-answer": ["hashes", "magic"]})
    assert response.status_code == 422
    assert stored_answers(app, assessment_id) == {k: v for k, v in STORED.items() if k != "D1.3"}


def test_a_conflict_shows_their_answer_of_every_type_in_words(app, client, assessment_id):
    assert post_page(client, assessment_id, POSTED).status_code == 302
    mine = {"q_D1_3-answer": ["none"], "q_D1_4-answer": "3", "q_D1_5-answer": "Mine."}
    response = post_page(client, assessment_id, {**POSTED, **mine})  # still based on version 0
    assert response.status_code == 409
    theirs = re.findall(r"Their answer: ([^<]*)</p>", response.text)
    assert theirs == ["Hash matching, URL lists", "12", "Weekly rotation and counselling."]
    assert stored_answers(app, assessment_id) == STORED


def score(catalogue, answers: dict, profile=PROFILE):
    info = AssessmentInfo(
        assessment_id=1, organisation="Acme", service="Photos", status="draft", profile=profile
    )
    return score_assessment(
        catalogue, info, {qid: AnswerInput(value=v) for qid, v in answers.items()}
    )


def test_scoring_counts_choices_and_ticked_options_and_records_numbers_and_text(catalogue):
    scored = score(catalogue, STORED)
    results = {q.id: q for q in scored.questions}
    assert results["D1.2"].score == 50 and results["D1.2"].answer_label == "A vendor under contract"
    assert results["D1.3"].score == 75
    assert results["D1.3"].answer_label == "Hash matching, URL lists"
    for qid, label in (("D1.4", "12"), ("D1.5", "Weekly rotation and counselling.")):
        assert results[qid].answered and not results[qid].scored, qid
        assert results[qid].score is None and results[qid].answer_label == label
    # (1 x 50 + 1 x 50 + 2 x 75) / 4: the multi question weighs 2.
    assert scored.principle("D1").score == 62.5
    assert scored.principle("D1").display_score == 63
    assert scored.completion == 1.0
    assert [g.question_id for g in scored.gaps] == ["D1.1", "D1.2"]


@pytest.mark.parametrize(
    ("ticked", "expected"),
    [(["hashes", "classifiers", "urls"], 100), (["none"], 0), (["hashes", "none"], 50)],
)
def test_a_multi_question_scores_the_sum_of_its_ticked_options_up_to_full(
    catalogue, ticked, expected
):
    (result,) = [q for q in score(catalogue, {"D1.3": ticked}).questions if q.id == "D1.3"]
    assert result.score == expected


def test_unanswered_multi_number_and_text_questions_lower_completion_only(catalogue):
    scored = score(catalogue, {"D1.1": "4", "D1.2": "trained"})
    results = {q.id: q for q in scored.questions}
    assert results["D1.3"].score == 0 and results["D1.3"].is_gap
    assert results["D1.4"].answer_label == "Not answered" and not results["D1.4"].is_gap
    assert scored.completion == 2 / 5


def test_the_profile_scopes_a_multi_question_out(catalogue):
    scored = score(catalogue, STORED, profile={"hosts_media": False, "regions": []})
    (result,) = [q for q in scored.questions if q.id == "D1.3"]
    assert not result.applicable and result.score is None
    assert '"Can users share images or video?" is Yes (answered: No)' in result.scope_reason
    # (1 x 50 + 1 x 50) / 2 without the multi question.
    assert scored.principle("D1").score == 50


@pytest.mark.real_pdf
def test_the_pdf_prints_the_answer_of_every_type(app, client, answered):
    response = client.get(f"/assessments/{answered}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(" ".join(page.split()) for page in page_texts(response.data))
    for expected in (
        "Developing",
        "A vendor under contract",
        "Hash matching, URL lists",
        "How many people review flagged material?",
        "Weekly rotation and counselling.",
        "Comment on D1.4.",
    ):
        assert expected in text, expected
    assert re.search(r"How many people review flagged material\?.*\b12\b", text)


def test_export_and_import_keep_the_answer_of_every_type(app, client, answered):
    exported = client.get(f"/assessments/{answered}/report.json").get_data()
    response = client.post(
        "/assessments/import",
        data={"file": (io.BytesIO(exported), "export.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    new_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert new_id != answered
    assert stored_answers(app, new_id) == STORED
    again = client.get(f"/assessments/{new_id}/report.json").get_json()
    questions = {
        q["id"]: q for t in again["themes"] for p in t["principles"] for q in p["questions"]
    }
    assert {qid: q["value"] for qid, q in questions.items()} == STORED
    assert questions["D1.4"]["comment"] == "Comment on D1.4."


def test_import_refuses_answers_that_do_not_fit_their_type(app, client, answered, catalogue):
    exported = client.get(f"/assessments/{answered}/report.json").get_json()
    questions = exported["themes"][0]["principles"][0]["questions"]
    values = {"D1.2": "maybe", "D1.3": ["hashes", "magic"], "D1.4": -3, "D1.5": "x" * 5001}
    for question in questions:
        question["value"] = values.get(question["id"], question["value"])
    with pytest.raises(ImportRefused) as refused:
        parse_export(json.dumps(exported).encode(), catalogue)
    problems = refused.value.problems
    place = "themes[0].principles[0].questions"
    assert problems == [
        f"{place}[1] (D1.2).value: 'maybe' is not an answer option of D1.2 "
        "(choose one of trained, vendor, nobody)",
        f"{place}[2] (D1.3).value: ['hashes', 'magic'] must be a non-empty list of options "
        "of D1.3 (hashes, classifiers, urls, none)",
        f"{place}[3] (D1.4).value: -3 is not a number of 0 or more",
        f"{place}[4] (D1.5).value: must be text of at most 5000 characters",
    ]
