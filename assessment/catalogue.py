"""Load, validate and index the principles catalogue.

The catalogue (`principles.yaml`) is data, not code: this module reads it with
a safe YAML loader (duplicate keys refused), validates its shape with pydantic,
checks its cross-references, and returns a frozen, fingerprinted `Catalogue`.
Every problem is reported with its place in the file, so a bad catalogue is
fixed from the message alone and never reaches the app.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assessment.conditions import Condition
from assessment.formatting import json_path
from assessment.relations import Changes, relation_problems
from assessment.resources import CATALOGUE_PATH

DEFAULT_PATH = CATALOGUE_PATH

# The longest comment or text answer, in characters: the forms and the importer both hold to it.
COMMENT_MAX = 5000

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$", max_length=64)]
Text = Annotated[str, Field(min_length=1)]


class CatalogueError(Exception):
    """A catalogue that cannot be used; `problems` lists every reason with its place."""

    def __init__(self, problems: list[str], source: str = "catalogue"):
        self.problems = problems
        self.source = source
        super().__init__(f"{source}: " + "; ".join(problems))


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Mapping_(_Frozen):
    """A correspondence between a question and a measure in another regime."""

    framework: Text
    ref: Text
    note: str = ""


class ScaleOption(_Frozen):
    value: Annotated[str, Field(min_length=1, max_length=64)]
    label: Text
    description: str = ""
    score: Annotated[float, Field(ge=0, le=1)] | None = None
    na: bool = False
    requires_rationale: bool = False

    @field_validator("value", mode="before")
    @classmethod
    def _value_as_text(cls, value: Any) -> Any:
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )


class Scale(_Frozen):
    id: Identifier
    title: Text
    options: Annotated[tuple[ScaleOption, ...], Field(min_length=2)]


class ProfileOption(_Frozen):
    value: Annotated[str, Field(min_length=1, max_length=64)]
    label: Text


class ProfileQuestion(_Frozen):
    id: Identifier
    text: Text
    help: str = ""
    type: Literal["boolean", "choice", "multi"]
    options: tuple[ProfileOption, ...] = ()

    def label_for(self, value: Any) -> str:
        """Describe an answer to this profile question in words."""
        if value is None or value == [] or value == "":
            return "Not answered"
        if self.type == "boolean":
            return "Yes" if value else "No"
        labels = {o.value: o.label for o in self.options}
        if self.type == "multi":
            return ", ".join(labels.get(v, str(v)) for v in value)
        return labels.get(value, str(value))


# What a question asks about, in the shape shared by principles P1-P5:
# detect or prevent, act under the terms of service, report to authorities.
Facet = Literal["detect", "enforce", "report"]


class Question(_Frozen):
    id: Identifier
    text: Text
    help: str = ""
    type: Literal["scale", "choice", "multi", "number", "text"] = "scale"
    scale: Identifier | None = None
    options: tuple[ScaleOption, ...] = ()
    weight: Annotated[float, Field(gt=0)] = 1.0
    applies_if: Condition | None = None
    evidence: str = ""
    recommendation: str = ""
    mappings: tuple[Mapping_, ...] = ()
    facet: Facet | None = None


class Principle(_Frozen):
    id: Identifier
    title: Text
    statement: Text
    # False when the reference could not confirm the statement against the official text.
    verified: bool = True
    guidance: str = ""
    weight: Annotated[float, Field(gt=0)] = 1.0
    applies_if: Condition | None = None
    scope_note: str = ""
    questions: Annotated[tuple[Question, ...], Field(min_length=1)]


class Theme(_Frozen):
    id: Identifier
    title: Text
    principles: Annotated[tuple[Principle, ...], Field(min_length=1)]


class Band(_Frozen):
    min: Annotated[float, Field(ge=0, le=100)]
    label: Text
    colour: Literal["red", "amber", "green"] = "amber"


class ScoringRules(_Frozen):
    gap_threshold: Annotated[float, Field(gt=0, le=1)] = 0.75
    bands: Annotated[tuple[Band, ...], Field(min_length=1)]


class Source(_Frozen):
    title: Text
    publisher: str = ""
    url: str = ""
    date: str = ""


class Meta(_Frozen):
    id: Identifier
    title: Text
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    source: Source


class CatalogueSpec(_Frozen):
    catalogue: Meta
    scales: Annotated[tuple[Scale, ...], Field(min_length=1)]
    scoring: ScoringRules
    profile: tuple[ProfileQuestion, ...] = ()
    themes: Annotated[tuple[Theme, ...], Field(min_length=1)]
    # How this version relates to the one before it (`assessment.relations`).
    changes: Changes | None = None


def is_answered(value: Any) -> bool:
    """Return whether a stored value is an answer (an empty text or list of choices is not)."""
    if value is None:
        return False
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return True


@dataclass(frozen=True)
class Catalogue:
    """A validated catalogue with lookups, its version and its fingerprint."""

    spec: CatalogueSpec
    fingerprint: str

    @cached_property
    def canonical(self) -> str:
        """The canonical JSON text the fingerprint hashes, as each catalogue version keeps it."""
        return canonical_text(self.spec).decode("utf-8")

    @property
    def version(self) -> str:
        return self.spec.catalogue.version

    @property
    def title(self) -> str:
        return self.spec.catalogue.title

    @property
    def themes(self) -> tuple[Theme, ...]:
        return self.spec.themes

    @property
    def profile(self) -> tuple[ProfileQuestion, ...]:
        return self.spec.profile

    @property
    def scoring(self) -> ScoringRules:
        return self.spec.scoring

    @property
    def changes(self) -> Changes | None:
        return self.spec.changes

    @cached_property
    def principles(self) -> dict[str, Principle]:
        return {p.id: p for t in self.spec.themes for p in t.principles}

    @cached_property
    def questions(self) -> dict[str, Question]:
        return {q.id: q for p in self.principles.values() for q in p.questions}

    @cached_property
    def scales(self) -> dict[str, Scale]:
        return {s.id: s for s in self.spec.scales}

    @cached_property
    def profile_questions(self) -> dict[str, ProfileQuestion]:
        return {q.id: q for q in self.spec.profile}

    @cached_property
    def theme_of(self) -> dict[str, Theme]:
        return {p.id: t for t in self.spec.themes for p in t.principles}

    @cached_property
    def principle_ids_by_question(self) -> dict[str, str]:
        return {q.id: p.id for p in self.principles.values() for q in p.questions}

    def principle_of(self, question_id: str) -> str:
        """Return the id of the principle a question belongs to."""
        return self.principle_ids_by_question[question_id]

    def principle_after(self, principle_id: str) -> str | None:
        """Return the id of the principle after this one, or None after the last."""
        ids = list(self.principles)
        position = ids.index(principle_id) + 1
        return ids[position] if position < len(ids) else None

    def options_for(self, question: Question) -> tuple[ScaleOption, ...]:
        """Return the answer options of a question, from its scale or its own list."""
        if question.scale:
            return self.scales[question.scale].options
        return question.options

    def option_for(self, question: Question, value: str) -> ScaleOption | None:
        """Return the option a stored answer value stands for, or None."""
        return next((o for o in self.options_for(question) if o.value == value), None)

    def label_for(self, question: Question, value: Any) -> str:
        """Describe a stored answer to a question in words."""
        if not is_answered(value):
            return "Not answered"
        if question.type in ("scale", "choice"):
            option = self.option_for(question, str(value))
            return option.label if option else f"Unknown answer {value!r}"
        if question.type == "multi":
            labels = {o.value: o.label for o in self.options_for(question)}
            return ", ".join(labels.get(v, str(v)) for v in value)
        return str(value)

    def band_for(self, score: float | None) -> Band | None:
        """Return the maturity band for a 0-100 score (None for no score)."""
        if score is None:
            return None
        eligible = [b for b in self.spec.scoring.bands if score >= b.min]
        return max(eligible, key=lambda b: b.min) if eligible else None


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A safe loader that refuses duplicate mapping keys instead of keeping the last.

    libyaml's parser (PyYAML's wheels carry it) when there is one: the same
    documents and marks in a tenth of the time, and it refuses flow nesting deeper
    than 1,000 levels itself.
    """


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen[key] = True
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"YAML syntax: {where}{problem}"


