"""How a catalogue version relates to the one before it, and the checks that keep it sound.

A new `principles.yaml` carries a `changes` section: the version it follows,
a date, a changelog, and one relation per question that moved or changed:

    changes:
      previous: 1.0.0
      date: "2026-12-01"
      summary: "Split hotline notices from trusted flaggers; ..."
      questions:
        - {kind: rename, from: P1.7, to: P1.8}
        - {kind: split, from: P2.3, to: [P2.3, P2.8]}
        - {kind: merge, from: [P3.8, P3.9], to: P3.8}
        - {kind: remove, from: P4.6, note: "Covered by P4.2 now."}
        - {kind: add, to: P5.7}
        - {kind: wording, question: P6.1}
        - {kind: scale, question: P7.7, values: {"0": "no", "4": "yes", "2": null}}

`from` names questions of the previous version, `to` and `question` questions
of this one. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

QuestionId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$", max_length=64)]


class QuestionRelation(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True, populate_by_name=True
    )
    note: str = ""


class Rename(QuestionRelation):
    kind: Literal["rename"]
    source: QuestionId = Field(alias="from")
    to: QuestionId


class Split(QuestionRelation):
    kind: Literal["split"]
    source: QuestionId = Field(alias="from")
    to: tuple[QuestionId, ...]


class Merge(QuestionRelation):
    kind: Literal["merge"]
    source: tuple[QuestionId, ...] = Field(alias="from")
    to: QuestionId


class Remove(QuestionRelation):
    kind: Literal["remove"]
    source: QuestionId = Field(alias="from")


class Add(QuestionRelation):
    kind: Literal["add"]
    to: QuestionId


class Wording(QuestionRelation):
    kind: Literal["wording"]
    question: QuestionId


class ScaleChange(QuestionRelation):
    kind: Literal["scale"]
    question: QuestionId
    # An old answer value -> the new one it becomes; null: no equivalent, a person decides.
    values: dict[str, str | None] = {}


Relation = Annotated[
    Rename | Split | Merge | Remove | Add | Wording | ScaleChange, Field(discriminator="kind")
]


class Changes(BaseModel):
    """The `changes` section: what this version follows and how its questions relate to it."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    previous: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    date: str = ""
    summary: str = ""
    questions: tuple[Relation, ...] = ()


def sources(relation: QuestionRelation) -> tuple[str, ...]:
    """Return the previous version's question ids a relation starts from."""
    source = getattr(relation, "source", ())
    return (source,) if isinstance(source, str) else tuple(source)


def targets(relation: QuestionRelation) -> tuple[str, ...]:
    """Return this version's question ids a relation leads to."""
    if isinstance(relation, Wording | ScaleChange):
        return (relation.question,)
    to = getattr(relation, "to", ())
    return (to,) if isinstance(to, str) else tuple(to)


def describe(relation: QuestionRelation) -> str:
    """Say a relation in words, as the diff and the changelog print it."""
    words = {
        "rename": "{s} is renamed {t}",
        "split": "{s} is split into {t}",
        "merge": "{s} are merged into {t}",
        "remove": "{s} is removed",
        "add": "{t} is a new question",
        "wording": "the wording of {t} changed",
        "scale": "the answer scale of {t} changed",
    }[relation.kind]
    text = words.format(s=_and(sources(relation)), t=_and(targets(relation)))
    return f"{text} ({relation.note})" if relation.note else text


def _and(ids: Iterable[str]) -> str:
    ids = list(ids)
    return (
        ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1] if ids else "nothing"
    )


