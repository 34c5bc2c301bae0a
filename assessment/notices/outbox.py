"""The outbox: notices written with the change they report, sent by a job after the commit.

`queue` adds a `MailMessage` row and, once per transaction, a `send_mail`
job, both in the caller's transaction: a change that rolls back sends
nothing, and a committed change always has its e-mail on record. Nothing is
sent inside a transaction. After the commit:

- in a web request, the committed jobs are dispatched once the response has
  gone to the browser (`response.call_on_close`): with `REDIS_URL` the job is
  put on the RQ queue for `flask worker`; without it the e-mail is sent in this
  process, but nobody waits for the mail server (and the time a request takes
  says nothing about whether an e-mail was sent: see the password reset);
- a command (`flask send-reminders`) dispatches them itself (`dispatch_ready`).

An e-mail that reports no change (a password reset link) is written to the
outbox only after the response (`queue_after_response`), so the request does
the same work whether or not it has one to send.

A job sends its messages one by one: each is claimed (queued -> sending) in a
short transaction of its own before it goes to the server, then marked sent
or failed. A failure is logged and recorded on the row and fails the job;
`requeue_failed` (run by `flask send-reminders`) queues failed messages again
up to MAX_ATTEMPTS. A message left "sending" by a process that died while
talking to the server is never sent again automatically: it may have
arrived, and a duplicate is worse than a gap the record shows.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, Response, current_app, flash, g
from sqlalchemy.orm import Session

from assessment import jobs
from assessment.db import end_read_transaction, write_transaction
from assessment.extensions import db
from assessment.mail import MailError, Outgoing, Postbox, mail_configured
from assessment.models import Job, MailMessage, MailState, utcnow
from assessment.notices.kinds import KINDS, NoticeKind

MAX_ATTEMPTS = 3

log = logging.getLogger(__name__)

# Keys in the SQLAlchemy session's `info`: the job of the open transaction, the
# jobs and announced kinds written in it, and those committed but not dispatched.
_JOB = "notices.job"
_PENDING = "notices.pending"
_ANNOUNCE = "notices.announce"
_READY = "notices.ready"
_READY_ANNOUNCE = "notices.ready_announce"
_DEFERRED = "notices_deferred"  # in flask.g: e-mail written only after the response


def queue(
    kind: NoticeKind,
    *,
    to_address: str,
    subject: str,
    body: str,
    user_id: int | None = None,
    organisation_id: int | None = None,
    ref: str = "",
    actor_id: int | None = None,
) -> MailMessage:
    """Add one e-mail to the outbox, in the caller's transaction; the caller commits."""
    session = db.session()
    job_id = session.info.get(_JOB)
    if job_id is None:
        job = jobs.create_job(
            jobs.SEND_MAIL, organisation_id=organisation_id, assessment_id=None, user_id=actor_id
        )
        job_id = session.info[_JOB] = job.id
        session.info.setdefault(_PENDING, []).append(job_id)
    message = MailMessage(
        kind=kind.name,
        organisation_id=organisation_id,
        user_id=user_id,
        to_address=to_address,
        subject=subject[:300],
        body=body,
        ref=ref[:100],
        state=MailState.QUEUED,
        job_id=job_id,
    )
    session.add(message)
    if kind.announce:
        session.info.setdefault(_ANNOUNCE, Counter())[kind.name] += 1
    return message


@sa.event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    """Move the jobs of the committed transaction to the ready list."""
    session.info.pop(_JOB, None)
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)
        announce = session.info.pop(_ANNOUNCE, Counter())
        session.info.setdefault(_READY_ANNOUNCE, Counter()).update(announce)


@sa.event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    """Forget the jobs of a transaction that rolled back: their rows are gone."""
    for key in (_JOB, _PENDING, _ANNOUNCE):
        session.info.pop(key, None)


def take_ready() -> tuple[list[int], Counter]:
    """Return and forget the committed jobs not yet dispatched, with their announced kinds."""
    info = db.session().info
    return info.pop(_READY, []), info.pop(_READY_ANNOUNCE, Counter())


def dispatch_ready() -> list[str]:
    """Start the committed e-mail jobs now (commands); return their states afterwards."""
    job_ids, _ = take_ready()
    return [jobs.dispatch(job_id) for job_id in job_ids]


def register(app: Flask) -> None:
    """Send the e-mail of each request's committed changes once its response has gone."""
    app.after_request(_send_after_response)


def queue_after_response(kind: NoticeKind, **fields) -> None:
    """Write one e-mail to the outbox only once the response has gone, then send it.

    For an e-mail that reports no change in the database (a password reset
    link): the request then does the same work whether or not it has an
    e-mail to send, so its duration tells nothing (see `password_reset`).
    """
    g.setdefault(_DEFERRED, []).append((kind, fields))


def _send_after_response(response: Response) -> Response:
    deferred = g.pop(_DEFERRED, [])
    app = current_app._get_current_object()
    if deferred:
        response.call_on_close(lambda: _queue_and_dispatch(app, deferred))
    if not db.session.registry.has():
        return response  # this request never used the database (a static file)
    job_ids, announced = take_ready()
    if announced and not mail_configured():
        flash(_logged_instead(announced), "info")
    if job_ids:
        response.call_on_close(lambda: _dispatch_all(app, job_ids))
    return response


def _queue_and_dispatch(app: Flask, deferred: list) -> None:
    """Write deferred e-mail in a transaction of its own, then send it; log any failure."""
    with app.app_context():
        try:
            with write_transaction(db.session):
                for kind, fields in deferred:
                    queue(kind, **fields)
            job_ids, _ = take_ready()
        except Exception:  # noqa: BLE001 - the response has gone: log it
            log.exception("e-mail (%s) could not be queued", ", ".join(k.name for k, _ in deferred))
            return
    _dispatch_all(app, job_ids)


