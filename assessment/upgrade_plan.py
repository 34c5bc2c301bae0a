"""What upgrading a draft to a newer catalogue does to every answer, worked out before anything changes.

The plan follows the relations of each version on the way (`changes` in the
catalogue file) and, where none is written, the question ids. Every stored
answer gets one fate: kept (same question), carried (to a new id), needs
review (no value fits, or merged answers disagree: the value is left empty
for a person to choose) or dropped (its question is gone). The preview shows
this plan and the upgrade writes exactly it. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from assessment.catalogue import Catalogue, Question, is_answered
from assessment.catalogue_diff import relations_between
from assessment.relations import (
    Merge,
    Remove,
    ScaleChange,
    Split,
    Wording,
    sources,
    targets,
)

KEPT, CARRIED, REVIEW, DROPPED = "kept", "carried", "review", "dropped"
FATE_LABELS = {
    KEPT: "Kept",
    CARRIED: "Carried to the new question",
    REVIEW: "Needs review",
    DROPPED: "Dropped (kept in the audit trail)",
}


@dataclass(frozen=True)
class StoredAnswer:
    value: Any
    comment: str = ""


@dataclass(frozen=True)
class Carry:
    """An answer on its way through the versions."""

    value: Any
    comment: str
    origins: tuple[str, ...]
    confirm: bool = False
    review: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What happens to one stored answer."""

    question_id: str
    value: Any
    comment: str
    fate: str
    to: tuple[str, ...]
    new_value: Any
    confirm: bool
    notes: tuple[str, ...]

    @property
    def fate_label(self) -> str:
        return FATE_LABELS[self.fate]

    @property
    def unchanged(self) -> bool:
        """Kept as it is, nothing for a person to look at."""
        return self.fate == KEPT and not self.confirm and self.new_value == self.value


@dataclass(frozen=True)
class NewAnswer:
    """An answer as the upgraded draft holds it."""

    question_id: str
    value: Any
    comment: str
    needs_confirmation: bool
    origins: tuple[str, ...]


@dataclass(frozen=True)
class UpgradePlan:
    old: Catalogue
    new: Catalogue
    versions: tuple[str, ...]
    outcomes: tuple[Outcome, ...]
    answers: dict[str, NewAnswer]
    added: tuple[str, ...]
    by_id_only: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def valid_value(question: Question, catalogue: Catalogue, value: Any) -> bool:
    """Return whether a stored value is a possible answer to this question (empty always is)."""
    if not is_answered(value):
        return True
    allowed = {o.value for o in catalogue.options_for(question)}
    if question.type in ("scale", "choice"):
        return str(value) in allowed
    if question.type == "multi":
        return isinstance(value, list) and all(v in allowed for v in value)
    if question.type == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def plan_upgrade(
    path: Sequence[Catalogue], answers: Mapping[str, StoredAnswer], *, by_id_only: bool = False
) -> UpgradePlan:
    """Plan the upgrade of these answers along `path` (the draft's version first, the target last)."""
    carries = {
        qid: Carry(value=a.value, comment=a.comment, origins=(qid,)) for qid, a in answers.items()
    }
    dropped: dict[str, str] = {}
    for old, new in zip(path, path[1:], strict=False):
        carries, gone = _step(old, new, carries)
        dropped.update(gone)
    order = {qid: i for i, qid in enumerate(path[0].questions)}
    outcomes = tuple(
        _outcome(qid, answers[qid], carries, dropped)
        for qid in sorted(answers, key=lambda q: (order.get(q, len(order)), q))
    )
    final = {
        qid: NewAnswer(
            question_id=qid,
            value=None if c.review else c.value,
            comment=c.comment,
            needs_confirmation=c.confirm or c.review,
            origins=c.origins,
        )
        for qid, c in carries.items()
    }
    old, new = path[0], path[-1]
    added = tuple(q for q in new.questions if q not in final and q not in old.questions)
    counts = {fate: sum(o.fate == fate for o in outcomes) for fate in FATE_LABELS}
    return UpgradePlan(
        old=old,
        new=new,
        versions=tuple(c.version for c in path),
        outcomes=outcomes,
        answers=final,
        added=added,
        by_id_only=by_id_only,
        counts=counts,
    )


def _outcome(
    qid: str, stored: StoredAnswer, carries: Mapping[str, Carry], dropped: Mapping[str, str]
) -> Outcome:
    reached = {t: c for t, c in carries.items() if qid in c.origins}
    if not reached:
        return Outcome(qid, stored.value, stored.comment, DROPPED, (), None, False, (dropped[qid],))
    notes = tuple(dict.fromkeys(n for c in reached.values() for n in c.notes))
    to = tuple(sorted(reached))
    review = any(c.review for c in reached.values())
    confirm = any(c.confirm for c in reached.values())
    new_value = None if review else next(iter(reached.values())).value
    if review:
        fate = REVIEW
    elif to == (qid,):
        fate = KEPT
    else:
        fate = CARRIED
    return Outcome(qid, stored.value, stored.comment, fate, to, new_value, confirm, notes)


