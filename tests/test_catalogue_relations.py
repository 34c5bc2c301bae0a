"""`flask catalogue check` and `flask catalogue diff`: relations between versions, in words.

Broken relations (a rename to an id that does not exist, a split into nothing,
a cycle, ...) get a clear message naming the place and exit code 1, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from assessment.catalogue import CatalogueError, load_catalogue
from assessment.catalogue_diff import diff_catalogues
from assessment.cli import catalogue_cli
from assessment.relations import Rename, find_cycle

CATALOGUES = Path(__file__).resolve().parent / "catalogues"
OLD, NEW = CATALOGUES / "vp-1.0.0.yaml", CATALOGUES / "vp-1.1.0.yaml"
RELATIONS = NEW.read_text().split("  questions:\n", 1)[1].split("\nthemes:", 1)[0]


def _with_relations(tmp_path: Path, relations: str, previous: str = "1.0.0") -> Path:
    """Write the 1.1.0 catalogue with other relations in its `changes` section."""
    text = (
        NEW.read_text()
        .replace(RELATIONS, relations)
        .replace("  previous: 1.0.0\n", f"  previous: {previous}\n")
    )
    path = tmp_path / "catalogue.yaml"
    path.write_text(text)
    return path


def _check(*args) -> tuple[int, str]:
    result = CliRunner().invoke(catalogue_cli, ["check", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


BROKEN = {
    "a rename to an id that does not exist": (
        "    - {kind: rename, from: P1.7, to: P1.99}\n",
        "changes.questions[0]: the rename of P1.7 names 'P1.99', which is not a question of "
        "this catalogue",
    ),
    "a split into nothing": (
        "    - {kind: split, from: P2.3, to: []}\n",
        "changes.questions[0].to: the split of P2.3 is into nothing; name the questions it "
        "becomes (use `remove` to drop it)",
    ),
    "a cycle": (
        "    - {kind: rename, from: P1.1, to: P1.2}\n    - {kind: rename, from: P1.2, to: P1.1}\n",
        "changes.questions: the relations go round in a cycle: P1.1 -> P1.2 -> P1.1; "
        "a question cannot end up where it started",
    ),
    "a renamed question still there": (
        "    - {kind: rename, from: P1.1, to: P1.8}\n",
        "changes.questions[0]: the rename of P1.1 says 'P1.1' goes away, but it is still a "
        "question of this catalogue",
    ),
    "a merge of one": (
        "    - {kind: merge, from: [P3.9], to: P3.8}\n",
        "changes.questions[0].from: a merge needs two or more questions to merge",
    ),
    "a question moved twice": (
        "    - {kind: remove, from: P4.6}\n    - {kind: rename, from: P4.6, to: P5.7}\n",
        "changes.questions: P4.6 is the source of 2 relations ([0], [1]); it can move only once",
    ),
    "a scale mapped to an unknown answer": (
        '    - {kind: scale, question: P7.7, values: {"3": "maybe"}}\n',
        "changes.questions[0].values.3: 'maybe' is not an answer of P7.7 (its answers: alt, "
        "na, no, partly, yes)",
    ),
    "an unknown kind": (
        "    - {kind: teleport, from: P1.1, to: P9.9}\n",
        "changes.questions[0]: Input tag 'teleport' found using 'kind' does not match",
    ),
    "a rename without a target": (
        "    - {kind: rename, from: P1.7}\n",
        "changes.questions[0].rename.to: Field required",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_relation_gets_a_clear_error(tmp_path, case):
    relations, message = BROKEN[case]
    code, output = _check(_with_relations(tmp_path, relations))
    assert code == 1
    assert message in output


def test_a_previous_version_that_is_not_older_is_refused(tmp_path):
    code, output = _check(_with_relations(tmp_path, RELATIONS, previous="1.1.0"))
    assert code == 1
    assert "changes.previous: 1.1.0 is not older than this version 1.1.0" in output


def test_the_sample_pair_checks_clean_against_its_previous_version():
    code, output = _check(NEW, "--previous", OLD)
    assert code == 0, output
    assert "8 relations to the previous version" in output


def test_undeclared_differences_fail_the_check_against_the_previous_version(tmp_path):
    relations = RELATIONS.replace(
        "    - {kind: remove, from: P4.6", "    - {kind: wording, question: P6.1"
    )
    relations = relations.replace("    - {kind: wording, question: P6.1}\n", "", 1)
    path = _with_relations(tmp_path, relations.replace("    - {kind: add, to: P5.7}\n", ""))
    code, output = _check(path, "--previous", OLD)
    assert code == 1
    assert "P4.6 is gone without a relation (rename, split, merge or remove)" in output
    assert "P5.7 is new without an `add`" in output


def test_a_relation_from_a_question_the_previous_version_lacks_is_named():
    old, new = load_catalogue(OLD), load_catalogue(NEW)
    assert diff_catalogues(old, new).problems == []
    assert find_cycle([Rename(kind="rename", source="A", to="B")]) == []


def test_the_diff_says_every_kind_of_change_in_words():
    result = CliRunner().invoke(catalogue_cli, ["diff", str(OLD), str(NEW)])
    assert result.exit_code == 0, result.output
    for line in (
        "From version 1.0.0 (d17aef1c0e66) to version 1.1.0",
        "  - P1.7 is renamed P1.8 (numbering only)",
        "  - P2.3 is split into P2.3 and P2.8 (hotlines and other trusted organisations)",
        "  - P3.8 and P3.9 are merged into P3.8",
        "  - P4.6 is removed (throwaway accounts are covered by P4.2)",
        "  - P5.7 is a new question",
        "  - the wording of P6.1 changed",
        "  - the answer scale of P7.7 changed: Maturity (0-4) to Yes / partly / no; Not in "
        "place becomes No, Initial becomes Partly, Developing needs review",
    ):
        assert line in result.output.splitlines() or any(
            out.startswith(line) for out in result.output.splitlines()
        ), line
    assert "Undeclared" not in result.output


def test_the_diff_of_a_file_that_is_not_there_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(catalogue_cli, ["diff", str(OLD), str(tmp_path / "nope.yaml")])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "nope.yaml" in result.output


def test_the_diff_reads_kept_versions_by_number(app):
    from assessment.catalogue_versions import register
    from assessment.extensions import db

    with app.app_context():
        register(load_catalogue(OLD))
        register(load_catalogue(NEW))
        db.session.commit()
    from flask.cli import ScriptInfo

    def run(*args):
        return CliRunner().invoke(catalogue_cli, args, obj=ScriptInfo(create_app=lambda: app))

    result = run("diff", "1.0.0", "1.1.0")
    assert result.exit_code == 0, result.output
    assert "  - P1.7 is renamed P1.8 (numbering only)" in result.output
    unknown = run("diff", "1.0.0", "9.9.9")
    assert unknown.exit_code != 0
    assert "'9.9.9' is neither a file nor a kept catalogue version" in unknown.output


def test_loading_a_catalogue_with_a_broken_relation_refuses_the_app(tmp_path):
    relations, message = BROKEN["a cycle"]
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(_with_relations(tmp_path, relations))
    assert message in refused.value.problems
