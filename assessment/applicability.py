"""Decide which principles and questions a service profile puts in scope.

The principles "apply differently depending on the provider's role": a
chat app is not asked about search results. Conditions come from the
catalogue's `applies_if`; this module evaluates them and says why something
is out of scope in words a reader of the report understands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessment.catalogue import Catalogue, Principle, Question


def condition_holds(condition: Mapping[str, Any] | None, profile: Mapping[str, Any]) -> bool:
    """Return whether a catalogue condition holds for these profile answers.

    An unanswered profile field never satisfies a condition, so a question stays
    out of scope until the profile says it applies.
    """
    if not condition:
        return True
    for key, expected in condition.items():
        if key == "any_of":
            if not any(condition_holds(sub, profile) for sub in expected):
                return False
            continue
        answer = profile.get(key)
        wanted = expected if isinstance(expected, list) else [expected]
        if isinstance(answer, list):
            if not set(answer) & set(wanted):
                return False
        elif answer is None or answer not in wanted:
            return False
    return True


def principle_applies(principle: Principle, profile: Mapping[str, Any]) -> bool:
    """Return whether a principle is in scope for this service."""
    return condition_holds(principle.applies_if, profile)


def question_applies(principle: Principle, question: Question, profile: Mapping[str, Any]) -> bool:
    """Return whether a question is in scope (its principle and itself)."""
    return principle_applies(principle, profile) and condition_holds(question.applies_if, profile)


def describe_condition(
    catalogue: Catalogue, condition: Mapping[str, Any], profile: Mapping[str, Any]
) -> str:
    """Explain in words which profile answers a condition needs and what was given."""
    parts = []
    for key, expected in condition.items():
        if key == "any_of":
            parts.append(
                "one of: "
                + "; or ".join(describe_condition(catalogue, sub, profile) for sub in expected)
            )
            continue
        field = catalogue.profile_questions[key]
        wanted = expected if isinstance(expected, list) else [expected]
        wanted_words = " or ".join(
            field.label_for(v if field.type != "multi" else [v]) for v in wanted
        )
        given = field.label_for(profile.get(key))
        parts.append(f'"{field.text}" is {wanted_words} (answered: {given})')
    return "; ".join(parts)


def describe_requirement(catalogue: Catalogue, condition: Mapping[str, Any]) -> str:
    """Say in words which service profiles a condition asks for (for the catalogue page)."""
    parts = []
    for key, expected in condition.items():
        if key == "any_of":
            parts.append(" or ".join(describe_requirement(catalogue, sub) for sub in expected))
            continue
        field = catalogue.profile_questions[key]
        wanted = expected if isinstance(expected, list) else [expected]
        if field.type == "boolean" and len(wanted) == 1:
            parts.append(f"“{field.text}” is answered {'Yes' if wanted[0] else 'No'}")
        else:
            words = " or ".join(
                field.label_for([v] if field.type == "multi" else v) for v in wanted
            )
            parts.append(f"“{field.text}” is {words}")
    return "; and ".join(parts)


def scope_reason(
    catalogue: Catalogue,
    principle: Principle,
    profile: Mapping[str, Any],
    question: Question | None = None,
) -> str | None:
    """Say why a principle (or a question) is out of scope, or None when it applies."""
    if not principle_applies(principle, profile):
        why = describe_condition(catalogue, principle.applies_if or {}, profile)
        note = f" {principle.scope_note}" if principle.scope_note else ""
        return f"Not applicable to this service: applies only where {why}.{note}"
    if question is not None and not condition_holds(question.applies_if, profile):
        why = describe_condition(catalogue, question.applies_if or {}, profile)
        return f"Not applicable to this service: applies only where {why}."
    return None
