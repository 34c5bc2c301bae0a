"""Read one scored assessment against other frameworks: pure functions, no Flask, no database.

The catalogue maps questions to items of other frameworks (Ofcom's codes,
Australia's BOSE sections, DTSP practices, Tech Coalition TRUST sections...).
This module groups those mappings by framework and item, and says for each
item how the answers to its mapped questions stand.

The rule is `RULE` below: the coverage pages and the report appendix print it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from assessment.applicability import question_applies
from assessment.catalogue import Catalogue, Principle, Question
from assessment.results import QuestionResult, ScoredAssessment

RULE = """\
1. A framework's items are the references the catalogue maps questions to.
   A reference naming several items separated by semicolons maps its question
   to each of them. Only mapped items are listed: the framework may ask for
   more than this questionnaire covers.
2. A mapped question counts towards its item when it applies to this service
   and is scored. A question out of scope by the service profile, answered
   "Not applicable", or not scored (a number or text question) is listed with
   the item but left out of its status.
3. A counted question is met when its score is at or above the catalogue's
   gap threshold, the bar below which the action plan lists a gap. An
   alternative measure is met only when the comment gives its rationale;
   without one it scores 0. A counted question not yet answered is open:
   neither met nor below.
4. Met: every counted question is answered and met. Partly met: at least one
   counted question is met, and at least one is below the threshold or open.
   Gap: at least one counted question is answered and none is met. Not
   assessed: no counted question is answered, either because none applies to
   this service or because none has been answered yet.
5. Every counted question weighs the same, whatever its weight or principle:
   an item mapped to questions of several principles is met only when all of
   them are, and a strong answer on one never makes up for a shortfall on
   another. The status says whether what the item asks for is in place, not
   how mature it is: each question's score is shown beside it.
"""

# The catalogue's own words (principles.yaml, at the top): mappings are
# cross-references this tool's authors drew, not a regulator's.
MAPPINGS_NOTE = "Mappings are editorial cross-references, not official equivalences."
DISCLAIMER = (
    f"{MAPPINGS_NOTE} A status says how the answers to the mapped questions stand; "
    "it is not a finding that the service complies with the framework."
)

NOT_ASKED_NOTE = "Not asked in this assessment: it was answered against another catalogue version."


def rule_items(rule: str = RULE) -> list[str]:
    """Split the numbered rule into one plain string per step, for pages and documents."""
    steps = re.split(r"(?m)^\s*\d+\.\s+", rule)
    return [" ".join(step.split()) for step in steps if step.strip()]


class ItemStatus(enum.StrEnum):
    """Where a framework item stands (rule step 4)."""

    MET = "met"
    PARTLY = "partly"
    GAP = "gap"
    NOT_ASSESSED = "not_assessed"

    @property
    def label(self) -> str:
        return _ITEM_LABELS[self]

    @property
    def colour(self) -> str:
        return _ITEM_COLOURS[self]


_ITEM_LABELS = {
    ItemStatus.MET: "Met",
    ItemStatus.PARTLY: "Partly met",
    ItemStatus.GAP: "Gap",
    ItemStatus.NOT_ASSESSED: "Not assessed",
}
_ITEM_COLOURS = {
    ItemStatus.MET: "green",
    ItemStatus.PARTLY: "amber",
    ItemStatus.GAP: "red",
    ItemStatus.NOT_ASSESSED: "na",
}


class Standing(enum.StrEnum):
    """How one mapped question counts towards its item (rule steps 2 and 3)."""

    MET = "met"
    BELOW = "below"
    OPEN = "open"
    NOT_APPLICABLE = "not_applicable"
    OUT_OF_SCOPE = "out_of_scope"
    UNSCORED = "unscored"

    @property
    def label(self) -> str:
        return _STANDING_LABELS[self]

    @property
    def counted(self) -> bool:
        return self in (Standing.MET, Standing.BELOW, Standing.OPEN)


_STANDING_LABELS = {
    Standing.MET: "Met",
    Standing.BELOW: "Below the threshold",
    Standing.OPEN: "Open: not answered",
    Standing.NOT_APPLICABLE: "Left out: answered not applicable",
    Standing.OUT_OF_SCOPE: "Left out: out of scope for this service",
    Standing.UNSCORED: "Left out: not scored",
}


@dataclass(frozen=True)
class FrameworkItem:
    """One item of a framework and the questions the catalogue maps to it."""

    ref: str
    anchor: str  # unique within the framework, safe in a URL fragment
    mappings: tuple[tuple[str, str], ...]  # (question id, the mapping's note)


@dataclass(frozen=True)
class Framework:
    """A framework the catalogue maps questions to, with its mapped items."""

    id: str  # the name made safe for a URL, unique within the catalogue
    name: str
    items: tuple[FrameworkItem, ...]


@dataclass(frozen=True)
class MappedQuestion:
    """One mapped question of an item: its answer, its score and how it counts."""

    question_id: str
    principle_id: str
    text: str
    answer: str
    comment: str
    score: float | None  # 0-100; None when not answered, not applicable or unscored
    standing: Standing
    mapping_note: str = ""
    note: str = ""  # why it is left out, or what scoring said about the answer
    alternative: bool = False  # met through an alternative measure with its rationale

    @property
    def counted(self) -> bool:
        return self.standing.counted


@dataclass(frozen=True)
class ItemCoverage:
    """One framework item: its mapped questions and the status the rule gives it."""

    ref: str
    anchor: str
    status: ItemStatus
    questions: tuple[MappedQuestion, ...]

    @property
    def principle_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(q.principle_id for q in self.questions))

    @property
    def reason(self) -> str:
        """Say in one sentence why the item has its status."""
        return item_reason(self.status, self.questions)


@dataclass(frozen=True)
class FrameworkCoverage:
    """One framework read against one assessment, item by item."""

    id: str
    name: str
    threshold: float  # 0-100: a counted question at or above it is met
    items: tuple[ItemCoverage, ...]

    def count(self, status: ItemStatus) -> int:
        """Return how many items have this status."""
        return sum(1 for item in self.items if item.status == status)

    @property
    def counts(self) -> dict[ItemStatus, int]:
        return {status: self.count(status) for status in ItemStatus}


class UnknownFramework(LookupError):
    """A framework id the catalogue does not map any question to."""


def slug(text: str, fallback: str) -> str:
    """Return text as lower-case words joined by hyphens, safe in a URL (or the fallback)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or fallback


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _natural_key(ref: str) -> tuple:
    """Order references as a reader expects: s6, s8, s10, not s10, s6, s8."""
    return tuple(
        (0, int(part), "") if part.isdecimal() else (1, 0, part)
        for part in re.split(r"(\d+)", ref.casefold())
        if part
    )


