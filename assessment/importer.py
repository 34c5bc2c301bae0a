"""Read a JSON export back into what a new draft needs: service, profile and answers.

Pure: no Flask, no database. The file is checked with the export's own model
(`assessment.export_document.ImportableDocument`, the schema file's source;
exports of schema 1.1 still read) and then against the current catalogue. Problems that would store
wrong data (not JSON, another schema version, an answer that is not an
option of its question) refuse the whole file with every problem named by
its place in the file; things that can be left behind safely (a question id
this catalogue no longer has, evidence, which an export lists but does not
carry) are skipped and reported as warnings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from assessment.catalogue import COMMENT_MAX, Catalogue, ProfileQuestion, Question
from assessment.export_document import IMPORTABLE_VERSIONS, ImportableDocument
from assessment.formatting import json_path

MAX_BYTES = 2 * 1024 * 1024  # the app's MAX_CONTENT_LENGTH; an export of 11 principles is ~200 KB
SERVICE_MAX = 200  # Assessment.service_name
MAX_PROBLEMS = 20  # enough to act on; a wholly wrong file would otherwise list thousands
MAX_DEPTH = 32  # an export nests 6 deep; deeper is not an export, and deep enough breaks parsers
MAX_NUMBER_DIGITS = 15  # answers are counts and amounts; longer numbers are not an export's


class ImportRefused(ValueError):
    """A file that cannot become an assessment; nothing was stored."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ImportedAnswer:
    value: Any
    comment: str


@dataclass(frozen=True)
class ImportedAssessment:
    """What a JSON export says, checked against the current catalogue."""

    service: str
    profile: dict[str, Any]
    answers: dict[str, ImportedAnswer]
    source_catalogue_version: str
    source_catalogue_fingerprint: str
    warnings: tuple[str, ...] = field(default=())


def _load(data: bytes) -> dict[str, Any]:
    """Parse the file as JSON, refusing what no export holds (size, encoding, depth, NUL)."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            [f"the file is {len(data):,} bytes; an export may be at most {MAX_BYTES:,} bytes"]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused([f"the file is not UTF-8 text (byte {exc.start})"]) from None
    document = _parse_json(text)
    if _depth(document) > MAX_DEPTH:
        raise ImportRefused([f"the file nests deeper than an export does ({MAX_DEPTH} levels)"])
    if not isinstance(document, dict):
        raise ImportRefused(["the file is JSON but not an assessment export (expected an object)"])
    if _holds_nul(document):
        raise ImportRefused(["the file holds a NUL character (\\u0000), which no text may hold"])
    return document


def _parse_json(text: str) -> Any:
    """Parse JSON text with bounded numbers; a parse failure says where."""
    try:
        return json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_refuse_constant,
        )
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            [f"the file is not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"]
        ) from None
    except _UnfitNumber as exc:
        raise ImportRefused([str(exc)]) from None
    except RecursionError:
        raise ImportRefused(
            [f"the file nests deeper than an export does ({MAX_DEPTH} levels)"]
        ) from None


class _UnfitNumber(ValueError):
    """A number in the file that no export holds: too long, infinite or not a number."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _UnfitNumber(f"the number {text[:20]}... is longer than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _bounded_float(text: str) -> float:
    value = float(text) if len(text) <= 40 else math.inf
    if not math.isfinite(value) or abs(value) >= 10**MAX_NUMBER_DIGITS:
        raise _UnfitNumber(f"the number {text[:20]} is too large for an answer")
    return value


def _refuse_constant(name: str) -> None:
    raise _UnfitNumber(f"{name} is not a number JSON allows")


def _holds_nul(document: Any) -> bool:
    """Return whether any key or string holds U+0000 (no database text column stores it)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _depth(document: Any) -> int:
    """Return how deeply lists and objects nest, without recursion."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return deepest


# What a wrong type is called in a problem: the names JSON Schema uses.
JSON_TYPES = {
    "string_type": "string",
    "int_type": "integer",
    "float_type": "number",
    "bool_type": "boolean",
    "list_type": "array",
    "tuple_type": "array",
    "dict_type": "object",
    "model_type": "object",
    "dataclass_type": "object",
}


