"""Reading a JSON export back: what is refused, what is skipped with a warning."""

import json

import pytest

from assessment.catalogue import load_catalogue
from assessment.importer import COMMENT_MAX, MAX_BYTES, ImportRefused, parse_export
from reports.export import to_dict, to_json
from tests.report_data import sample_scored


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def export(catalogue):
    return to_dict(sample_scored(catalogue=catalogue))


def encode(document) -> bytes:
    return json.dumps(document).encode()


def damaged(export, change) -> bytes:
    document = json.loads(json.dumps(export))
    change(document)
    return encode(document)


def first_question(document):
    return document["themes"][0]["principles"][0]["questions"][0]


def refused(data, catalogue) -> list[str]:
    with pytest.raises(ImportRefused) as info:
        parse_export(data, catalogue)
    return info.value.problems


def test_an_export_reads_back_as_service_profile_and_answers(export, catalogue):
    scored = sample_scored(catalogue=catalogue)
    imported = parse_export(to_json(scored), catalogue)
    assert imported.service == scored.info.service
    assert imported.profile == {k: v for k, v in scored.info.profile.items() if v is not None}
    answered = {q.id: (q.value, q.comment) for q in scored.questions if q.answered or q.comment}
    assert {k: (a.value, a.comment) for k, a in imported.answers.items()} == answered
    # The sample has evidence; an export names it but cannot carry the files.
    assert any("evidence" in w for w in imported.warnings)


def test_not_json_is_refused_with_the_place(catalogue):
    (problem,) = refused(b'{"schema_version": "1.1",', catalogue)
    assert problem.startswith("the file is not JSON: line 1 column")


@pytest.mark.parametrize("data", [b"\xff\xfe\x00", b"[1, 2]", b'"text"'])
def test_other_non_exports_are_refused(data, catalogue):
    assert refused(data, catalogue)


def test_a_file_over_the_limit_is_refused(catalogue):
    (problem,) = refused(b" " * (MAX_BYTES + 1), catalogue)
    assert "at most" in problem


def test_another_schema_version_is_refused(export, catalogue):
    data = damaged(export, lambda d: d.update(schema_version="1.0"))
    (problem,) = refused(data, catalogue)
    assert problem.startswith("schema_version: '1.0' is not supported")


def test_a_schema_violation_names_its_place(export, catalogue):
    data = damaged(export, lambda d: first_question(d).update(comment=42))
    (problem,) = refused(data, catalogue)
    assert problem.startswith("themes[0].principles[0].questions[0].comment: 42 is not of type")


def test_an_answer_that_is_not_an_option_is_refused(export, catalogue):
    data = damaged(export, lambda d: first_question(d).update(value="7"))
    (problem,) = refused(data, catalogue)
    assert problem.startswith("themes[0].principles[0].questions[0] (P1.1).value: '7' is not")
    assert "choose one of" in problem


def test_unknown_question_ids_are_skipped_with_a_warning(export, catalogue):
    data = damaged(export, lambda d: first_question(d).update(id="P99.1"))
    imported = parse_export(data, catalogue)
    assert "P99.1" not in imported.answers and "P1.1" not in imported.answers
    assert any("P99.1" in w and "unknown question id" in w for w in imported.warnings)


def test_a_duplicate_question_is_refused(export, catalogue):
    def duplicate(d):
        questions = d["themes"][0]["principles"][0]["questions"]
        questions.append(dict(questions[0]))

    assert any("appears twice" in p for p in refused(damaged(export, duplicate), catalogue))


def test_a_bad_profile_value_is_refused_and_an_unknown_one_skipped(export, catalogue):
    def bad_profile(d):
        d["profile"][0]["value"] = "maybe"
        d["profile"].append({"id": "teleports", "text": "?", "value": True, "label": "Yes"})

    problems = refused(damaged(export, bad_profile), catalogue)
    assert problems[0].startswith(f"profile[0] ({export['profile'][0]['id']}).value:")


def test_an_overlong_comment_is_refused(export, catalogue):
    data = damaged(export, lambda d: first_question(d).update(comment="x" * (COMMENT_MAX + 1)))
    assert "longer than" in refused(data, catalogue)[0]


def test_comment_limit_matches_the_form(catalogue):
    from wtforms.validators import Length

    from assessment.forms import COMMENT_MAX as FORM_MAX
    from assessment.forms import build_question_form

    assert COMMENT_MAX == FORM_MAX
    # The page's comment field refuses exactly what the importer refuses.
    form = build_question_form(catalogue, catalogue.questions["P1.1"])
    (length,) = [v for v in form.comment.kwargs["validators"] if isinstance(v, Length)]
    assert length.max == COMMENT_MAX
