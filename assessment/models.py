"""The database model: organisations, their people, assessments, answers and audit.

Every row that holds an organisation's data is reachable from its
`Organisation`, and views query through `organisation_id`, so scoping by
organisation is a single filter that cannot be forgotten in a join.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from assessment.extensions import db
from assessment.formatting import status_label


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Role(enum.StrEnum):
    """A member's role in an organisation, from the least it may do to the most."""

    RESPONDENT = "respondent"
    REVIEWER = "reviewer"
    VIEWER = "viewer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return self.capitalize()

    @property
    def duties(self) -> str:
        """Say what the role may do, as the role choices describe it."""
        return ROLE_DUTIES[self]

    @property
    def title(self) -> str:
        """Name the role as a formal sign-off does ("Administrator")."""
        return "Administrator" if self == Role.ADMIN else self.label


ROLE_DUTIES = {
    Role.RESPONDENT: "answers questions",
    Role.REVIEWER: "reviews, requests changes, approves",
    Role.VIEWER: "reads and downloads reports",
    Role.ADMIN: "everything, including members",
}


PERIOD_MAX = 40


class Status(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return status_label(self)


# Answers, comments, evidence, profile and narrative change only in these; in review
# the content is what the reviewer is reading, and only "request changes" reopens it.
CONTENT_EDITABLE = frozenset({Status.DRAFT, Status.CHANGES_REQUESTED})
# Owners and due dates are planning, not content under review: they may change in review.
PLANNING_EDITABLE = CONTENT_EDITABLE | {Status.IN_REVIEW}


class Timestamp(sa.TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use assessment.models.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Organisation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    # Bumped on logout: a session cookie carries the version it was issued with,
    # so a copy of a cookie from before the logout stops working.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        """Store a memory-hard (scrypt) hash of the password.

        `PASSWORD_HASH_METHOD` lets the test suite use cheaper scrypt parameters.
        """
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Return whether the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class Membership(db.Model):
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.RESPONDENT)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class Assessment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    service_name: Mapped[str] = mapped_column(sa.String(200))
    # The cycle this assessment covers, e.g. "FY2026 H1": two cycles of one service differ by it.
    period: Mapped[str] = mapped_column(sa.String(PERIOD_MAX), default="", server_default="")
    profile: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default=Status.DRAFT)
    catalogue_version: Mapped[str] = mapped_column(sa.String(20))
    catalogue_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
    previous_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="SET NULL")
    )
    review_comment: Mapped[str] = mapped_column(sa.Text, default="")
    public_narrative: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Stored with the approval: the statement the approver confirmed, and their role then.
    attestation: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    approved_by_role: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    # Bumped, with updated_at, by every change to the content or the status, always
    # through a conditional UPDATE in `assessment.editing` (never by the ORM's flush).
    version_id: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship(back_populates="assessments")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    previous: Mapped[Assessment | None] = relationship(remote_side=[id])
    answers: Mapped[list[Answer]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan", order_by="Evidence.id"
    )

    @property
    def locked(self) -> bool:
        return self.status == Status.APPROVED

    @property
    def in_review(self) -> bool:
        return self.status == Status.IN_REVIEW

    @property
    def content_editable(self) -> bool:
        """Whether answers, profile, evidence and narrative may change in this status."""
        return self.status in CONTENT_EDITABLE

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    def answers_by_question(self) -> dict[str, Answer]:
        """Return this assessment's answers keyed by stable question id."""
        return {a.question_id: a for a in self.answers}


class Answer(db.Model):
    __table_args__ = (sa.UniqueConstraint("assessment_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # Copied from the previous cycle and not yet confirmed: it does not count as complete.
    carried_forward: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
    updated_by: Mapped[User | None] = relationship()


class AuditEvent(db.Model):
    """One change, append-only: who did what, when, from which value to which."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(40))
    target: Mapped[str] = mapped_column(sa.String(100), default="")
    old: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    new: Mapped[Any] = mapped_column(sa.JSON, nullable=True)

    user: Mapped[User | None] = relationship()


@sa.event.listens_for(Answer.__table__, "after_create")
def _install_stale_refusal(_table, connection, **_kw) -> None:
    """Create the function a page save's statement calls when it is stale, as the migration does."""
    from assessment.answer_writes import create_stale_refusal

    create_stale_refusal(connection)


@sa.event.listens_for(AuditEvent.__table__, "after_create")
def _install_append_only_trigger(_table, connection, **_kw) -> None:
    """Make the audit table refuse UPDATE and DELETE in PostgreSQL itself, as the migration does."""
    from assessment.audit_trigger import create_append_only_trigger

    create_append_only_trigger(connection)


class Assignment(db.Model):
    """Who owns one principle of an assessment, and by when it is due."""

    __table_args__ = (sa.UniqueConstraint("assessment_id", "principle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    principle_id: Mapped[str] = mapped_column(sa.String(64))
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    due_date: Mapped[date | None] = mapped_column(sa.Date)

    assessment: Mapped[Assessment] = relationship(back_populates="assignments")
    owner: Mapped[User | None] = relationship()


class Invitation(db.Model):
    """A single-use, expiring link to join an organisation; only its hash is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    used_at: Mapped[datetime | None] = mapped_column(Timestamp)
    used_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])


class Evidence(db.Model):
    """A link or an uploaded document backing one answer; file bytes live outside the web root."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(10))  # "link" or "file"
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    url: Mapped[str] = mapped_column(sa.String(2000), default="")
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    media_type: Mapped[str] = mapped_column(sa.String(100), default="")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    storage_key: Mapped[str] = mapped_column(sa.String(100), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User | None] = relationship()


class EvidenceBlob(db.Model):
    """The bytes of an uploaded document, when evidence is stored in the database.

    With `EVIDENCE_STORAGE = "database"` several app hosts share nothing but the
    database: any of them can serve any download. Deleting the evidence row
    deletes its bytes (ON DELETE CASCADE), in the same transaction.
    """

    evidence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)

    evidence: Mapped[Evidence] = relationship()


class IssuedReport(db.Model):
    """The PDF of an approved assessment, rendered once and served byte for byte after."""

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), unique=True
    )
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class CatalogueVersion(db.Model):
    """One catalogue version an assessment may use: its canonical text, kept for good.

    Registered (insert or ignore, unique on the fingerprint) when the app
    starts on a new `principles.yaml` and when an assessment is opened on it,
    so an assessment is always read with the catalogue it was answered against.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    version: Mapped[str] = mapped_column(sa.String(20), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    canonical: Mapped[str] = mapped_column(sa.Text)
    registered_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class LoginFailure(db.Model):
    """Recent failed logins per key (an email or an address), for throttling."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(300), index=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, index=True)


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RENDERING = "rendering"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return status_label(self)


class Job(db.Model):
    """Long work (issuing a PDF, rendering a draft's PDF, sending e-mail) done outside web requests.

    Pages show its state. `organisation_id` is empty for work that belongs to
    no organisation (the e-mail of a password reset, a person's daily digest
    across organisations). A render of a document names the format and the
    fingerprint it is for; the unique constraint makes the database refuse a
    second job for the same render, so a page that reloads never queues twice.
    """

    __table_args__ = (sa.UniqueConstraint("assessment_id", "kind", "document", "fingerprint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(20), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # For a render job: the document ("pdf", "public.pdf", "board.pdf") and the
    # render fingerprint it is for (NULL for other kinds, which never clash).
    document: Mapped[str | None] = mapped_column(sa.String(20))
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))

    @property
    def state_label(self) -> str:
        return JobState(self.state).label


class RenderedDocument(db.Model):
    """A rendered PDF of an assessment, served again while the assessment's fingerprint holds.

    One row per assessment and kind ("pdf", "public.pdf"); a render of changed
    content replaces it. Stored in the database so every app host shares it.
    """

    __table_args__ = (sa.UniqueConstraint("assessment_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MailState(enum.StrEnum):
    QUEUED = "queued"  # waiting for its job
    SENDING = "sending"  # handed to the SMTP server now; never sent again automatically
    SENT = "sent"
    LOGGED = "logged"  # no mail server configured: written to the log instead
    FAILED = "failed"  # the server refused or could not be reached; retried later


class MailMessage(db.Model):
    """One e-mail in the outbox: written with the change it reports, sent after the commit.

    The row is the record of what was sent to whom. The body of a message that
    carries a secret link (an invitation, a password reset) is blanked once it
    has been sent or logged.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # What the notice is about, e.g. "assessment:12" or "invitation:3".
    ref: Mapped[str] = mapped_column(sa.String(100), default="", index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=MailState.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    job_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("job.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)


class NoticeOptOut(db.Model):
    """A kind of e-mail notice a person turned off ("all" turns every optional kind off)."""

    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ReminderSent(db.Model):
    """One item of a daily digest, recorded with the digest's e-mail before it is sent.

    Unique per person, item (which names its due date) and day: a second run
    of `flask send-reminders` on the same day finds the row and sends nothing.
    """

    __table_args__ = (sa.UniqueConstraint("user_id", "item", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(sa.String(120))
    day: Mapped[date] = mapped_column(sa.Date)
    mail_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mail_message.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class QuestionComment(db.Model):
    """One message in a short thread about one question: a reviewer asks, a respondent answers.

    A thread is its first message (`thread_id` empty) and the replies that
    name it; the first message carries whether the thread is resolved.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(sa.String(64))
    thread_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_comment.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    replies: Mapped[list[QuestionComment]] = relationship(
        order_by="QuestionComment.id", cascade="all, delete-orphan"
    )

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


class TokenScope(enum.StrEnum):
    READ = "read"  # read assessments, answers and the catalogue
    WRITE = "write"  # also write answers and submit for review, where the role allows


class ApiToken(db.Model):
    """A personal access token for the JSON API: one person, one organisation, until it expires.

    Only the sha256 of the secret is stored (the secret is shown once, when it
    is made). What it may do is its scope intersected with the person's role in
    the organisation at the time of each request, so it never exceeds the role.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters of the secret, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    scope: Mapped[str] = mapped_column(sa.String(10), default=TokenScope.READ)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()
