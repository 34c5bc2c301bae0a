"""Framework coverage: the rule's edge cases, on the pure functions (no Flask, no database)."""

import copy
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment import coverage
from assessment.catalogue import build_catalogue, load_catalogue
from assessment.coverage import (
    DISCLAIMER,
    NOT_ASKED_NOTE,
    RULE,
    ItemStatus,
    Standing,
    UnknownFramework,
    all_coverage,
    framework_coverage,
    frameworks,
    item_refs,
    rule_items,
)
from assessment.results import AnswerInput, AssessmentInfo
from assessment.scoring import score_assessment

MATURITY = {
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


def _q(qid, *mappings, **extra):
    return {
        "id": qid,
        "text": f"Question {qid}",
        "scale": "m",
        "mappings": [{"framework": f, "ref": r, "note": n} for f, r, n in mappings],
        **extra,
    }


SPEC = {
    "catalogue": {"id": "t", "title": "Test", "version": "1.0.0", "source": {"title": "S"}},
    "scales": [MATURITY],
    "scoring": {"gap_threshold": 0.75, "bands": [{"min": 0, "label": "Any"}]},
    "profile": [
        {"id": "live", "type": "boolean", "text": "Live?"},
        {"id": "kids", "type": "boolean", "text": "Children?"},
    ],
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
                        _q("A.1", ("Fw", "Item 1", "A.1 to item 1"), ("Fw", "Item 2", "")),
                        _q("A.2", ("Fw", "Item 1", "")),
                        {
                            "id": "A.3",
                            "text": "How many?",
                            "type": "number",
                            "mappings": [{"framework": "Fw", "ref": "Item 3"}],
                        },
                        _q("A.4", ("Fw", "Item 3", ""), applies_if={"kids": True}),
                    ],
                },
                {
                    "id": "B",
                    "title": "B",
                    "statement": "B statement.",
                    "weight": 5,
                    "questions": [
                        _q("B.1", ("Fw", "Item 1; Item 10", "one note for both"), weight=9),
                        _q("B.2", ("Gw", "s2", "")),
                    ],
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
                    "questions": [
                        _q("L.1", ("Fw", "Item 2", ""), ("gw!", "s10", "")),
                    ],
                }
            ],
        },
    ],
}
CATALOGUE = build_catalogue(SPEC)


def scored(answers, profile=None, catalogue=CATALOGUE):
    info = AssessmentInfo(
        1,
        "Org",
        "Svc",
        "draft",
        profile={"live": True, "kids": True} if profile is None else profile,
    )
    inputs = {k: v if isinstance(v, AnswerInput) else AnswerInput(v) for k, v in answers.items()}
    return score_assessment(catalogue, info, inputs)


def item(answers, ref, framework="fw", profile=None, catalogue=CATALOGUE):
    result = framework_coverage(scored(answers, profile, catalogue), catalogue, framework)
    return next(i for i in result.items if i.ref == ref)


def standings(found):
    return {q.question_id: q.standing for q in found.questions}


# --- the catalogue's mappings, grouped -------------------------------------------------


def test_frameworks_come_in_catalogue_order_with_ids_safe_for_a_url():
    found = frameworks(CATALOGUE)
    assert [(f.id, f.name) for f in found] == [("fw", "Fw"), ("gw", "Gw"), ("gw-2", "gw!")]


def test_items_are_in_natural_order_and_a_semicolon_names_several():
    fw = frameworks(CATALOGUE)[0]
    assert [i.ref for i in fw.items] == ["Item 1", "Item 2", "Item 3", "Item 10"]
    by_ref = {i.ref: dict(i.mappings) for i in fw.items}
    assert by_ref["Item 1"] == {"A.1": "A.1 to item 1", "A.2": "", "B.1": "one note for both"}
    assert by_ref["Item 10"] == {"B.1": "one note for both"}
    assert [i.anchor for i in fw.items] == ["item-1", "item-2", "item-3", "item-10"]