def parse_text(text: str | bytes) -> Any:
    """Parse catalogue YAML safely, or raise CatalogueError naming the problem."""
    if isinstance(text, bytes):
        if b"\x00" in text:
            raise CatalogueError(["not a text file (it contains NUL bytes)"])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CatalogueError([f"not UTF-8 text (byte {exc.start})"]) from None
    if not text.strip():
        raise CatalogueError(["the file is empty"])
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CatalogueError([_yaml_problem(exc)]) from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise CatalogueError([f"YAML could not be read: {exc}"]) from None


def _duplicates(ids: list[str], where: str) -> list[str]:
    seen: set[str] = set()
    problems = []
    for i, ident in enumerate(ids):
        if ident in seen:
            problems.append(f"{where}[{i}].id: duplicate id {ident!r}")
        seen.add(ident)
    return problems


def _scale_problems(spec: CatalogueSpec) -> list[str]:
    problems = []
    for si, scale in enumerate(spec.scales):
        problems += _duplicates([o.value for o in scale.options], f"scales[{si}].options")
        if all(o.na or o.score is None for o in scale.options):
            problems.append(f"scales[{si}]: needs at least one scored option")
    return problems


def _profile_problems(spec: CatalogueSpec) -> list[str]:
    problems = []
    for pi, field in enumerate(spec.profile):
        if field.type != "boolean" and len(field.options) < 2:
            problems.append(f"profile[{pi}].options: a {field.type} field needs two or more")
        problems += _duplicates([o.value for o in field.options], f"profile[{pi}].options")
    return problems


