import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from assessment.catalogue import load_catalogue
from assessment.results import Assignment
from assessment.scoring import score_assessment
from reports.export import CSV_HEADER, SCHEMA_VERSION, neutralise, to_csv, to_dict, to_json
from tests.report_data import EVIDENCE, NARRATIVE, OWNERS, sample_answers, sample_scored

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


def test_json_carries_evidence_owners_trend_fingerprint_narrative_and_audit(catalogue):
    scored = sample_scored(catalogue=catalogue, with_previous=True)
    data = to_dict(scored)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["assessment"]["fingerprint"] == scored.fingerprint
    assert data["assessment"]["public_narrative"] == NARRATIVE
    principles = {p["id"]: p for t in data["themes"] for p in t["principles"]}
    assert principles["P1"]["owner"] == OWNERS["P1"].owner
    assert principles["P1"]["due_date"] == OWNERS["P1"].due_date.isoformat()
    first = principles["P1"]["questions"][0]
    assert [e["filename"] for e in first["evidence"]] == [e.filename for e in EVIDENCE]
    assert "content" not in first["evidence"][0]  # metadata only, never the file
    assert [r["principle_id"] for r in data["trend"]["rows"]] == [p.id for p in scored.principles]
    assert data["trend"]["previous_assessment_id"] == 41
    assert [(a["action"], a["target"]) for a in data["audit"]] == [
        ("create", "assessment"),
        ("answer", "P1.1"),
    ]
    assert data["audit"][0]["at"] == "2024-05-01T08:00:00+00:00"
    gaps_by_principle = {g["principle_id"]: g for g in data["gaps"]}
    if "P1" in gaps_by_principle:
        assert gaps_by_principle["P1"]["owner"] == OWNERS["P1"].owner


def test_json_without_a_previous_assessment_has_a_null_trend(catalogue):
    data = to_dict(sample_scored(catalogue=catalogue))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["trend"] is None


def test_csv_counts_evidence_and_names_the_owner(catalogue):
    rows = {r["question_id"]: r for r in csv_rows(to_csv(sample_scored(catalogue=catalogue)))}
    first = next(iter(catalogue.questions))
    assert rows[first]["evidence_count"] == str(len(EVIDENCE))
    assert rows[first]["principle_owner"] == OWNERS["P1"].owner
    assert rows[first]["due_date"] == OWNERS["P1"].due_date.isoformat()
    assert all(r["evidence_count"] == "0" for q, r in rows.items() if q != first)


def test_csv_neutralises_a_formula_in_the_owner_name(catalogue):
    scored = sample_scored(catalogue=catalogue)
    info = replace(scored.info, assignments={"P1": Assignment(owner="=cmd|'/c calc'!A1")})
    hostile = score_assessment(catalogue, info, sample_answers(catalogue))
    row = csv_rows(to_csv(hostile))[0]
    assert row["principle_owner"] == "'=cmd|'/c calc'!A1"
