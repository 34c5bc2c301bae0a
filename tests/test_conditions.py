"""The `applies_if` condition model: parsed once, then checked, evaluated and described."""

import copy

import pytest
import yaml

from assessment.catalogue import DEFAULT_PATH, CatalogueError, build_catalogue, load_catalogue
from assessment.conditions import AnyOf, Condition, ProfileIs

SPEC = {
    "catalogue": {"id": "t", "title": "T", "version": "1.0.0", "source": {"title": "S"}},
    "scales": [
        {
            "id": "m",
            "title": "M",
            "options": [
                {"value": "0", "label": "No", "score": 0},
                {"value": "1", "label": "Yes", "score": 1},
            ],
        }
    ],
    "scoring": {"bands": [{"min": 0, "label": "Low"}]},
    "profile": [
        {"id": "live", "type": "boolean", "text": "Live?"},
        {
            "id": "band",
            "type": "choice",
            "text": "Band",
            "options": [
                {"value": "small", "label": "Small"},
                {"value": "big", "label": "Big"},
                {"value": "huge", "label": "Huge"},
            ],
        },
        {
            "id": "regions",
            "type": "multi",
            "text": "Regions",
            "options": [
                {"value": "uk", "label": "UK"},
                {"value": "us", "label": "US"},
                {"value": "eu", "label": "EU"},
            ],
        },
    ],
    "themes": [
        {
            "id": "T",
            "title": "T",
            "principles": [
                {
                    "id": "A",
                    "title": "A",
                    "statement": "S",
                    "questions": [{"id": "A.1", "text": "q", "scale": "m"}],
                }
            ],
        }
    ],
}

NESTED = {
    "live": True,
    "any_of": [{"regions": "uk"}, {"any_of": [{"band": "small"}, {"live": False}]}],
    "band": ["small"],
}


def catalogue_with(condition):
    spec = copy.deepcopy(SPEC)
    spec["themes"][0]["principles"][0]["questions"][0]["applies_if"] = condition
    return build_catalogue(spec)


def condition_of(condition) -> tuple[Condition, dict]:
    catalogue = catalogue_with(condition)
    return catalogue.questions["A.1"].applies_if, catalogue.profile_questions


def problems(condition) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        catalogue_with(condition)
    return caught.value.problems


def test_a_condition_is_parsed_into_typed_terms_when_the_catalogue_loads():
    condition, _ = condition_of(NESTED)
    assert condition == Condition(
        terms=(
            ProfileIs("live", (True,)),
            AnyOf(
                options=(
                    Condition(terms=(ProfileIs("regions", ("uk",)),)),
                    Condition(
                        terms=(
                            AnyOf(
                                options=(
                                    Condition(terms=(ProfileIs("band", ("small",)),)),
                                    Condition(terms=(ProfileIs("live", (False,)),)),
                                )
                            ),
                        )
                    ),
                )
            ),
            ProfileIs("band", ("small",), listed=True),
        )
    )
    shipped = load_catalogue()
    assert all(
        isinstance(p.applies_if, Condition)
        for p in shipped.principles.values()
        if p.applies_if is not None
    )
    assert shipped.principles["P1"].applies_if is None


@pytest.mark.parametrize(
    ("written", "answers", "holds"),
    [
        ({"live": True}, {"live": True}, True),
        ({"live": True}, {"live": False}, False),
        ({"live": True}, {}, False),
        ({"live": False}, {}, False),
        ({"live": False}, {"live": None}, False),
        ({"live": [True, False]}, {"live": False}, True),
        ({"band": ["big", "huge"]}, {"band": "huge"}, True),
        ({"band": "big"}, {"band": "small"}, False),
        ({"regions": "uk"}, {"regions": ["us", "uk"]}, True),
        ({"regions": ["uk", "eu"]}, {"regions": ["us"]}, False),
        ({"regions": "uk"}, {"regions": []}, False),
        ({"any_of": [{"live": True}, {"band": "big"}]}, {"band": "big"}, True),
        ({"any_of": [{"live": True}, {"band": "big"}]}, {"live": False}, False),
        (NESTED, {"live": True, "band": "small", "regions": ["eu"]}, True),
        (NESTED, {"live": True, "band": "big", "regions": ["uk"]}, False),
    ],
)
def test_a_condition_holds_only_for_the_answers_it_names(written, answers, holds):
    condition, _ = condition_of(written)
    assert condition.holds(answers) is holds


