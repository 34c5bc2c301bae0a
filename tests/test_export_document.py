"""The export's one model: the schema file is generated from it, and older exports still read."""

import json
from pathlib import Path

import jsonschema
import pytest

from assessment.catalogue import load_catalogue
from assessment.export_document import (
    IMPORTABLE_VERSIONS,
    SCHEMA_PATH,
    SCHEMA_VERSION,
    main,
    schema_text,
)
from assessment.importer import ImportRefused, parse_export
from reports.export import to_dict, to_json
from tests.report_data import sample_scored

EXPORT_1_1 = Path(__file__).parent / "exports" / "assessment-1.1.json"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_the_schema_file_is_current():
    # Stale? Run `python -m assessment.export_document --write` and commit the file.
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()


def test_the_check_command_fails_on_a_stale_file(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "assessment.schema.json"
    stale.write_text(SCHEMA_PATH.read_text(encoding="utf-8").replace('"1.2"', '"1.1"'))
    monkeypatch.setattr("assessment.export_document.SCHEMA_PATH", stale)
    assert main(["--check"]) == 1
    assert "stale" in capsys.readouterr().out
    assert main(["--write"]) == 0
    assert main(["--check"]) == 0


def test_the_schema_is_valid_and_every_export_field_is_required():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION == "1.2"
    question = schema["$defs"]["QuestionResult"]
    assert {"help", "evidence_prompt", "evidence", "note"} <= set(question["required"])
    assert question["additionalProperties"] is False


def test_an_export_of_schema_1_1_still_imports(catalogue):
    scored = sample_scored(catalogue=catalogue)
    old = parse_export(EXPORT_1_1.read_bytes(), catalogue)
    now = parse_export(to_json(scored), catalogue)
    assert json.loads(EXPORT_1_1.read_bytes())["schema_version"] == "1.1" in IMPORTABLE_VERSIONS
    assert (old.service, old.profile) == (now.service, now.profile)
    assert old.answers == now.answers and old.answers


def test_1_2_adds_the_questions_help_and_evidence_prompt(catalogue):
    data = to_dict(sample_scored(catalogue=catalogue))
    question = data["themes"][0]["principles"][0]["questions"][0]
    assert question["help"] == catalogue.questions[question["id"]].help
    assert question["evidence_prompt"] == catalogue.questions[question["id"]].evidence


def test_a_1_2_field_in_a_1_1_file_is_read_and_an_unknown_field_is_refused(catalogue):
    document = json.loads(EXPORT_1_1.read_bytes())
    document["themes"][0]["principles"][0]["questions"][0]["colour"] = "blue"
    with pytest.raises(ImportRefused) as info:
        parse_export(json.dumps(document).encode(), catalogue)
    (problem,) = info.value.problems
    assert problem == "themes[0].principles[0].questions[0].colour: not a field of an export"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["result"].update(score=101),
            "result.score: Input should be less than or equal to 100",
        ),
        (
            lambda d: d["profile"][0].update(value={"a": 1}),
            "profile[0].value: must be an option value, a list of them, a number, text or null",
        ),
        (lambda d: d["assessment"].pop("service"), "assessment.service: required, missing"),
        (
            lambda d: d["audit"][0].update(at="yesterday"),
            "audit[0].at: Input should be a valid datetime",
        ),
    ],
)
def test_model_problems_are_named_by_their_place(catalogue, change, expected):
    document = to_dict(sample_scored(catalogue=catalogue))
    change(document)
    with pytest.raises(ImportRefused) as info:
        parse_export(json.dumps(document).encode(), catalogue)
    assert info.value.problems[0].startswith(expected)