def _condition_problems(
    condition: Condition | None, where: str, profile: dict[str, ProfileQuestion]
) -> list[str]:
    return [] if condition is None else condition.problems(f"{where}.applies_if", profile)


def _answer_type_problems(q: Question, where: str, scales: dict[str, Scale]) -> list[str]:
    unknown_scale = q.scale is not None and q.scale not in scales
    if q.type == "scale" and q.scale is None:
        return [f"{where}.scale: a scale question must name a scale"]
    if q.type in ("scale", "choice", "multi") and unknown_scale:
        return [f"{where}.scale: unknown scale {q.scale!r}"]
    if q.type in ("choice", "multi") and q.scale is None and len(q.options) < 2:
        return [f"{where}.options: a {q.type} question needs options"]
    if q.type in ("number", "text") and q.scale is not None:
        return [f"{where}.scale: a {q.type} question takes no scale"]
    return []


def _question_problems(
    q: Question, where: str, scales: dict[str, Scale], profile: dict[str, ProfileQuestion]
) -> list[str]:
    return [
        *_condition_problems(q.applies_if, where, profile),
        *_answer_type_problems(q, where, scales),
        *_duplicates([o.value for o in q.options], f"{where}.options"),
    ]


def _theme_problems(spec: CatalogueSpec) -> list[str]:
    """Check principles and questions: ids unique across themes, conditions, answer types."""
    profile = {p.id: p for p in spec.profile}
    scales = {s.id: s for s in spec.scales}
    problems: list[str] = []
    seen_principles: set[str] = set()
    seen_questions: set[str] = set()
    for ti, theme in enumerate(spec.themes):
        for pi, principle in enumerate(theme.principles):
            where = f"themes[{ti}].principles[{pi}]"
            if principle.id in seen_principles:
                problems.append(f"{where}.id: duplicate principle id {principle.id!r}")
            seen_principles.add(principle.id)
            problems += _condition_problems(principle.applies_if, where, profile)
            for qi, q in enumerate(principle.questions):
                qwhere = f"{where}.questions[{qi}]"
                if q.id in seen_questions:
                    problems.append(f"{qwhere}.id: duplicate question id {q.id!r}")
                seen_questions.add(q.id)
                problems += _question_problems(q, qwhere, scales, profile)
    return problems


