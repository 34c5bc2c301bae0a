import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from assessment.catalogue import load_catalogue
from reports.export import CSV_HEADER, SCHEMA_VERSION, neutralise, to_csv, to_dict, to_json
from tests.report_data import sample_scored

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "reports" / "assessment.schema.json").read_text()
)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


# ---------- CSV ----------


def test_csv_has_a_header_and_one_row_per_catalogue_question(catalogue):
    data = to_csv(sample_scored(catalogue=catalogue))
    first_line = data.decode("utf-8-sig").splitlines()[0]
    assert first_line.split(",") == list(CSV_HEADER)
    rows = csv_rows(data)
    assert [r["question_id"] for r in rows] == list(catalogue.questions)


def test_csv_starts_with_a_bom_for_excel_and_keeps_non_ascii_text(catalogue):
    data = to_csv(sample_scored(catalogue=catalogue, organisation="Société Générale – Ōtautahi"))
    assert data.startswith(b"\xef\xbb\xbf")
    scored = sample_scored(catalogue=catalogue, comments={"P1.1": "Contrôle « fait » – 100 %"})
    rows = csv_rows(to_csv(scored))
    assert rows[0]["comment"] == "Contrôle « fait » – 100 %"


@pytest.mark.parametrize(
    "comment", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_csv_neutralises_formula_injection(catalogue, comment):
    scored = sample_scored(catalogue=catalogue, comments={"P1.1": comment})
    row = next(r for r in csv_rows(to_csv(scored)) if r["question_id"] == "P1.1")
    assert row["comment"] == "'" + comment


def test_neutralise_leaves_ordinary_text_alone():
    assert neutralise("Owned by 2 teams = fine") == "Owned by 2 teams = fine"
    assert neutralise("") == ""


def test_csv_reports_scope_gaps_and_scores(catalogue):
    scored = sample_scored(catalogue=catalogue)
    rows = {r["question_id"]: r for r in csv_rows(to_csv(scored))}
    for q in scored.questions:
        row = rows[q.id]
        assert row["applicable"] == ("yes" if q.applicable else "no")
        assert row["answer"] == q.answer_label
        assert row["is_gap"] == ("yes" if q.is_gap else "no")
        if q.is_gap:
            assert row["recommendation"] == q.recommendation
            assert float(row["priority"]) == pytest.approx(q.priority, abs=1e-4)
        if not q.applicable:
            assert row["scope_reason"] and row["score"] == ""


# ---------- JSON ----------


def test_json_validates_against_the_schema(catalogue):
    data = json.loads(to_json(sample_scored(catalogue=catalogue)))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["schema_version"] == SCHEMA_VERSION


def test_json_is_byte_identical_across_renders_with_sorted_keys(catalogue):
    first = to_json(sample_scored(catalogue=catalogue))
    second = to_json(sample_scored(catalogue=catalogue))
    assert first == second

    def assert_sorted(pairs):
        keys = [k for k, _ in pairs]
        assert keys == sorted(keys)
        return dict(pairs)

    json.loads(first, object_pairs_hook=assert_sorted)


def test_json_uses_iso_dates_and_holds_every_question(catalogue):
    data = to_dict(sample_scored(catalogue=catalogue))
    assert data["assessment"]["created_at"] == "2024-05-01T08:00:00+00:00"
    ids = [q["id"] for t in data["themes"] for p in t["principles"] for q in p["questions"]]
    assert ids == list(catalogue.questions)
    assert [g["rank"] for g in data["gaps"]] == list(range(1, len(data["gaps"]) + 1))


def test_json_keeps_user_text_verbatim(catalogue):
    comment = '<script>alert(1)</script> "quoted" ünïcode'
    data = json.loads(to_json(sample_scored(catalogue=catalogue, comments={"P1.1": comment})))
    questions = [q for t in data["themes"] for p in t["principles"] for q in p["questions"]]
    assert next(q for q in questions if q["id"] == "P1.1")["comment"] == comment