def _derived_removed(document: dict[str, Any]) -> dict[str, Any]:
    """Return the document without the figures an export derives (recomputed, never read)."""
    document = dict(document)
    themes = document.get("themes")
    if isinstance(themes, list):
        document["themes"] = [_without(t, "display_score", "principles") for t in themes]
    trend = document.get("trend")
    if isinstance(trend, dict) and isinstance(trend.get("rows"), list):
        document["trend"] = {**trend, "rows": [_without(r, "change") for r in trend["rows"]]}
    return document


def _without(item: Any, key: str, children: str = "") -> Any:
    if not isinstance(item, dict):
        return item
    item = {k: v for k, v in item.items() if k != key}
    if children and isinstance(item.get(children), list):
        item[children] = [_without(child, key) for child in item[children]]
    return item


def _problem(error: dict[str, Any]) -> str:
    """Say what is wrong at one place of the file, the way every import problem reads."""
    where = json_path(error["loc"])
    kind = error["type"]
    if kind in JSON_TYPES:
        return f"{where}: {_short(error['input'])} is not of type '{JSON_TYPES[kind]}'"
    if kind == "extra_forbidden":
        return f"{where}: not a field of an export"
    if kind == "missing":
        return f"{where}: required, missing"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_schema(document: dict[str, Any]) -> None:
    """Check the file with the export's model; refuse it naming each problem by its place."""
    found = document.get("schema_version")
    if found not in IMPORTABLE_VERSIONS:
        readable = " or ".join(repr(v) for v in IMPORTABLE_VERSIONS)
        raise ImportRefused(
            [
                f"schema_version: {found!r} is not supported; this app reads exports of "
                f"schema version {readable} (export the assessment again)"
            ]
        )
    try:
        # JSON mode, strict: "3" is not a number and 1 is not text, as in the schema file.
        ImportableDocument.model_validate_json(json.dumps(_derived_removed(document)), strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = [_problem(e) for e in errors[:MAX_PROBLEMS]]
        if len(errors) > MAX_PROBLEMS:
            problems.append(f"... and {len(errors) - MAX_PROBLEMS} more problems")
        raise ImportRefused(problems) from None


def _profile_problem(question: ProfileQuestion, value: Any) -> str | None:
    if value is None:
        return None
    allowed = {o.value for o in question.options}
    if question.type == "boolean":
        return None if isinstance(value, bool) else "must be true, false or null"
    if question.type == "choice":
        if isinstance(value, str) and value in allowed:
            return None
        return f"{value!r} is not an option (choose one of {', '.join(sorted(allowed))})"
    if isinstance(value, list) and all(isinstance(v, str) and v in allowed for v in value):
        return None
    return f"{value!r} must be a list of options from {', '.join(sorted(allowed))}"


def answer_problem(catalogue: Catalogue, question: Question, value: Any) -> str | None:
    """Say what is wrong with an answer value for this question, or None when it fits."""
    if value is None:
        return None
    options = [o.value for o in catalogue.options_for(question)]
    return ANSWER_CHECKS[question.type](question, options, value)


def _option_problem(question: Question, options: list[str], value: Any) -> str | None:
    if isinstance(value, str) and value in options:
        return None
    return (
        f"{value!r} is not an answer option of {question.id} (choose one of {', '.join(options)})"
    )


def _options_problem(question: Question, options: list[str], value: Any) -> str | None:
    if isinstance(value, list) and value and all(v in options for v in value):
        return None
    return f"{value!r} must be a non-empty list of options of {question.id} ({', '.join(options)})"


def _number_problem(_question: Question, _options: list[str], value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return None
    return f"{value!r} is not a number of 0 or more"


def _text_problem(_question: Question, _options: list[str], value: Any) -> str | None:
    if isinstance(value, str) and len(value) <= COMMENT_MAX:
        return None
    return f"must be text of at most {COMMENT_MAX} characters"


# One check per question type the catalogue schema accepts.
ANSWER_CHECKS = {
    "scale": _option_problem,
    "choice": _option_problem,
    "multi": _options_problem,
    "number": _number_problem,
    "text": _text_problem,
}


def _profile(
    document: dict[str, Any], catalogue: Catalogue, problems: list[str], warnings: list[str]
) -> dict[str, Any]:
    known = catalogue.profile_questions
    profile: dict[str, Any] = {}
    for i, item in enumerate(document["profile"]):
        where = f"profile[{i}] ({item['id']})"
        question = known.get(item["id"])
        if question is None:
            warnings.append(f"{where}: not a service-profile question of this catalogue; skipped")
            continue
        problem = _profile_problem(question, item["value"])
        if problem:
            problems.append(f"{where}.value: {problem}")
        elif item["value"] is not None:
            profile[item["id"]] = item["value"]
    return profile


def _answers(
    document: dict[str, Any], catalogue: Catalogue, problems: list[str], warnings: list[str]
) -> dict[str, ImportedAnswer]:
    answers: dict[str, ImportedAnswer] = {}
    evidence = 0
    for where, item in _question_items(document):
        evidence += len(item.get("evidence", ()))
        if item["id"] in answers:
            problems.append(f"{where}: question {item['id']} appears twice")
            continue
        answer = _answer(catalogue, where, item, problems, warnings)
        if answer is not None:
            answers[item["id"]] = answer
    if evidence:
        warnings.append(
            f"{evidence} evidence item(s) are listed in the file but not imported: "
            "an export names evidence, it does not carry the files; attach them again"
        )
    return answers


def _question_items(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield each question item of an export with its place in the file."""
    for t, theme in enumerate(document["themes"]):
        for p, principle in enumerate(theme["principles"]):
            for q, item in enumerate(principle["questions"]):
                yield f"themes[{t}].principles[{p}].questions[{q}] ({item['id']})", item


def _answer(
    catalogue: Catalogue,
    where: str,
    item: dict[str, Any],
    problems: list[str],
    warnings: list[str],
) -> ImportedAnswer | None:
    """Return one question item's answer, or None when it is skipped or refused (and why)."""
    question = catalogue.questions.get(item["id"])
    if question is None:
        warnings.append(f"{where}: unknown question id; skipped")
        return None
    value, comment = item["value"], item["comment"]
    problem = answer_problem(catalogue, question, value)
    if problem:
        problems.append(f"{where}.value: {problem}")
        return None
    if len(comment) > COMMENT_MAX:
        problems.append(f"{where}.comment: longer than {COMMENT_MAX} characters")
        return None
    if value is None and not comment:
        return None
    option = catalogue.option_for(question, value) if isinstance(value, str) else None
    if option is not None and option.requires_rationale and not comment.strip():
        warnings.append(f"{where}: '{option.label}' without a rationale counts as not met")
    return ImportedAnswer(value=value, comment=comment)


def parse_export(data: bytes, catalogue: Catalogue) -> ImportedAssessment:
    """Check a JSON export against its schema and the catalogue; raise ImportRefused if unfit."""
    document = _load(data)
    _check_schema(document)
    problems: list[str] = []
    warnings: list[str] = []
    service = document["assessment"]["service"].strip()
    if not service or len(service) > SERVICE_MAX:
        problems.append(f"assessment.service: must be 1 to {SERVICE_MAX} characters")
    profile = _profile(document, catalogue, problems, warnings)
    answers = _answers(document, catalogue, problems, warnings)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        raise ImportRefused(
            problems[:MAX_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        )
    source = document["catalogue"]
    if source["fingerprint"] != catalogue.fingerprint:
        warnings.insert(
            0,
            f"exported against catalogue version {source['version']}, imported into version "
            f"{catalogue.version}: answers to questions with the same id are carried over",
        )
    return ImportedAssessment(
        service=service,
        profile=profile,
        answers=answers,
        source_catalogue_version=source["version"],
        source_catalogue_fingerprint=source["fingerprint"],
        warnings=tuple(warnings),
    )