@pytest.mark.parametrize(
    ("written", "answers", "explained"),
    [
        ({"live": True}, {"live": False}, '"Live?" is Yes (answered: No)'),
        ({"live": False}, {}, '"Live?" is No (answered: Not answered)'),
        ({"live": [True, False]}, {}, '"Live?" is Yes or No (answered: Not answered)'),
        ({"band": ["big", "huge"]}, {"band": "small"}, '"Band" is Big or Huge (answered: Small)'),
        ({"regions": "uk"}, {"regions": ["us", "eu"]}, '"Regions" is UK (answered: US, EU)'),
        (
            {"any_of": [{"live": True}, {"band": "big"}]},
            {"band": "huge"},
            'one of: "Live?" is Yes (answered: Not answered); or "Band" is Big (answered: Huge)',
        ),
        (
            NESTED,
            {"live": False, "band": "big", "regions": ["uk"]},
            '"Live?" is Yes (answered: No); one of: "Regions" is UK (answered: UK); or one of: '
            '"Band" is Small (answered: Big); or "Live?" is No (answered: No); '
            '"Band" is Small (answered: Big)',
        ),
    ],
)
def test_an_unmet_condition_says_what_it_needs_and_what_was_answered(written, answers, explained):
    condition, profile = condition_of(written)
    assert condition.explain(profile, answers) == explained


@pytest.mark.parametrize(
    ("written", "requirement"),
    [
        ({"live": True}, "“Live?” is answered Yes"),
        ({"live": False}, "“Live?” is answered No"),
        ({"live": [True, False]}, "“Live?” is Yes or No"),
        ({"band": ["big", "huge"]}, "“Band” is Big or Huge"),
        ({"regions": ["uk", "eu"]}, "“Regions” is UK or EU"),
        ({"any_of": [{"live": True}, {"band": "big"}]}, "“Live?” is answered Yes or “Band” is Big"),
        (
            NESTED,
            "“Live?” is answered Yes; and “Regions” is UK or “Band” is Small or "
            "“Live?” is answered No; and “Band” is Small",
        ),
    ],
)
def test_a_condition_describes_the_services_it_asks_for(written, requirement):
    condition, profile = condition_of(written)
    assert condition.requirement(profile) == requirement


@pytest.mark.parametrize(
    "written",
    [{"live": True}, {"band": ["big"]}, {"regions": "uk"}, NESTED],
)
def test_a_condition_is_written_back_as_the_catalogue_wrote_it(written):
    catalogue = catalogue_with(written)
    dumped = catalogue.spec.model_dump(mode="json")
    assert dumped["themes"][0]["principles"][0]["questions"][0]["applies_if"] == written


def test_the_shipped_catalogue_fingerprints_its_conditions_as_written():
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    dumped = load_catalogue().spec.model_dump(mode="json")
    for raw_theme, theme in zip(raw["themes"], dumped["themes"], strict=True):
        for raw_p, p in zip(raw_theme["principles"], theme["principles"], strict=True):
            assert p["applies_if"] == raw_p.get("applies_if"), p["id"]
            for raw_q, q in zip(raw_p["questions"], p["questions"], strict=True):
                assert q["applies_if"] == raw_q.get("applies_if"), q["id"]


def test_every_problem_of_a_condition_is_named_in_the_order_written():
    assert problems({"band": [], "zzz": True, "any_of": [{"live": [1, True]}]}) == [
        "themes[0].principles[0].questions[0].applies_if.band: needs at least one value",
        "themes[0].principles[0].questions[0].applies_if.zzz: unknown profile field 'zzz'",
        "themes[0].principles[0].questions[0].applies_if.any_of[0].live: 'live' is yes/no, got 1",
    ]


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ({}, "applies_if: must be a non-empty mapping of profile field to value"),
        ({"any_of": []}, "applies_if.any_of: must be a non-empty list of conditions"),
        ({"any_of": "live"}, "applies_if.any_of: must be a non-empty list of conditions"),
        (
            {"any_of": [{"live": True}, 3]},
            "applies_if.any_of[1]: must be a non-empty mapping of profile field to value",
        ),
        ({"regions": ["uk", "mars"]}, "applies_if.regions: 'mars' is not an option of 'regions'"),
        ({"band": None}, "applies_if.band: None is not an option of 'band'"),
    ],
)
def test_a_malformed_condition_is_reported_by_its_place(written, problem):
    assert problems(written) == [f"themes[0].principles[0].questions[0].{problem}"]