def _semver(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def relation_problems(
    changes: Changes | None,
    version: str,
    question_ids: Iterable[str],
    options_of: Mapping[str, set[str]],
) -> list[str]:
    """Check the `changes` section against this catalogue: every problem with its place.

    `options_of` gives each question's answer values (for the scale relation).
    """
    if changes is None:
        return []
    problems = []
    if _semver(changes.previous) >= _semver(version):
        problems.append(
            f"changes.previous: {changes.previous} is not older than this version {version}"
        )
    present = set(question_ids)
    for i, relation in enumerate(changes.questions):
        problems += _one_relation_problems(relation, f"changes.questions[{i}]", present, options_of)
    problems += _duplicate_problems(changes.questions)
    cycle = find_cycle(changes.questions)
    if cycle:
        problems.append(
            "changes.questions: the relations go round in a cycle: "
            + " -> ".join(cycle)
            + "; a question cannot end up where it started"
        )
    return problems


def _one_relation_problems(
    relation: QuestionRelation, where: str, present: set[str], options_of: Mapping[str, set[str]]
) -> list[str]:
    problems = _shape_problems(relation, where)
    for target in targets(relation):
        if target not in present:
            problems.append(
                f"{where}: {describe_kind(relation)} names {target!r}, "
                "which is not a question of this catalogue"
            )
    staying = set(targets(relation))
    for source in sources(relation):
        if source in present and source not in staying:
            problems.append(
                f"{where}: {describe_kind(relation)} says {source!r} goes away, "
                "but it is still a question of this catalogue"
            )
    if isinstance(relation, ScaleChange) and relation.question in options_of:
        allowed = options_of[relation.question]
        for old, new in relation.values.items():
            if new is not None and new not in allowed:
                problems.append(
                    f"{where}.values.{old}: {new!r} is not an answer of {relation.question} "
                    f"(its answers: {', '.join(sorted(allowed))})"
                )
    return problems


def describe_kind(relation: QuestionRelation) -> str:
    """Name a relation by its kind and first source or target, for messages."""
    first = (sources(relation) or targets(relation) or ("?",))[0]
    return f"the {relation.kind} of {first}"


def _shape_problems(relation: QuestionRelation, where: str) -> list[str]:
    if isinstance(relation, Split) and not relation.to:
        return [
            f"{where}.to: the split of {relation.source} is into nothing; "
            "name the questions it becomes (use `remove` to drop it)"
        ]
    if isinstance(relation, Split) and len(relation.to) == 1:
        return [
            f"{where}.to: the split of {relation.source} is into one question; that is a rename"
        ]
    if isinstance(relation, Merge) and len(relation.source) < 2:
        return [f"{where}.from: a merge needs two or more questions to merge"]
    if isinstance(relation, ScaleChange) and not relation.values:
        return [f"{where}.values: say what each old answer becomes (null where nothing fits)"]
    return []


def _duplicate_problems(relations: Iterable[QuestionRelation]) -> list[str]:
    """Each old question moves at most once; each new question has at most one origin."""
    moved: dict[str, list[int]] = defaultdict(list)
    made: dict[str, list[int]] = defaultdict(list)
    for i, relation in enumerate(relations):
        for source in sources(relation):
            moved[source].append(i)
        if not isinstance(relation, Wording | ScaleChange):
            for target in targets(relation):
                made[target].append(i)
    problems = [
        f"changes.questions: {qid} is the source of {len(at)} relations "
        f"({', '.join(f'[{i}]' for i in at)}); it can move only once"
        for qid, at in moved.items()
        if len(at) > 1
    ]
    problems += [
        f"changes.questions: {qid} comes from {len(at)} relations "
        f"({', '.join(f'[{i}]' for i in at)}); it can have only one origin"
        for qid, at in made.items()
        if len(at) > 1
    ]
    return problems


def find_cycle(relations: Iterable[QuestionRelation]) -> list[str]:
    """Return a cycle among the relations' moves (old id -> new id), or [] when there is none.

    A question that keeps its id in a split or a merge is no cycle: it stays.
    """
    edges: dict[str, set[str]] = defaultdict(set)
    for relation in relations:
        for source in sources(relation):
            edges[source].update(t for t in targets(relation) if t != source)
    for start in sorted(edges):
        cycle = _cycle_from(start, edges)
        if cycle:
            return cycle
    return []


def _cycle_from(start: str, edges: Mapping[str, set[str]]) -> list[str]:
    """Follow the moves from `start`; return the way back to it, if there is one."""
    stack = [(start, [start])]
    seen = {start}
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return []
