"""A page save's read: the assessment and the page's answers, sent with the user's own read.

A page save first reads the signed-in user with their memberships (the user
loader, for the permission checks), then the assessment with the stored
answers to the page's questions. Both follow from the request alone (the
session's user, the URL's assessment and principle), so on a page save the
user loader reads them in one statement: one round trip and one query fewer
for the most frequent write of the tool.

Scoping is the same as the save's own read. The assessment is joined to each
of the user's memberships (so another organisation's assessment never comes
back), and `assessment_to_save_or_404` keeps only the rows of the current
organisation: the very rows `assessment.id = :id AND organisation_id = :current`
returns. Anything else (another request, an assessment on an older
catalogue version whose page asks for other questions) reads on its own.

On PostgreSQL a page save also runs without BEGIN and COMMIT around it
(`in_autocommit`): its read is one statement, and READ COMMITTED
gives every statement its own snapshot anyway; its write is one statement
too, atomic by itself, and it refuses itself, writing nothing, when an answer
changed since the read (`answer_writes`). The transaction held nothing
together and cost two round trips of the four. Whatever the request does
after the save's commit runs in ordinary transactions again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import g, request
from sqlalchemy.orm import load_only

from assessment import answer_writes
from assessment.access import current_organisation_id, not_found
from assessment.catalogue import Catalogue
from assessment.extensions import current_catalogue, db
from assessment.models import Answer, Assessment, Membership, User

# The view whose POST is a page save (`views.assessments.principle`).
PAGE_SAVE_ENDPOINT = "assessments.principle"

# The assessment's columns a save reads: scoping, status, catalogue version and profile (which
# questions, which form), and the version it bumps.
SAVE_READS = (
    "id",
    "organisation_id",
    "status",
    "profile",
    "catalogue_version",
    "catalogue_fingerprint",
    "version_id",
    "updated_at",
)


class StoredAnswer(NamedTuple):
    """A stored answer as a page save reads it: what it compares, writes and audits."""

    id: int
    question_id: str
    value: Any
    comment: str
    version: int


class PageToSave(NamedTuple):
    """What a page save reads: this assessment, with the answers to these questions."""

    assessment_id: int
    question_ids: tuple[str, ...]


def assessment_to_save_or_404(
    assessment_id: int, question_ids: Iterable[str]
) -> tuple[Assessment, dict[str, StoredAnswer]]:
    """Return one of the organisation's assessments and its answers to these questions, or 404.

    One statement, as `get_assessment_or_404(..., with_answers=...)`, but the
    answers come back as plain rows: a save compares and writes four fields
    of each, and building each answer as an object (and expiring it at the
    commit) cost more than reading it. Show the page again with
    `assessment.answers`, which then loads them as objects. When the user
    loader already read them (`keep_read_with_user`), they are not read again.
    """
    wanted = PageToSave(assessment_id, tuple(question_ids))
    organisation_id = current_organisation_id()
    rows = _read_with_user(wanted, organisation_id)
    if rows is None:
        parameters = {"assessment_id": assessment_id, "organisation_id": organisation_id}
        rows = db.session.execute(_statement(wanted.question_ids), parameters).all()
    if not rows:
        not_found(Assessment, assessment_id)
    stored = {row[2]: StoredAnswer(*row[1:]) for row in rows if row[1] is not None}
    return rows[0][0], stored


def page_to_save() -> PageToSave | None:
    """Return what this request will read as a page save, or None when it is none.

    The running catalogue's questions of the URL's principle: what the view
    asks for unless the assessment is on an older catalogue version.
    """
    if request.method != "POST" or request.endpoint != PAGE_SAVE_ENDPOINT:
        return None
    arguments = request.view_args
    question_ids = page_question_ids(current_catalogue(), arguments["principle_id"])
    return PageToSave(arguments["assessment_id"], question_ids)


def page_question_ids(catalogue: Catalogue, principle_id: str) -> tuple[str, ...]:
    """Return the ids of a principle's questions: none for an unknown one (the view answers 404)."""
    principle = catalogue.principles.get(principle_id)
    return tuple(q.id for q in principle.questions) if principle is not None else ()


def in_autocommit() -> None:
    """Send the page save's statements in autocommit where its write is one statement (PostgreSQL).

    See the module docstring. Called before the request's first statement;
    a request that already holds a transaction keeps it (the save is as
    safe inside one).
    """
    session = db.session()
    if session.in_transaction() or not answer_writes.in_one_statement():
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def user_statement(page: PageToSave) -> sa.Select:
    """Return the user loader's statement for a page save: user, memberships and the page."""
    return _statement_with_user(page.question_ids)


def keep_read_with_user(page: PageToSave, rows: Sequence[sa.Row]) -> None:
    """Keep the page's part of the user loader's rows for `assessment_to_save_or_404`."""
    g._page_read_with_user = (page, [row[2:] for row in rows])


def _read_with_user(wanted: PageToSave, organisation_id: int) -> list[sa.Row] | None:
    """Return the rows the user loader read for this page in this organisation, once, or None."""
    kept = g.pop("_page_read_with_user", None)
    if kept is None or kept[0] != wanted:
        return None
    return [
        row for row in kept[1] if row[0] is not None and row[0].organisation_id == organisation_id
    ]


def _answer_columns() -> tuple[sa.ColumnElement, ...]:
    answer = Answer.__table__
    return (answer.c.id, answer.c.question_id, answer.c.value, answer.c.comment, answer.c.version)


def _wanted_answers(question_ids: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """Join the answers to these questions (equalities, not IN: an IN list is expanded again at
    every execution)."""
    answer = Answer.__table__
    return sa.and_(
        answer.c.assessment_id == Assessment.id,
        sa.or_(sa.false(), *(answer.c.question_id == question_id for question_id in question_ids)),
    )


def _only_what_a_save_reads():
    # The row repeats for each answer, and every column of every row is converted.
    return load_only(*(getattr(Assessment, name) for name in SAVE_READS))


@functools.lru_cache(maxsize=256)
def _statement(question_ids: tuple[str, ...]) -> sa.Select:
    """Build the read of a save once per set of questions."""
    return (
        sa.select(Assessment, *_answer_columns())
        .options(_only_what_a_save_reads())
        .outerjoin(Answer.__table__, _wanted_answers(question_ids))
        .where(
            Assessment.id == sa.bindparam("assessment_id"),
            Assessment.organisation_id == sa.bindparam("organisation_id"),
        )
    )


@functools.lru_cache(maxsize=256)
def _statement_with_user(question_ids: tuple[str, ...]) -> sa.Select:
    """Build the user loader's read for a page save once per set of questions.

    A row per membership and answer: the user, the membership, and the
    assessment (only where it belongs to that membership's organisation)
    with one of its answers.
    """
    return (
        sa.select(User, Membership, Assessment, *_answer_columns())
        .options(_only_what_a_save_reads())
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(
            Assessment,
            sa.and_(
                Assessment.id == sa.bindparam("assessment_id"),
                Assessment.organisation_id == Membership.organisation_id,
            ),
        )
        .outerjoin(Answer.__table__, _wanted_answers(question_ids))
        .where(User.id == sa.bindparam("user_id"))
    )
