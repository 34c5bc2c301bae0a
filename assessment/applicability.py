"""Decide which principles and questions a service profile puts in scope.

The principles "apply differently depending on the provider's role": a
chat app is not asked about search results. Conditions come from the
catalogue's `applies_if`, parsed when it loads (`assessment.conditions`);
this module applies them to a principle and its questions and says why
something is out of scope in words a reader of the report understands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessment.catalogue import Catalogue, Principle, Question
from assessment.conditions import Condition


def _holds(condition: Condition | None, profile: Mapping[str, Any]) -> bool:
    return condition is None or condition.holds(profile)


def principle_applies(principle: Principle, profile: Mapping[str, Any]) -> bool:
    """Return whether a principle is in scope for this service."""
    return _holds(principle.applies_if, profile)


def question_applies(principle: Principle, question: Question, profile: Mapping[str, Any]) -> bool:
    """Return whether a question is in scope (its principle and itself)."""
    return principle_applies(principle, profile) and _holds(question.applies_if, profile)


def applicable_questions(principle: Principle, profile: Mapping[str, Any]) -> list[Question]:
    """Return the questions of a principle that this service answers, in catalogue order."""
    return [q for q in principle.questions if question_applies(principle, q, profile)]


def _unmet(catalogue: Catalogue, condition: Condition | None, profile: Mapping[str, Any]) -> str:
    """Say what an unmet condition needs and what was given; empty when it holds."""
    if condition is None or condition.holds(profile):
        return ""
    return condition.explain(catalogue.profile_questions, profile)


def scope_reason(
    catalogue: Catalogue,
    principle: Principle,
    profile: Mapping[str, Any],
    question: Question | None = None,
) -> str | None:
    """Say why a principle (or a question) is out of scope, or None when it applies."""
    if why := _unmet(catalogue, principle.applies_if, profile):
        note = f" {principle.scope_note}" if principle.scope_note else ""
        return f"Not applicable to this service: applies only where {why}.{note}"
    if question is not None and (why := _unmet(catalogue, question.applies_if, profile)):
        return f"Not applicable to this service: applies only where {why}."
    return None
