"""The difference between two catalogue versions, in words.

Declared changes come from the newer version's `changes` section; anything
else that differs (a question gone, new or reworded without a relation) is
listed as undeclared, because a draft upgraded across it would lose or
silently change answers. `flask catalogue diff`, `flask catalogue check
--previous` and the catalogue pages all read this. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assessment.catalogue import Catalogue, Question
from assessment.relations import (
    Merge,
    QuestionRelation,
    Rename,
    ScaleChange,
    Split,
    Wording,
    describe,
    sources,
    targets,
)


@dataclass(frozen=True)
class Change:
    """One difference: a sentence, and the old and new wording where that helps."""

    text: str
    old: str = ""
    new: str = ""


@dataclass(frozen=True)
class CatalogueDiff:
    old: Catalogue
    new: Catalogue
    declared: list[Change] = field(default_factory=list)
    undeclared: list[Change] = field(default_factory=list)
    principles: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def relations_apply(self) -> bool:
        """Whether the newer version says it follows the older one."""
        return follows(self.new, self.old)

    @property
    def empty(self) -> bool:
        return not (self.declared or self.undeclared or self.principles or self.problems)


def follows(new: Catalogue, old: Catalogue) -> bool:
    """Return whether `new`'s relations are written against `old`'s version."""
    return new.changes is not None and new.changes.previous == old.version


def relations_between(old: Catalogue, new: Catalogue) -> tuple[QuestionRelation, ...]:
    """Return the relations that lead from `old` to `new` (none unless `new` follows `old`)."""
    return new.changes.questions if follows(new, old) else ()


def question_text(catalogue: Catalogue, question_id: str) -> str:
    """Return a question's id and text, as the diff quotes it."""
    question = catalogue.questions.get(question_id)
    return f"{question_id}: {question.text}" if question else question_id


def answers_of(catalogue: Catalogue, question: Question) -> str:
    """Describe the answers a question takes, in words."""
    if question.scale:
        return catalogue.scales[question.scale].title
    if question.options:
        return " / ".join(o.label for o in question.options)
    return question.type


def same_answers(old: Catalogue, new: Catalogue, question_id: str) -> bool:
    """Return whether a question takes the same answers in both versions."""
    a, b = old.questions[question_id], new.questions[question_id]
    return a.type == b.type and [o.value for o in old.options_for(a)] == [
        o.value for o in new.options_for(b)
    ]


def diff_catalogues(old: Catalogue, new: Catalogue) -> CatalogueDiff:
    """Compare two catalogue versions: declared relations, undeclared differences, principles."""
    relations = relations_between(old, new)
    diff = CatalogueDiff(old=old, new=new)
    for relation in relations:
        diff.declared.append(_declared(old, new, relation))
        diff.problems.extend(_unknown_sources(old, relation))
    diff.undeclared.extend(_undeclared(old, new, relations))
    diff.principles.extend(_principle_changes(old, new))
    return diff


def _declared(old: Catalogue, new: Catalogue, relation: QuestionRelation) -> Change:
    text = describe(relation)
    if isinstance(relation, Wording):
        qid = relation.question
        before = old.questions.get(qid)
        return Change(text, before.text if before else "", new.questions[qid].text)
    if isinstance(relation, ScaleChange):
        return Change(text + ": " + _value_map(old, new, relation))
    if isinstance(relation, Rename | Split | Merge):
        before = "\n".join(question_text(old, s) for s in sources(relation))
        after = "\n".join(question_text(new, t) for t in targets(relation))
        return Change(text, before, after)
    return Change(
        text,
        "\n".join(question_text(old, s) for s in sources(relation)),
        "\n".join(question_text(new, t) for t in targets(relation)),
    )


def _value_map(old: Catalogue, new: Catalogue, relation: ScaleChange) -> str:
    qid = relation.question
    before, after = old.questions.get(qid), new.questions[qid]
    parts = []
    for value, becomes in relation.values.items():
        option = old.option_for(before, value) if before else None
        label = option.label if option else value
        if becomes is None:
            parts.append(f"{label} needs review")
        else:
            target = new.option_for(after, becomes)
            parts.append(f"{label} becomes {target.label if target else becomes}")
    scale_words = f"{answers_of(old, before)} to {answers_of(new, after)}" if before else ""
    return f"{scale_words}; " * bool(scale_words) + ", ".join(parts)


