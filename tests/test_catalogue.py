"""Load, validate and fingerprint the catalogue; every kind of damage names its place."""

from __future__ import annotations

import copy
import dataclasses
import os
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from assessment.catalogue import (
    DEFAULT_PATH,
    CatalogueError,
    build_catalogue,
    load_catalogue,
    parse_text,
)


def minimal() -> dict:
    """Return the smallest valid catalogue, to damage one thing at a time."""
    return {
        "catalogue": {
            "id": "test",
            "title": "Test catalogue",
            "version": "1.0.0",
            "source": {"title": "Source"},
        },
        "scales": [
            {
                "id": "maturity",
                "title": "Maturity",
                "options": [
                    {"value": "0", "label": "Not in place", "score": 0.0},
                    {"value": "4", "label": "Leading", "score": 1.0},
                ],
            }
        ],
        "scoring": {"bands": [{"min": 0, "label": "Low"}, {"min": 50, "label": "High"}]},
        "profile": [
            {"id": "livestreaming", "type": "boolean", "text": "Livestreaming?"},
            {
                "id": "mau_band",
                "type": "choice",
                "text": "Users",
                "options": [
                    {"value": "small", "label": "Small"},
                    {"value": "large", "label": "Large"},
                ],
            },
        ],
        "themes": [
            {
                "id": "T1",
                "title": "Theme",
                "principles": [
                    {
                        "id": "P1",
                        "title": "Principle one",
                        "statement": "Companies seek to do one thing.",
                        "questions": [
                            {"id": "P1.1", "text": "First?", "scale": "maturity"},
                            {"id": "P1.2", "text": "Second?", "scale": "maturity"},
                        ],
                    },
                    {
                        "id": "P2",
                        "title": "Principle two",
                        "statement": "Companies seek to do another thing.",
                        "questions": [{"id": "P2.1", "text": "Third?", "scale": "maturity"}],
                    },
                ],
            }
        ],
    }


Q0 = "themes[0].principles[0].questions[0]"
P0 = "themes[0].principles[0]"


def problems(data) -> list[str]:
    """Build a catalogue that must fail and return its problems."""
    with pytest.raises(CatalogueError) as info:
        build_catalogue(data)
    assert info.value.problems
    return info.value.problems


def damaged(change) -> dict:
    data = copy.deepcopy(minimal())
    change(data)
    return data


def question(data, index=0) -> dict:
    return data["themes"][0]["principles"][0]["questions"][index]


# --- the good case ---------------------------------------------------------------


def test_minimal_catalogue_builds():
    catalogue = build_catalogue(minimal())
    assert list(catalogue.questions) == ["P1.1", "P1.2", "P2.1"]
    assert catalogue.principles["P1"].verified is True
    assert catalogue.questions["P1.1"].facet is None


def test_the_shipped_catalogue_loads():
    catalogue = load_catalogue()
    assert catalogue.version == "1.0.0"
    assert len(catalogue.questions) >= 60
    assert len(catalogue.fingerprint) == 64


def test_fingerprint_is_stable_across_loads():
    assert load_catalogue().fingerprint == load_catalogue().fingerprint
    assert build_catalogue(minimal()).fingerprint == build_catalogue(minimal()).fingerprint