def _logged_instead(announced: Counter) -> str:
    count = sum(announced.values())
    kinds = ", ".join(KINDS[name].title for name in announced)
    return (
        f"E-mail is not configured, so {count} e-mail{'s' if count != 1 else ''} ({kinds}) "
        "went to the server log instead of being sent."
    )


def _dispatch_all(app: Flask, job_ids: list[int]) -> None:
    """Dispatch jobs after a response; a failure here is logged, never raised to the server."""
    with app.app_context():
        for job_id in job_ids:
            try:
                jobs.dispatch(job_id)
            except Exception:  # noqa: BLE001 - the response has gone: log, the job shows the rest
                log.exception("e-mail job %s could not be started", job_id)


@dataclass
class Delivery:
    """What one run of a send job did."""

    sent: int = 0
    logged: int = 0
    failed: int = 0
    first_error: str = ""


def send_job(job: Job):
    """The `send_mail` job: send its queued messages outside any transaction; return the store."""
    message_ids = list(
        db.session.scalars(
            sa.select(MailMessage.id)
            .where(MailMessage.job_id == job.id, MailMessage.state == MailState.QUEUED)
            .order_by(MailMessage.id)
        )
    )
    end_read_transaction(db.session)
    delivery = send_messages(message_ids)
    if delivery.failed:
        raise jobs.JobFailed(
            f"{delivery.failed} e-mail{'s' if delivery.failed != 1 else ''} could not be sent "
            f"({delivery.first_error}); they are retried by `flask send-reminders`."
        )
    return lambda: None


def send_messages(message_ids: list[int]) -> Delivery:
    """Claim, send and record each message in turn; one that fails does not stop the rest."""
    delivery = Delivery()
    with Postbox() as postbox:
        for message_id in message_ids:
            claimed = _claim(message_id)
            if claimed is None:
                continue  # sent, or being sent, by someone else
            kind, outgoing = claimed
            try:
                postbox.send(outgoing)
            except MailError as exc:
                delivery.failed += 1
                delivery.first_error = delivery.first_error or str(exc)
                log.warning(
                    "e-mail %s (%s) to %s could not be sent: %s",
                    message_id,
                    kind,
                    outgoing.to_address,
                    exc,
                )
                _record(message_id, MailState.FAILED, error=str(exc))
                continue
            state = MailState.SENT if postbox.configured else MailState.LOGGED
            _record(message_id, state, blank_body=KINDS.get(kind, _SECRET).secret)
            if state == MailState.SENT:
                delivery.sent += 1
                log.info("e-mail %s (%s) sent to %s", message_id, kind, outgoing.to_address)
            else:
                delivery.logged += 1
    return delivery


_SECRET = NoticeKind("unknown", "", "", secret=True)  # a kind no longer registered: assume a secret


def _claim(message_id: int) -> tuple[str, Outgoing] | None:
    """Mark one queued message as being sent, in a committed transaction; return it."""
    with write_transaction(db.session):
        claimed = db.session.execute(
            sa.update(MailMessage)
            .where(MailMessage.id == message_id, MailMessage.state == MailState.QUEUED)
            .values(state=MailState.SENDING, attempts=MailMessage.attempts + 1, error="")
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return None
        row = db.session.execute(
            sa.select(
                MailMessage.kind, MailMessage.to_address, MailMessage.subject, MailMessage.body
            ).where(MailMessage.id == message_id)
        ).one()
    return row.kind, Outgoing(row.to_address, row.subject, row.body)


def _record(message_id: int, state: MailState, *, error: str = "", blank_body=False) -> None:
    values = {"state": state, "error": error[:1000]}
    if state in (MailState.SENT, MailState.LOGGED):
        values["sent_at"] = utcnow()
        if blank_body:
            values["body"] = ""
    with write_transaction(db.session):
        db.session.execute(
            sa.update(MailMessage)
            .where(MailMessage.id == message_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def requeue_failed() -> int:
    """Queue again, on a new job, the e-mail that failed or whose job never ran; the caller commits.

    Failed messages go again until they have had MAX_ATTEMPTS tries. Messages
    still queued long after their job should have run (its process died, or
    the queue lost it) go too. Messages left "sending" do not.
    """
    now = utcnow()
    stale = now - jobs.STALLED_AFTER
    ids = list(
        db.session.scalars(
            sa.select(MailMessage.id).where(
                sa.or_(
                    sa.and_(
                        MailMessage.state == MailState.FAILED,
                        MailMessage.attempts < MAX_ATTEMPTS,
                    ),
                    sa.and_(MailMessage.state == MailState.QUEUED, MailMessage.created_at < stale),
                )
            )
        )
    )
    if not ids:
        return 0
    session = db.session()
    job = jobs.create_job(jobs.SEND_MAIL, organisation_id=None, assessment_id=None, user_id=None)
    session.info.setdefault(_PENDING, []).append(job.id)
    return db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.id.in_(ids), MailMessage.state.in_([MailState.FAILED, MailState.QUEUED]))
        .values(state=MailState.QUEUED, job_id=job.id)
        .execution_options(synchronize_session=False)
    ).rowcount


def delivery_states(ref_prefix: str, refs: list[str]) -> dict[str, str]:
    """Return the newest e-mail state for each of these refs (e.g. invitations on a page)."""
    if not refs:
        return {}
    rows = db.session.execute(
        sa.select(MailMessage.ref, MailMessage.state)
        .where(MailMessage.ref.in_([ref_prefix + ref for ref in refs]))
        .order_by(MailMessage.id)
    )
    return {ref.removeprefix(ref_prefix): state for ref, state in rows}