def test_a_question_mapped_twice_to_one_item_is_listed_once_with_both_notes():
    spec = copy.deepcopy(SPEC)
    spec["themes"][0]["principles"][0]["questions"][1]["mappings"] = [
        {"framework": "Fw", "ref": "Item 1", "note": "First."},
        {"framework": "Fw", "ref": "Item 1; ; Item 1", "note": "Second."},
    ]
    fw = frameworks(build_catalogue(spec))[0]
    item_1 = next(i for i in fw.items if i.ref == "Item 1")
    assert dict(item_1.mappings)["A.2"] == "First. Second."
    assert [qid for qid, _ in item_1.mappings].count("A.2") == 1


def test_item_refs_split_on_semicolons_and_drop_empty_parts():
    assert item_refs("Policies and Practices; Processes and Systems; Outcomes") == [
        "Policies and Practices",
        "Processes and Systems",
        "Outcomes",
    ]
    assert item_refs("ss13-16") == ["ss13-16"]
    assert item_refs(" a ;; b ; ") == ["a", "b"]


def test_names_without_a_latin_letter_or_digit_still_get_ids_and_an_order():
    spec = copy.deepcopy(SPEC)
    spec["themes"][0]["principles"][0]["questions"][1]["mappings"] = [
        {"framework": "日本", "ref": "第²条"},
        {"framework": "日本", "ref": "٣"},
        {"framework": "日本", "ref": "第1条"},
    ]
    found = frameworks(build_catalogue(spec))
    japanese = next(f for f in found if f.name == "日本")
    assert japanese.id == "framework"
    assert [i.ref for i in japanese.items] == ["٣", "第1条", "第²条"]
    assert [i.anchor for i in japanese.items] == ["item", "1", "item-2"]


def test_an_unknown_framework_id_is_refused():
    for framework_id in ("nope", "", "FW", "fw ", "../fw", "fw.csv"):
        with pytest.raises(UnknownFramework):
            framework_coverage(scored({}), CATALOGUE, framework_id)


def test_a_catalogue_without_mappings_has_no_frameworks():
    spec = copy.deepcopy(SPEC)
    for theme in spec["themes"]:
        for principle in theme["principles"]:
            for question in principle["questions"]:
                question.pop("mappings", None)
    bare = build_catalogue(spec)
    assert frameworks(bare) == ()
    assert all_coverage(scored({}, catalogue=bare), bare) == ()


# --- rule step 4: the four statuses ----------------------------------------------------


def test_met_when_every_counted_question_is_at_or_above_the_threshold():
    found = item({"A.1": "3", "A.2": "4", "B.1": "4"}, "Item 1")
    assert found.status == ItemStatus.MET
    assert set(standings(found).values()) == {Standing.MET}
    assert found.reason == "3 of 3 counted questions met."


def test_just_below_the_threshold_is_not_met():
    found = item({"A.1": "2", "A.2": "4", "B.1": "4"}, "Item 1")
    assert found.status == ItemStatus.PARTLY
    assert standings(found)["A.1"] == Standing.BELOW
    assert found.reason == "2 of 3 counted questions met, 1 below the threshold."


def test_partly_when_a_met_question_sits_beside_an_unanswered_one():
    found = item({"A.1": "4", "A.2": "4"}, "Item 1")
    assert found.status == ItemStatus.PARTLY
    assert standings(found)["B.1"] == Standing.OPEN
    assert found.reason == "2 of 3 counted questions met, 1 not answered."


def test_gap_when_answered_questions_all_fall_short_even_with_others_open():
    found = item({"A.1": "0"}, "Item 1")
    assert found.status == ItemStatus.GAP
    assert found.reason == "0 of 3 counted questions met, 1 below the threshold, 2 not answered."


def test_not_assessed_when_nothing_counted_is_answered_yet():
    found = item({}, "Item 1")
    assert found.status == ItemStatus.NOT_ASSESSED
    assert found.reason == "3 counted questions, none answered yet."
    assert all(q.score is None for q in found.questions)  # unanswered shows no score


def test_weights_and_principles_do_not_let_a_strong_answer_cover_a_shortfall():
    # B.1 weighs 9 in a principle of weight 5; A.2 weighs 1: still partly met.
    found = item({"A.1": "4", "A.2": "0", "B.1": "4"}, "Item 1")
    assert found.principle_ids == ("A", "B")
    assert found.status == ItemStatus.PARTLY


# --- rule steps 2 and 3: what counts ---------------------------------------------------