def test_fingerprint_changes_when_a_question_text_changes(tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    original = load_catalogue()
    old = original.questions["P1.1"].text
    changed = tmp_path / "principles.yaml"
    changed.write_text(text.replace(old, old.rstrip("?") + " at upload?", 1), encoding="utf-8")
    reloaded = load_catalogue(changed)
    assert reloaded.questions["P1.1"].text != old
    assert reloaded.fingerprint != original.fingerprint


def test_fingerprint_ignores_yaml_layout(tmp_path):
    relaid = tmp_path / "principles.yaml"
    relaid.write_text(yaml.safe_dump(yaml.safe_load(DEFAULT_PATH.read_text())), encoding="utf-8")
    assert load_catalogue(relaid).fingerprint == load_catalogue().fingerprint


def test_catalogue_objects_are_frozen():
    catalogue = load_catalogue()
    with pytest.raises(dataclasses.FrozenInstanceError):
        catalogue.fingerprint = "0" * 64
    with pytest.raises(ValidationError):
        catalogue.questions["P1.1"].text = "Changed?"
    with pytest.raises(ValidationError):
        catalogue.principles["P1"].statement = "Changed."
    with pytest.raises(ValidationError):
        catalogue.spec.catalogue.version = "9.9.9"
    with pytest.raises(TypeError):
        catalogue.principles["P1"].questions[0] = catalogue.questions["P2.1"]  # type: ignore[index]


# --- damage to the file itself ----------------------------------------------------


@pytest.mark.parametrize("raw", [b"", b"   \n\t\n", ""])
def test_empty_file(raw):
    with pytest.raises(CatalogueError) as info:
        parse_text(raw)
    assert info.value.problems == ["the file is empty"]


def test_only_comments_is_not_a_catalogue():
    with pytest.raises(CatalogueError) as info:
        build_catalogue(parse_text("# nothing here\n"))
    assert info.value.problems == ["(top level): must be a mapping of sections, got nothing"]


def test_binary_file_with_nul_bytes():
    with pytest.raises(CatalogueError) as info:
        parse_text(b"catalogue:\x00\x01\x02")
    assert "NUL bytes" in info.value.problems[0]


def test_file_that_is_not_utf8():
    with pytest.raises(CatalogueError) as info:
        parse_text("catalogue:\n  title: Caf\xe9\n".encode("latin-1"))
    assert info.value.problems == ["not UTF-8 text (byte 23)"]


def test_top_level_list():
    data = parse_text("- catalogue\n- themes\n")
    assert problems(data) == ["(top level): must be a mapping of sections, got list"]


def test_top_level_scalar():
    assert problems(parse_text("just words\n")) == [
        "(top level): must be a mapping of sections, got str"
    ]


def test_python_object_tag_is_refused_and_never_runs(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(os, "system", lambda cmd: calls.append(cmd) or 0)
    path = tmp_path / "evil.yaml"
    path.write_text('catalogue: !!python/object/apply:os.system ["echo hi"]\n')
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert calls == []
    assert info.value.source == str(path)
    [problem] = info.value.problems
    assert problem.startswith("YAML syntax: line 1, column 12:")
    assert "python/object/apply:os.system" in problem


def test_yaml_syntax_error_reports_the_line():
    with pytest.raises(CatalogueError) as info:
        parse_text("catalogue:\n  id: x\n  title: [unclosed\nscales: []\n")
    [problem] = info.value.problems
    assert problem.startswith("YAML syntax: line 4, column ")


def test_bad_indentation_reports_the_line():
    with pytest.raises(CatalogueError) as info:
        parse_text("catalogue:\n  id: x\n title: y\n")
    assert info.value.problems[0].startswith("YAML syntax: line 3, column 2:")


def test_duplicate_yaml_key_is_refused_with_its_line():
    with pytest.raises(CatalogueError) as info:
        parse_text("catalogue:\n  id: a\n  title: T\n  id: b\n")
    assert info.value.problems == ["YAML syntax: line 4, column 3: found duplicate key 'id'"]


@pytest.mark.parametrize(
    "text", ["[" * 100_000, "\n".join(" " * depth + "a:" for depth in range(1_500)) + " 1"]
)
def test_yaml_nested_past_any_sense_is_refused_with_a_message(text):
    with pytest.raises(CatalogueError) as info:
        parse_text(text)
    [problem] = info.value.problems
    assert problem.startswith(("YAML syntax: ", "YAML could not be read: "))


def test_the_fast_yaml_reader_reads_the_shipped_catalogue_as_the_pure_python_one_does():
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert parse_text(text) == yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - safe


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert info.value.source == str(path)
    assert info.value.problems[0].startswith("cannot read the file")
    assert str(path) in str(info.value)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(CatalogueError) as info:
        load_catalogue(tmp_path)
    assert info.value.problems[0].startswith("cannot read the file")


# --- damage to the content --------------------------------------------------------


def test_unknown_scale_names_the_question():
    data = damaged(lambda d: question(d).update(scale="maturty"))
    assert problems(data) == [f"{Q0}.scale: unknown scale 'maturty'"]


def test_scale_question_without_a_scale():
    data = damaged(lambda d: question(d).pop("scale"))
    assert problems(data) == [f"{Q0}.scale: a scale question must name a scale"]


def test_duplicate_question_id():
    data = damaged(lambda d: question(d, 1).update(id="P1.1"))
    assert problems(data) == [f"{P0}.questions[1].id: duplicate question id 'P1.1'"]


def test_duplicate_question_id_across_principles():
    data = damaged(lambda d: d["themes"][0]["principles"][1]["questions"][0].update(id="P1.2"))
    assert problems(data) == [
        "themes[0].principles[1].questions[0].id: duplicate question id 'P1.2'"
    ]


def test_duplicate_principle_id():
    data = damaged(lambda d: d["themes"][0]["principles"][1].update(id="P1"))
    assert problems(data) == ["themes[0].principles[1].id: duplicate principle id 'P1'"]


def test_applies_if_unknown_profile_field():
    data = damaged(lambda d: question(d).update(applies_if={"livestreming": True}))
    assert problems(data) == [f"{Q0}.applies_if.livestreming: unknown profile field 'livestreming'"]


def test_applies_if_value_not_an_option():
    data = damaged(lambda d: question(d).update(applies_if={"mau_band": "huge"}))
    assert problems(data) == [f"{Q0}.applies_if.mau_band: 'huge' is not an option of 'mau_band'"]


def test_applies_if_non_boolean_for_yes_no_field():
    data = damaged(lambda d: question(d).update(applies_if={"livestreaming": "yes"}))
    assert problems(data) == [
        f"{Q0}.applies_if.livestreaming: 'livestreaming' is yes/no, got 'yes'"
    ]


@pytest.mark.parametrize("value", [{"small": 1}, [["small"]]])
def test_applies_if_unhashable_value_is_reported_not_crashed(value):
    data = damaged(lambda d: question(d).update(applies_if={"mau_band": value}))
    [problem] = problems(data)
    assert problem.startswith(f"{Q0}.applies_if.mau_band: ")
    assert "is not an option of 'mau_band'" in problem


def test_applies_if_with_no_values():
    data = damaged(lambda d: question(d).update(applies_if={"mau_band": []}))
    assert problems(data) == [f"{Q0}.applies_if.mau_band: needs at least one value"]


def test_applies_if_nested_any_of_names_the_branch():
    data = damaged(
        lambda d: d["themes"][0]["principles"][0].update(
            applies_if={"any_of": [{"livestreaming": True}, {"serach": True}]}
        )
    )
    assert problems(data) == [f"{P0}.applies_if.any_of[1].serach: unknown profile field 'serach'"]


@pytest.mark.parametrize("weight", [0, -1, -0.5])
def test_question_weight_must_be_positive(weight):
    data = damaged(lambda d: question(d).update(weight=weight))
    assert problems(data) == [f"{Q0}.weight: Input should be greater than 0"]


def test_principle_weight_must_be_positive():
    data = damaged(lambda d: d["themes"][0]["principles"][0].update(weight=0))
    assert problems(data) == [f"{P0}.weight: Input should be greater than 0"]


def test_principle_without_statement():
    data = damaged(lambda d: d["themes"][0]["principles"][0].pop("statement"))
    assert problems(data) == [f"{P0}.statement: Field required"]


def test_principle_with_blank_statement():
    data = damaged(lambda d: d["themes"][0]["principles"][0].update(statement="   "))
    [problem] = problems(data)
    assert problem.startswith(f"{P0}.statement: String should have at least 1 character")


def test_principle_without_questions():
    data = damaged(lambda d: d["themes"][0]["principles"][0].pop("questions"))
    assert problems(data) == [f"{P0}.questions: Field required"]


def test_principle_with_empty_question_list():
    data = damaged(lambda d: d["themes"][0]["principles"][0].update(questions=[]))
    [problem] = problems(data)
    assert problem.startswith(f"{P0}.questions: Tuple should have at least 1 item")


def test_unknown_field_is_a_typo():
    data = damaged(lambda d: question(d).update(recomendation="Do it."))
    assert problems(data) == [f"{Q0}.recomendation: unknown field"]


def test_unknown_facet():
    data = damaged(lambda d: question(d).update(facet="prevent"))
    [problem] = problems(data)
    assert problem.startswith(f"{Q0}.facet: Input should be 'detect', 'enforce' or 'report'")


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0-beta", "one"])
def test_bad_version_string(version):
    data = damaged(lambda d: d["catalogue"].update(version=version))
    [problem] = problems(data)
    assert problem.startswith(f"catalogue.version: {version!r} is not a valid value here")


def test_version_as_a_yaml_number_is_refused():
    data = parse_text("version: 1.0\n")
    assert isinstance(data["version"], float)
    data = damaged(lambda d: d["catalogue"].update(version=1.0))
    assert problems(data) == ["catalogue.version: Input should be a valid string"]


def test_bands_not_rising():
    data = damaged(
        lambda d: d["scoring"].update(bands=[{"min": 0, "label": "Low"}, {"min": 0, "label": "Hi"}])
    )
    assert problems(data) == ["scoring.bands: must be in rising order of min, without repeats"]
    data = damaged(
        lambda d: d["scoring"].update(
            bands=[{"min": 0, "label": "A"}, {"min": 60, "label": "B"}, {"min": 40, "label": "C"}]
        )
    )
    assert problems(data) == ["scoring.bands: must be in rising order of min, without repeats"]


def test_lowest_band_must_start_at_zero():
    data = damaged(lambda d: d["scoring"].update(bands=[{"min": 10, "label": "Low"}]))
    assert problems(data) == ["scoring.bands[0].min: the lowest band must start at 0"]


def test_one_bad_item_does_not_report_its_lists_as_empty():
    # Regression: pydantic also flagged every enclosing tuple as "too short".
    data = damaged(lambda d: question(d).update(weight=0))
    assert not any("Tuple should have" in p for p in problems(data))


def test_scale_option_score_out_of_range():
    data = damaged(lambda d: d["scales"][0]["options"][1].update(score=1.5))
    assert problems(data) == ["scales[0].options[1].score: Input should be less than or equal to 1"]


def test_missing_section():
    data = damaged(lambda d: d.pop("scoring"))
    assert problems(data) == ["scoring: Field required"]


def test_several_problems_are_all_reported():
    def break_two(d):
        question(d).update(scale="maturty")
        d["themes"][0]["principles"][1].update(id="P1")

    assert problems(damaged(break_two)) == [
        f"{Q0}.scale: unknown scale 'maturty'",
        "themes[0].principles[1].id: duplicate principle id 'P1'",
    ]


def test_load_error_carries_the_file_path(tmp_path):
    path = tmp_path / "broken.yaml"
    data = damaged(lambda d: question(d).update(scale="maturty"))
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    assert str(info.value) == f"{path}: {Q0}.scale: unknown scale 'maturty'"


def test_default_path_is_the_repository_catalogue():
    assert Path(DEFAULT_PATH).name == "principles.yaml" and Path(DEFAULT_PATH).is_file()