def item_refs(ref: str) -> list[str]:
    """Return the items one mapping reference names (rule step 1)."""
    return [part.strip() for part in ref.split(";") if part.strip()]


def frameworks(catalogue: Catalogue) -> tuple[Framework, ...]:
    """Group the catalogue's mappings by framework and item.

    Frameworks come in the order the catalogue first maps to them; items in
    natural order of their reference; questions in catalogue order, each once.
    """
    grouped: dict[str, dict[str, dict[str, str]]] = {}
    for question in catalogue.questions.values():
        for mapping in question.mappings:
            items = grouped.setdefault(mapping.framework, {})
            for ref in item_refs(mapping.ref):
                notes = items.setdefault(ref, {})
                if question.id in notes:
                    if mapping.note and mapping.note not in notes[question.id]:
                        notes[question.id] = f"{notes[question.id]} {mapping.note}".strip()
                else:
                    notes[question.id] = mapping.note
    taken: set[str] = set()
    result = []
    for name, items in grouped.items():
        anchors: set[str] = set()
        result.append(
            Framework(
                id=_unique(slug(name, "framework"), taken),
                name=name,
                items=tuple(
                    FrameworkItem(ref, _unique(slug(ref, "item"), anchors), tuple(notes.items()))
                    for ref, notes in sorted(items.items(), key=lambda kv: _natural_key(kv[0]))
                ),
            )
        )
    return tuple(result)


def find_framework(catalogue: Catalogue, framework_id: str) -> Framework:
    """Return the framework with this id, or raise UnknownFramework."""
    for framework in frameworks(catalogue):
        if framework.id == framework_id:
            return framework
    raise UnknownFramework(framework_id)


def _standing(
    question: Question,
    principle: Principle,
    result: QuestionResult,
    scored: ScoredAssessment,
    catalogue: Catalogue,
) -> tuple[Standing, str, bool]:
    """Return (standing, note, met through an alternative measure) for one mapped question."""
    if not result.applicable:
        if question_applies(principle, question, scored.info.profile):
            return Standing.NOT_APPLICABLE, "Answered as not applicable.", False
        return Standing.OUT_OF_SCOPE, result.scope_reason or "", False
    if not result.scored:
        return Standing.UNSCORED, "A number or text question: recorded, not scored.", False
    if not result.answered:
        return Standing.OPEN, "", False
    if result.is_gap:
        return Standing.BELOW, result.note, False
    option = (
        catalogue.option_for(question, str(result.value))
        if question.type in ("scale", "choice")
        else None
    )
    return Standing.MET, "", bool(option and option.requires_rationale)