def test_not_applicable_answers_are_left_out_not_counted_against():
    found = item({"A.1": "na", "A.2": "4", "B.1": "3"}, "Item 1")
    assert found.status == ItemStatus.MET
    assert standings(found)["A.1"] == Standing.NOT_APPLICABLE
    assert found.reason == "2 of 2 counted questions met; left out: 1 answered not applicable."


def test_every_question_answered_not_applicable_leaves_the_item_not_assessed():
    found = item({"A.1": "na", "A.2": "na", "B.1": "na"}, "Item 1")
    assert found.status == ItemStatus.NOT_ASSESSED
    assert found.reason == "No mapped question counts: 3 answered not applicable."


def test_a_principle_out_of_scope_takes_its_questions_out_of_the_count():
    found = item({"A.1": "4"}, "Item 2", profile={"live": False, "kids": True})
    assert standings(found) == {"A.1": Standing.MET, "L.1": Standing.OUT_OF_SCOPE}
    assert found.status == ItemStatus.MET
    note = next(q.note for q in found.questions if q.question_id == "L.1")
    assert note.startswith("Not applicable to this service")
    # In scope, the same item waits for L.1.
    assert item({"A.1": "4"}, "Item 2").status == ItemStatus.PARTLY


def test_an_item_with_every_question_out_of_scope_is_not_assessed_and_says_why():
    found = item({}, "s10", framework="gw-2", profile={"live": False})
    assert found.status == ItemStatus.NOT_ASSESSED
    assert found.reason == "No mapped question counts: 1 out of scope for this service."


def test_an_out_of_scope_question_answered_before_the_profile_changed_is_still_left_out():
    found = item({"A.1": "4", "L.1": "0"}, "Item 2", profile={"live": False})
    assert standings(found)["L.1"] == Standing.OUT_OF_SCOPE
    assert found.status == ItemStatus.MET


def test_unscored_questions_are_shown_but_never_decide():
    found = item({"A.3": 12}, "Item 3", profile={"kids": False})
    assert standings(found) == {"A.3": Standing.UNSCORED, "A.4": Standing.OUT_OF_SCOPE}
    assert found.status == ItemStatus.NOT_ASSESSED
    assert found.reason == (
        "No mapped question counts: 1 out of scope for this service, 1 not scored."
    )
    found = item({"A.3": 12, "A.4": "4"}, "Item 3")
    assert found.status == ItemStatus.MET
    assert found.reason == "1 of 1 counted question met; left out: 1 not scored."


def test_an_alternative_measure_without_a_rationale_is_not_met():
    found = item({"B.1": AnswerInput("alt", comment="  ")}, "Item 10")
    assert found.status == ItemStatus.GAP
    question = found.questions[0]
    assert question.standing == Standing.BELOW and not question.alternative
    assert "needs a rationale" in question.note
    assert question.score == 0


def test_an_alternative_measure_with_its_rationale_is_met_and_flagged():
    rationale = "Client-side matching: the messages are end-to-end encrypted."
    found = item({"B.1": AnswerInput("alt", comment=rationale)}, "Item 10")
    assert found.status == ItemStatus.MET
    question = found.questions[0]
    assert question.alternative and question.comment == rationale
    assert found.reason == (
        "1 of 1 counted question met; 1 met through an alternative measure (read its rationale)."
    )


def test_a_stored_answer_that_is_no_longer_an_option_counts_as_below():
    found = item({"B.1": "7"}, "Item 10")
    assert found.status == ItemStatus.GAP
    assert "not an option" in found.questions[0].note


def test_a_question_the_assessment_never_asked_is_open():
    spec = copy.deepcopy(SPEC)
    del spec["themes"][0]["principles"][1]["questions"][0]  # B.1 was not in the old catalogue
    old = build_catalogue(spec)
    answered_then = scored({"A.1": "4", "A.2": "4"}, catalogue=old)
    found = next(
        i for i in framework_coverage(answered_then, CATALOGUE, "fw").items if i.ref == "Item 1"
    )
    b1 = next(q for q in found.questions if q.question_id == "B.1")
    assert b1.standing == Standing.OPEN and b1.note == NOT_ASKED_NOTE
    assert found.status == ItemStatus.PARTLY