def _unknown_sources(old: Catalogue, relation: QuestionRelation) -> list[str]:
    return [
        f"{describe(relation)}: {source} is not a question of version {old.version}"
        for source in sources(relation)
        if source not in old.questions
    ]


def _undeclared(old: Catalogue, new: Catalogue, relations) -> list[Change]:
    moved = {s for r in relations for s in sources(r)}
    made = {t for r in relations for t in targets(r)}
    reworded = {r.question for r in relations if isinstance(r, Wording)}
    rescaled = {r.question for r in relations if isinstance(r, ScaleChange)}
    changes = [
        Change(
            f"{qid} is gone without a relation (rename, split, merge or remove): "
            "an upgrade drops its answer",
            old=question_text(old, qid),
        )
        for qid in old.questions
        if qid not in new.questions and qid not in moved
    ]
    changes += [
        Change(f"{qid} is new without an `add`", new=question_text(new, qid))
        for qid in new.questions
        if qid not in old.questions and qid not in made
    ]
    for qid in sorted((old.questions.keys() & new.questions.keys()) - moved - made):
        changes += _silent_changes(old, new, qid, qid in reworded, qid in rescaled)
    return sorted(changes, key=lambda c: c.text)


def _silent_changes(
    old: Catalogue, new: Catalogue, qid: str, reworded: bool, rescaled: bool
) -> list[Change]:
    """Name what changed in a question that kept its id, where no relation says so."""
    before, after = old.questions[qid], new.questions[qid]
    changes = []
    if before.text != after.text and not reworded:
        changes.append(
            Change(
                f"the wording of {qid} changed without a `wording` relation",
                old=before.text,
                new=after.text,
            )
        )
    if not same_answers(old, new, qid) and not rescaled:
        changes.append(
            Change(
                f"the answers of {qid} changed without a `scale` relation",
                old=answers_of(old, before),
                new=answers_of(new, after),
            )
        )
    return changes


def _principle_changes(old: Catalogue, new: Catalogue) -> list[Change]:
    changes = []
    for pid, principle in new.principles.items():
        before = old.principles.get(pid)
        if before is None:
            changes.append(Change(f"principle {pid} ({principle.title}) is new"))
            continue
        if before.statement != principle.statement:
            changes.append(
                Change(f"the statement of {pid} changed", before.statement, principle.statement)
            )
        if before.verified != principle.verified:
            state = "verified" if principle.verified else "no longer verified"
            changes.append(
                Change(f"the statement of {pid} is now {state} against the official text")
            )
        if before.title != principle.title:
            changes.append(Change(f"the title of {pid} changed", before.title, principle.title))
    for pid, principle in old.principles.items():
        if pid not in new.principles:
            changes.append(Change(f"principle {pid} ({principle.title}) is gone"))
    return changes


def diff_lines(diff: CatalogueDiff) -> list[str]:
    """Return the difference as lines of text, for the command line."""
    lines = _heading_lines(diff)
    if diff.empty:
        lines.append("No differences in the questions or principles.")
    for title, changes in (
        ("Declared changes to questions", diff.declared),
        (
            "Undeclared differences (no relation says what happens to these answers)",
            diff.undeclared,
        ),
        ("Principles", diff.principles),
    ):
        if changes:
            lines += ["", f"{title}:"]
            for change in changes:
                lines += _change_lines(change)
    if diff.problems:
        lines += ["", "Problems:", *(f"  - {p}" for p in diff.problems)]
    return lines


def _heading_lines(diff: CatalogueDiff) -> list[str]:
    old, new = diff.old, diff.new
    lines = [
        f"From version {old.version} ({old.fingerprint[:12]}) "
        f"to version {new.version} ({new.fingerprint[:12]})"
    ]
    if new.changes is not None and diff.relations_apply:
        if new.changes.date:
            lines.append(f"Dated {new.changes.date}.")
        if new.changes.summary:
            lines.append(f"Changelog: {new.changes.summary}")
    elif new.changes is not None:
        lines.append(
            f"Version {new.version} follows {new.changes.previous}, not {old.version}: "
            "its relations do not apply here."
        )
    return lines


def _change_lines(change: Change) -> list[str]:
    lines = [f"  - {change.text}"]
    lines += [f"      was: {line}" for line in change.old.splitlines()]
    lines += [f"      now: {line}" for line in change.new.splitlines()]
    return lines