def _band_problems(spec: CatalogueSpec) -> list[str]:
    bands = [b.min for b in spec.scoring.bands]
    problems = []
    if bands != sorted(bands) or len(set(bands)) != len(bands):
        problems.append("scoring.bands: must be in rising order of min, without repeats")
    if bands and bands[0] != 0:
        problems.append("scoring.bands[0].min: the lowest band must start at 0")
    return problems


def _cross_reference_problems(spec: CatalogueSpec) -> list[str]:
    """Check what the schema cannot: unique ids, known names, conditions, bands."""
    return [
        *_duplicates([s.id for s in spec.scales], "scales"),
        *_duplicates([p.id for p in spec.profile], "profile"),
        *_duplicates([t.id for t in spec.themes], "themes"),
        *_scale_problems(spec),
        *_profile_problems(spec),
        *_theme_problems(spec),
        *_band_problems(spec),
        *_changes_problems(spec),
    ]


def _changes_problems(spec: CatalogueSpec) -> list[str]:
    scales = {s.id: s for s in spec.scales}
    options_of = {}
    for theme in spec.themes:
        for principle in theme.principles:
            for q in principle.questions:
                listed = scales[q.scale].options if q.scale in scales else q.options
                options_of[q.id] = {o.value for o in listed}
    return relation_problems(spec.changes, spec.catalogue.version, options_of, options_of)


def canonical_text(spec: CatalogueSpec) -> bytes:
    """Return the catalogue as canonical JSON: what the fingerprint hashes and the database keeps."""
    data = spec.model_dump(mode="json")
    if data.get("changes") is None:
        # A catalogue without relations keeps the fingerprint it had before they existed.
        data.pop("changes", None)
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def build_catalogue(data: Any) -> Catalogue:
    """Validate parsed catalogue data and return the frozen Catalogue."""
    if not isinstance(data, Mapping):
        kind = type(data).__name__ if data is not None else "nothing"
        raise CatalogueError([f"(top level): must be a mapping of sections, got {kind}"])
    try:
        spec = CatalogueSpec.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(
            [f"{json_path(e['loc'])}: {_clean_message(e)}" for e in _root_errors(exc.errors())]
        ) from None
    problems = _cross_reference_problems(spec)
    if problems:
        raise CatalogueError(problems)
    return Catalogue(spec=spec, fingerprint=hashlib.sha256(canonical_text(spec)).hexdigest())


def _root_errors(errors: list[Any]) -> list[Any]:
    """Drop "too short" errors on a list whose items failed: the item error is the cause.

    Pydantic checks a tuple's minimum length after dropping the items that failed,
    so one bad question also reports its principle list, theme list... as empty.
    """

    def explained(error: Any) -> bool:
        loc = tuple(error["loc"])
        return error["type"] == "too_short" and any(
            len(other["loc"]) > len(loc) and tuple(other["loc"][: len(loc)]) == loc
            for other in errors
        )

    return [e for e in errors if not explained(e)]


def _clean_message(error: Any) -> str:
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "string_pattern_mismatch":
        value = error.get("input")
        return (
            f"{value!r} is not a valid value here ({re.sub(r'^String should', 'should', message)})"
        )
    return message


def load_catalogue(path: str | Path = DEFAULT_PATH) -> Catalogue:
    """Read, validate and index the catalogue at `path`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogueError([f"cannot read the file: {exc.strerror}"], source=str(path)) from None
    try:
        return build_catalogue(parse_text(raw))
    except CatalogueError as exc:
        raise CatalogueError(exc.problems, source=str(path)) from None