def test_the_mapping_note_and_answer_travel_with_each_question():
    found = item({"A.1": AnswerInput("3", comment="Every upload.")}, "Item 1")
    a1 = found.questions[0]
    assert (a1.question_id, a1.principle_id, a1.answer, a1.score) == ("A.1", "A", "Established", 75)
    assert a1.mapping_note == "A.1 to item 1" and a1.comment == "Every upload."


def test_counts_per_framework_add_up_to_its_items():
    result = framework_coverage(scored({"A.1": "4", "A.2": "4", "B.1": "0"}), CATALOGUE, "fw")
    assert {s.value: n for s, n in result.counts.items()} == {
        "met": 0,
        "partly": 2,  # Item 1 (B.1 below), Item 2 (L.1 open)
        "gap": 1,  # Item 10 (B.1 below)
        "not_assessed": 1,  # Item 3 (A.4 open, A.3 unscored)
    }
    assert result.threshold == 75


# --- the rule as a property ------------------------------------------------------------

ANSWER_VALUES = st.sampled_from([None, "0", "1", "2", "3", "4", "na", "alt", "alt+why", "7"])


def _input(value):
    if value is None:
        return None
    if value == "alt+why":
        return AnswerInput("alt", comment="Because.")
    return AnswerInput(value)


@settings(max_examples=200, deadline=None)
@given(
    answers=st.fixed_dictionaries({qid: ANSWER_VALUES for qid in ("A.1", "A.2", "B.1")}),
    live=st.booleans(),
)
def test_status_follows_the_rule_for_any_answers(answers, live):
    inputs = {qid: _input(v) for qid, v in answers.items() if v is not None}
    found = item(inputs, "Item 1", profile={"live": live, "kids": True})
    counted = [q for q in found.questions if q.counted]
    met = [q for q in counted if q.standing == Standing.MET]
    answered = [q for q in counted if q.standing != Standing.OPEN]
    expected = (
        ItemStatus.NOT_ASSESSED
        if not answered
        else ItemStatus.MET
        if len(met) == len(counted)
        else ItemStatus.PARTLY
        if met
        else ItemStatus.GAP
    )
    assert found.status == expected
    for q in found.questions:
        value = answers[q.question_id]
        if value == "na":
            assert q.standing == Standing.NOT_APPLICABLE
        elif value is None:
            assert q.standing == Standing.OPEN
        elif value in ("3", "4", "alt+why"):
            assert q.standing == Standing.MET
        else:
            assert q.standing == Standing.BELOW


# --- the rule, written once ------------------------------------------------------------


def test_the_rule_is_a_module_constant_in_five_steps():
    # A constant, not cut from the docstring: `python -OO` strips docstrings.
    steps = rule_items()
    assert len(steps) == 5
    assert steps[0].startswith("A framework's items are the references")
    assert steps[3].startswith("Met: every counted question is answered and met.")
    assert "`RULE`" in coverage.__doc__
    assert RULE.startswith("1. A framework's items")


def test_the_readme_prints_the_rule_word_for_word():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    flat = " ".join(readme.split())
    for step in rule_items():
        assert step in flat, step[:60]
    assert DISCLAIMER in flat


def test_the_disclaimer_repeats_the_catalogues_own_wording():
    catalogue_text = (Path(__file__).resolve().parents[1] / "principles.yaml").read_text()
    sentence = "Mappings are editorial cross-references, not official equivalences."
    assert sentence in catalogue_text and DISCLAIMER.startswith(sentence)


# --- the shipped catalogue -------------------------------------------------------------


def test_the_shipped_catalogue_maps_to_these_frameworks():
    shipped = load_catalogue()
    assert [f.id for f in frameworks(shipped)] == [
        "ofcom-illegal-content-codes-u2u",
        "australia-bose-determination-2022",
        "tech-coalition-trust",
        "dtsp-best-practices-framework",
        "esafety-safety-by-design",
        "australia-online-safety-act-2021",
    ]
    mapped = sum(len(q.mappings) for q in shipped.questions.values())
    listed = sum(len(i.mappings) for f in frameworks(shipped) for i in f.items)
    # Every mapping is listed once per item it names (TRUST's "a; b; c" names three).
    assert listed == mapped + 2
    for framework in frameworks(shipped):
        anchors = [i.anchor for i in framework.items]
        assert len(set(anchors)) == len(anchors)
        assert all(re.fullmatch(r"[a-z0-9-]+", a) for a in anchors)