def _step(
    old: Catalogue, new: Catalogue, carries: Mapping[str, Carry]
) -> tuple[dict[str, Carry], dict[str, str]]:
    """Move the answers one version on: where each goes, and why any is dropped."""
    relations = relations_between(old, new)
    moves = {s: r for r in relations for s in sources(r)}
    reworded = {r.question for r in relations if isinstance(r, Wording)}
    rescaled = {r.question: r for r in relations if isinstance(r, ScaleChange)}
    out: dict[str, Carry] = {}
    dropped: dict[str, str] = {}
    for qid, carry in carries.items():
        relation = moves.get(qid)
        if isinstance(relation, Remove):
            note = f": {relation.note}" if relation.note else ""
            for origin in carry.origins:
                dropped[origin] = f"{qid} is removed in version {new.version}{note}"
            continue
        goes_to = targets(relation) if relation is not None else (qid,)
        if relation is None and qid not in new.questions:
            for origin in carry.origins:
                dropped[origin] = (
                    f"{qid} is not in version {new.version} and no relation says where it went"
                )
            continue
        for target in goes_to:
            moved = _arrive(old, new, qid, target, carry, relation, target in reworded)
            moved = _rescale(old, new, qid, target, moved, rescaled.get(target))
            out[target] = _combine(out[target], moved) if target in out else moved
    return out, dropped


def _arrive(
    old: Catalogue, new: Catalogue, qid: str, target: str, carry: Carry, relation, reworded: bool
) -> Carry:
    """Carry one answer to one question of the new version, noting what a person should check."""
    before, after = old.questions.get(qid), new.questions[target]
    notes = list(carry.notes)
    confirm = carry.confirm
    if isinstance(relation, Split):
        notes.append(f"{qid} is split into {', '.join(relation.to)} in version {new.version}")
        confirm = True
    elif isinstance(relation, Merge):
        notes.append(f"{', '.join(relation.source)} are merged into {target}")
        confirm = True
    elif relation is not None and target != qid:
        notes.append(f"{qid} is renamed {target} in version {new.version}")
    moved_to_new = isinstance(relation, Split | Merge) and target != qid
    if reworded or (before is not None and before.text != after.text and not moved_to_new):
        notes.append(f"the wording of {target} changed")
        confirm = True
    return replace(carry, confirm=confirm, notes=tuple(notes))


def _rescale(
    old: Catalogue,
    new: Catalogue,
    qid: str,
    target: str,
    carry: Carry,
    relation: ScaleChange | None,
) -> Carry:
    """Translate the value to the new question's answers, or leave it for review."""
    after = new.questions[target]
    value = carry.value
    if relation is not None and is_answered(value):
        mapped = relation.values.get(str(value), None)
        if mapped is None:
            return replace(
                carry,
                review=True,
                confirm=True,
                notes=(
                    *carry.notes,
                    f"the answer scale of {target} changed and {value!r} has no equivalent on it",
                ),
            )
        return replace(
            carry,
            value=mapped,
            confirm=True,
            notes=(
                *carry.notes,
                f"the answer scale of {target} changed: {value!r} becomes {mapped!r}",
            ),
        )
    if not valid_value(after, new, value):
        return replace(
            carry,
            review=True,
            confirm=True,
            notes=(*carry.notes, f"{value!r} is not an answer {target} takes any more"),
        )
    if qid in old.questions and [o.value for o in old.options_for(old.questions[qid])] != [
        o.value for o in new.options_for(after)
    ]:
        return replace(
            carry, confirm=True, notes=(*carry.notes, f"the answers of {target} changed")
        )
    return carry


def _combine(first: Carry, second: Carry) -> Carry:
    """Merge two answers arriving at one question: agreeing values carry, others need review."""
    notes = tuple(dict.fromkeys((*first.notes, *second.notes)))
    comment = "\n\n".join(c for c in (first.comment, second.comment) if c)
    origins = (*first.origins, *second.origins)
    if not is_answered(first.value) or not is_answered(second.value):
        value = first.value if is_answered(first.value) else second.value
        review = first.review or second.review
    else:
        value = first.value
        review = first.review or second.review or first.value != second.value
        if first.value != second.value:
            notes = (*notes, "the merged answers disagree: choose the answer that holds now")
    return Carry(
        value=value, comment=comment, origins=origins, confirm=True, review=review, notes=notes
    )
