"""The `applies_if` condition: which services a principle or a question is asked of.

In the catalogue a condition is a mapping of profile field to the value it must
have (or a list of values, any of which will do), and every entry must hold;
`any_of: [condition, ...]` holds when one of its conditions holds. The catalogue
loader parses it once into this small typed tree, which checks itself against
the profile questions, evaluates itself against a service's profile answers and
says in words what it needs. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, PlainSerializer

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

    from assessment.catalogue import ProfileQuestion

Profile = Mapping[str, "ProfileQuestion"]
Answers = Mapping[str, Any]


@dataclass(frozen=True)
class ProfileIs:
    """A profile field answered with one of `values` (a multi field: with one of them ticked)."""

    field: Any  # a profile question id, as written; `problems` says when it is unknown
    values: tuple[Any, ...]
    listed: bool = False  # written as a list (kept so the catalogue's fingerprint is unchanged)

    def problems(self, where: str, profile: Profile) -> list[str]:
        """Name every way this entry does not fit the profile questions."""
        where = f"{where}.{self.field}"
        question = profile.get(self.field)
        if question is None:
            return [f"{where}: unknown profile field {self.field!r}"]
        problems = [] if self.values else [f"{where}: needs at least one value"]
        for value in self.values:
            problem = _value_problem(question, value)
            if problem:
                problems.append(f"{where}: {problem}")
        return problems

    def holds(self, answers: Answers) -> bool:
        """Return whether the answer is one of the values (an unanswered field never is)."""
        answer = answers.get(self.field)
        if isinstance(answer, list):
            return bool(set(answer) & set(self.values))
        return answer is not None and answer in self.values

    def explain(self, profile: Profile, answers: Answers) -> str:
        """Say which answer this needs and which was given."""
        question = profile[self.field]
        given = question.label_for(answers.get(self.field))
        return f'"{question.text}" is {self._wanted_words(question)} (answered: {given})'

    def requirement(self, profile: Profile) -> str:
        """Say which answer this needs, for a reader of the catalogue."""
        question = profile[self.field]
        if question.type == "boolean" and len(self.values) == 1:
            return f"“{question.text}” is answered {'Yes' if self.values[0] else 'No'}"
        return f"“{question.text}” is {self._wanted_words(question)}"

    def to_data(self) -> dict[str, Any]:
        """Return the entry as the catalogue writes it."""
        return {self.field: list(self.values) if self.listed else self.values[0]}

    def _wanted_words(self, question: ProfileQuestion) -> str:
        return " or ".join(
            question.label_for([v] if question.type == "multi" else v) for v in self.values
        )


def _value_problem(question: ProfileQuestion, value: Any) -> str | None:
    """Say why a condition value cannot be an answer to this profile question, or None."""
    if question.type == "boolean":
        return None if isinstance(value, bool) else f"{question.id!r} is yes/no, got {value!r}"
    if isinstance(value, str) and value in {o.value for o in question.options}:
        return None
    return f"{value!r} is not an option of {question.id!r}"


@dataclass(frozen=True)
class AnyOf:
    """At least one of several conditions holds."""

    options: tuple[Condition, ...]

    def problems(self, where: str, profile: Profile) -> list[str]:
        """Name every problem of the alternatives, each by its place."""
        where = f"{where}.any_of"
        if not self.options:
            return [f"{where}: must be a non-empty list of conditions"]
        return [
            problem
            for i, option in enumerate(self.options)
            for problem in option.problems(f"{where}[{i}]", profile)
        ]

    def holds(self, answers: Answers) -> bool:
        """Return whether one of the alternatives holds."""
        return any(option.holds(answers) for option in self.options)

    def explain(self, profile: Profile, answers: Answers) -> str:
        """Say which alternatives would do and what was given."""
        return "one of: " + "; or ".join(o.explain(profile, answers) for o in self.options)

    def requirement(self, profile: Profile) -> str:
        """Say which alternatives would do."""
        return " or ".join(option.requirement(profile) for option in self.options)

    def to_data(self) -> dict[str, Any]:
        """Return the alternatives as the catalogue writes them."""
        return {"any_of": [option.to_data() for option in self.options]}


@dataclass(frozen=True)
class Condition:
    """Every one of its terms holds: the parsed form of an `applies_if` mapping."""

    terms: tuple[ProfileIs | AnyOf, ...]

    @classmethod
    def parse(cls, written: Any) -> Condition:
        """Parse a condition as written; what is malformed parses empty and `problems` says so.

        Parsing never fails, so that every problem of a catalogue is reported
        together, each by its place, after the catalogue's shape is validated.
        """
        if not isinstance(written, Mapping):
            return cls(terms=())
        return cls(terms=tuple(_parse_term(key, value) for key, value in written.items()))

    def problems(self, where: str, profile: Profile) -> list[str]:
        """Name every way this condition does not fit the profile questions, by place."""
        if not self.terms:
            return [f"{where}: must be a non-empty mapping of profile field to value"]
        return [problem for term in self.terms for problem in term.problems(where, profile)]

    def holds(self, answers: Answers) -> bool:
        """Return whether these profile answers satisfy the condition.

        An unanswered profile field never satisfies a condition, so a question
        stays out of scope until the profile says it applies.
        """
        return all(term.holds(answers) for term in self.terms)

    def explain(self, profile: Profile, answers: Answers) -> str:
        """Explain in words which profile answers the condition needs and what was given."""
        return "; ".join(term.explain(profile, answers) for term in self.terms)

    def requirement(self, profile: Profile) -> str:
        """Say in words which service profiles the condition asks for (the catalogue page)."""
        return "; and ".join(term.requirement(profile) for term in self.terms)

    def to_data(self) -> dict[str, Any]:
        """Return the condition as the catalogue writes it (for the fingerprint and exports)."""
        return {key: value for term in self.terms for key, value in term.to_data().items()}

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        """Validate as a mapping with text keys, parse it, and serialise it as written."""
        written = Annotated[dict[str, Any], AfterValidator(cls.parse), PlainSerializer(cls.to_data)]
        return handler.generate_schema(written)


def _parse_term(key: Any, value: Any) -> ProfileIs | AnyOf:
    if key == "any_of":
        options = value if isinstance(value, list) else []
        return AnyOf(options=tuple(Condition.parse(option) for option in options))
    if isinstance(value, list):
        return ProfileIs(field=key, values=tuple(value), listed=True)
    return ProfileIs(field=key, values=(value,))
