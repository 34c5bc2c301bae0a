"""The JSON export as one pydantic model: the export, its schema file, the importer and the API.

`ExportDocument` nests the result models of `assessment.results` themselves,
so the shape is written once. `reports/assessment.schema.json` is generated
from it (`python -m assessment.export_document --write`; a test fails when
the file is stale) and the importer validates files with `ImportableDocument`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from assessment.method import numbered
from assessment.results import (
    AuditEntry,
    Colour,
    CommentEntry,
    DisplayScore,
    Fraction,
    Gap,
    ProfileAnswer,
    Result,
    Score,
    ScoredAssessment,
    Sha256OrEmpty,
    ThemeResult,
    Timestamp,
    Trend,
)

SCHEMA_VERSION = "1.2"
# Versions the importer reads: 1.1 files lack the questions' help and evidence prompt.
IMPORTABLE_VERSIONS = ("1.1", "1.2")
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "reports" / "assessment.schema.json"
SCHEMA_ID = f"https://vp-assessment.example/schemas/assessment-{SCHEMA_VERSION}.json"


class Part(Result):
    """A part of the export that is not a result of its own (the assessment, the catalogue)."""


class ExportedAssessment(Part):
    id: int | None
    organisation: str
    service: str
    status: str
    created_at: Timestamp | None
    updated_at: Timestamp | None
    fingerprint: Annotated[
        Sha256OrEmpty,
        Field(description="sha256 of the canonical answers and profile plus the catalogue's."),
    ]
    approved_at: Timestamp | None
    approved_by: str
    # 1.2: absent from 1.1 files, so the importer reads them as empty.
    approved_by_role: str = ""
    attestation: Annotated[str, Field(description="The statement the approver confirmed.")] = ""
    period: Annotated[str, Field(description='The period assessed, e.g. "FY2026 H1".')] = ""
    previous_assessment_id: int | None
    public_narrative: str


class ExportedCatalogue(Part):
    id: str
    title: str
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    source_title: str
    source_date: str


class ExportedResult(Part):
    score: Score | None
    display_score: DisplayScore | None
    band: str
    band_colour: Colour | None
    completion: Fraction


class ExportDocument(Part):
    """Scored Voluntary Principles self-assessment: scores are 0-100, completion 0-1."""

    schema_version: Literal["1.2"]
    assessment: ExportedAssessment
    catalogue: ExportedCatalogue
    profile: tuple[ProfileAnswer, ...]
    result: ExportedResult
    themes: tuple[ThemeResult, ...]
    gaps: tuple[Gap, ...]
    trend: Trend | None
    audit: tuple[AuditEntry, ...]
    comments: Annotated[
        tuple[CommentEntry, ...], Field(description="Question comment threads, oldest first.")
    ] = ()
    method: str


class ImportableDocument(ExportDocument):
    """An export as the importer reads it: this version or an earlier one it still reads."""

    schema_version: Literal["1.1", "1.2"]


def export_document(scored: ScoredAssessment) -> ExportDocument:
    """Return the export of a scored assessment (built, not validated: scoring made the parts)."""
    info = scored.info
    return ExportDocument.trusted(
        schema_version=SCHEMA_VERSION,
        assessment=ExportedAssessment.trusted(
            id=info.assessment_id,
            organisation=info.organisation,
            service=info.service,
            status=info.status,
            created_at=info.created_at,
            updated_at=info.updated_at,
            fingerprint=scored.fingerprint,
            approved_at=info.approved_at,
            approved_by=info.approved_by,
            approved_by_role=info.approved_by_role,
            attestation=info.attestation,
            period=info.period,
            previous_assessment_id=info.previous_assessment_id,
            public_narrative=info.public_narrative,
        ),
        catalogue=ExportedCatalogue.trusted(
            id=scored.catalogue_id,
            title=scored.catalogue_title,
            version=scored.catalogue_version,
            fingerprint=scored.catalogue_fingerprint,
            source_title=scored.source_title,
            source_date=scored.source_date,
        ),
        profile=scored.profile,
        result=ExportedResult.trusted(
            score=scored.score,
            display_score=scored.display_score,
            band=scored.band,
            band_colour=scored.band_colour,
            completion=scored.completion,
        ),
        themes=scored.themes,
        gaps=scored.gaps,
        trend=scored.trend,
        audit=info.audit,
        comments=info.comments,
        method=numbered(scored.method),
    )


def json_schema() -> dict:
    """Return the export's JSON Schema (draft 2020-12), generated from `ExportDocument`."""
    schema = ExportDocument.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "Scored Voluntary Principles self-assessment",
    }


def schema_text() -> str:
    """Return the schema file's text exactly as `--write` writes it."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the export's schema, write it to its file, or check that the file is current."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help=f"write {SCHEMA_PATH.name}")
    action.add_argument("--check", action="store_true", help="exit 1 when the file is stale")
    args = parser.parse_args(argv)
    text = schema_text()
    if args.write:
        SCHEMA_PATH.write_text(text, encoding="utf-8")
    elif args.check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH} is stale: run python -m assessment.export_document --write")
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