def _mapped_question(
    catalogue: Catalogue,
    scored: ScoredAssessment,
    result: QuestionResult | None,
    principle: Principle,
    question: Question,
    mapping_note: str,
) -> MappedQuestion:
    question_id = question.id
    if result is None:
        return MappedQuestion(
            question_id=question_id,
            principle_id=principle.id,
            text=question.text,
            answer="Not asked",
            comment="",
            score=None,
            standing=Standing.OPEN,
            mapping_note=mapping_note,
            note=NOT_ASKED_NOTE,
        )
    standing, note, alternative = _standing(question, principle, result, scored, catalogue)
    return MappedQuestion(
        question_id=question_id,
        principle_id=result.principle_id,
        text=result.text,
        answer=result.answer_label,
        comment=result.comment,
        score=result.score if result.answered else None,
        standing=standing,
        mapping_note=mapping_note,
        note=note,
        alternative=alternative,
    )


def item_status(questions: tuple[MappedQuestion, ...] | list[MappedQuestion]) -> ItemStatus:
    """Apply rule step 4 to an item's mapped questions."""
    counted = [q.standing for q in questions if q.counted]
    met = counted.count(Standing.MET)
    answered = met + counted.count(Standing.BELOW)
    if answered == 0:
        return ItemStatus.NOT_ASSESSED
    if met == len(counted):
        return ItemStatus.MET
    if met > 0:
        return ItemStatus.PARTLY
    return ItemStatus.GAP


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


_LEFT_OUT_WORDS = {
    Standing.OUT_OF_SCOPE: "out of scope for this service",
    Standing.NOT_APPLICABLE: "answered not applicable",
    Standing.UNSCORED: "not scored",
}


def _left_out(questions: tuple[MappedQuestion, ...]) -> str:
    """Say how many questions are left out, and why: "2 out of scope for this service"."""
    return ", ".join(
        f"{n} {words}"
        for standing, words in _LEFT_OUT_WORDS.items()
        if (n := sum(1 for q in questions if q.standing == standing))
    )


def item_reason(status: ItemStatus, questions: tuple[MappedQuestion, ...]) -> str:
    """Say in one sentence why an item has its status, with the counts behind it."""
    counted = [q for q in questions if q.counted]
    left_out = _left_out(questions)
    if not counted:
        return f"No mapped question counts: {left_out}."
    met = sum(1 for q in counted if q.standing == Standing.MET)
    below = sum(1 for q in counted if q.standing == Standing.BELOW)
    open_ = sum(1 for q in counted if q.standing == Standing.OPEN)
    if status == ItemStatus.NOT_ASSESSED:
        text = (
            "1 counted question, not answered yet"
            if open_ == 1
            else f"{open_} counted questions, none answered yet"
        )
    else:
        parts = [f"{met} of {_plural(len(counted), 'counted question')} met"]
        if below:
            parts.append(f"{below} below the threshold")
        if open_:
            parts.append(f"{open_} not answered")
        text = ", ".join(parts)
    if left_out:
        text += f"; left out: {left_out}"
    alternatives = sum(1 for q in counted if q.alternative)
    if alternatives:
        text += f"; {alternatives} met through an alternative measure (read its rationale)"
    return text + "."


def cover(
    framework: Framework, scored: ScoredAssessment, catalogue: Catalogue
) -> FrameworkCoverage:
    """Read one framework against a scored assessment, item by item."""
    results = {q.id: q for q in scored.questions}
    principle_of = {q.id: p for p in catalogue.principles.values() for q in p.questions}
    items = []
    for item in framework.items:
        questions = tuple(
            _mapped_question(
                catalogue,
                scored,
                results.get(question_id),
                principle_of[question_id],
                catalogue.questions[question_id],
                note,
            )
            for question_id, note in item.mappings
        )
        items.append(ItemCoverage(item.ref, item.anchor, item_status(questions), questions))
    return FrameworkCoverage(
        id=framework.id,
        name=framework.name,
        threshold=catalogue.scoring.gap_threshold * 100,
        items=tuple(items),
    )


def framework_coverage(
    scored: ScoredAssessment, catalogue: Catalogue, framework_id: str
) -> FrameworkCoverage:
    """Read the framework with this id against a scored assessment (UnknownFramework if none)."""
    return cover(find_framework(catalogue, framework_id), scored, catalogue)


def all_coverage(scored: ScoredAssessment, catalogue: Catalogue) -> tuple[FrameworkCoverage, ...]:
    """Read every framework the catalogue maps to against a scored assessment."""
    return tuple(cover(f, scored, catalogue) for f in frameworks(catalogue))
