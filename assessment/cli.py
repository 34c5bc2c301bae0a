"""Command-line tools: `flask demo`, `report`, `create-user`, `import-json`, `verify`, `worker`,
`send-reminders` and `catalogue check`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import ScriptInfo, with_appcontext

from assessment.catalogue import DEFAULT_PATH, Catalogue, CatalogueError, load_catalogue
from assessment.db import writes_up_front
from assessment.extensions import current_catalogue, db
from assessment.inputs import MAX_ID
from assessment.models import Assessment, Membership, Organisation, Role
from reports import FORMATS, render


@click.group("catalogue")
def catalogue_cli() -> None:
    """Work with the principles catalogue."""


@catalogue_cli.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The version this one follows: its relations are checked against it too.",
)
def catalogue_check(path: Path | None, previous: Path | None) -> None:
    """Validate a catalogue file: a one-line summary, or every problem and exit code 1."""
    path = path or DEFAULT_PATH
    catalogue = _checked(path)
    if previous is not None:
        _check_against(_checked(previous), catalogue, path)
    click.echo(
        f"{path}: OK, catalogue {catalogue.spec.catalogue.id} v{catalogue.version}: "
        f"{len(catalogue.themes)} themes, {len(catalogue.principles)} principles, "
        f"{len(catalogue.questions)} questions, {len(catalogue.profile)} profile questions, "
        f"{len(catalogue.changes.questions) if catalogue.changes else 0} relations to the "
        f"previous version, fingerprint {catalogue.fingerprint[:12]}"
    )


def _checked(path: Path) -> Catalogue:
    """Load a catalogue file, or print every problem and exit 1 (never a traceback)."""
    try:
        return load_catalogue(path)
    except CatalogueError as exc:
        click.echo(f"{path}: {len(exc.problems)} problem(s)", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        click.echo(f"{path}: could not be checked: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


def _check_against(old: Catalogue, new: Catalogue, path: Path) -> None:
    """Print every relation that does not fit the previous version, and exit 1 if any."""
    from assessment.catalogue_diff import diff_catalogues

    diff = diff_catalogues(old, new)
    problems = list(diff.problems)
    if new.changes is None:
        problems.append("changes: the catalogue says nothing of how it relates to the previous one")
    elif not diff.relations_apply:
        problems.append(
            f"changes.previous: says {new.changes.previous}, but the previous version is "
            f"{old.version}"
        )
    problems += [change.text for change in diff.undeclared]
    if problems:
        click.echo(f"{path}: {len(problems)} problem(s) against version {old.version}", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)


@catalogue_cli.command("diff")
@click.argument("old")
@click.argument("new")
def catalogue_diff(old: str, new: str) -> None:
    """Say in words how catalogue NEW differs from OLD (files, or kept versions by number or fingerprint)."""
    from assessment.catalogue_diff import diff_catalogues, diff_lines

    before, after = _catalogue_named(old), _catalogue_named(new)
    for line in diff_lines(diff_catalogues(before, after)):
        click.echo(line)


def _catalogue_named(ref: str) -> Catalogue:
    """Return the catalogue in a file, or else the kept version with this number or fingerprint."""
    if Path(ref).is_file():
        return _checked(Path(ref))
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        raise click.ClickException(f"{ref}: no such file")
    try:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    except Exception as exc:  # noqa: BLE001 - no app to ask: say so, never a traceback
        raise click.ClickException(
            f"{ref!r} is not a file, and kept versions cannot be read without the app ({exc})"
        ) from None
    from assessment.catalogue_versions import catalogue_from_text, find_version

    with app.app_context():
        try:
            row = find_version(ref)
            text = row.canonical if row is not None else None
        except sa.exc.SQLAlchemyError as exc:
            raise click.ClickException(f"cannot read kept versions: {type(exc).__name__}") from None
    if text is None:
        raise click.ClickException(f"{ref!r} is neither a file nor a kept catalogue version")
    return catalogue_from_text(text)


@click.command("demo")
@with_appcontext
@writes_up_front
def demo_command() -> None:
    """Seed a demo organisation, user and partly answered assessment (idempotent)."""
    from assessment.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

    assessment, created = seed_demo(current_catalogue())
    db.session.commit()
    click.echo(
        ("Seeded" if created else "Demo already present:")
        + f" assessment {assessment.id} of {assessment.service_name}."
    )
    click.echo(f"Log in at /auth/login as {DEMO_EMAIL} with password {DEMO_PASSWORD}")


@click.command("report")
@click.argument("assessment_id", type=click.IntRange(1, MAX_ID))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="pdf", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def report_command(assessment_id: int, fmt: str, output: Path) -> None:
    """Write the report of an assessment to a file."""
    from assessment.catalogue_versions import catalogue_for
    from assessment.snapshot import score_for_report

    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise click.ClickException(f"there is no assessment with id {assessment_id}")
    catalogue = catalogue_for(assessment)
    body = render(fmt, score_for_report(assessment, catalogue), catalogue)
    try:
        output.write_bytes(body)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"Wrote {output} ({len(body):,} bytes, {fmt}).")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--organisation", required=True, help="Organisation name; created if new.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.ADMIN.value)
@click.password_option()
@with_appcontext
@writes_up_front
def create_user_command(email: str, name: str, organisation: str, role: str, password: str) -> None:
    """Create a user in an organisation (creating the organisation if it is new)."""
    from assessment.accounts import find_user, new_user
    from assessment.forms import PASSWORD_MIN

    if len(password) < PASSWORD_MIN:
        raise click.ClickException(f"the password needs at least {PASSWORD_MIN} characters")
    if "@" not in email:
        raise click.ClickException(f"{email!r} is not an email address")
    if find_user(email) is not None:
        raise click.ClickException(f"a user with email {email} already exists")
    org = db.session.scalars(
        sa.select(Organisation).where(Organisation.name == organisation)
    ).first()
    if org is None:
        org = Organisation(name=organisation)
        db.session.add(org)
    user = new_user(email, name, password)
    db.session.add(Membership(user=user, organisation=org, role=role))
    db.session.commit()
    click.echo(f"Created {user.email} ({role}) in {org.name}.")


def _claimed_assessment(pdf: bytes) -> str:
    """Return what an unverified PDF's embedded JSON says it is, for the message."""
    try:
        import io
        import json

        from pypdf import PdfReader

        attachments = PdfReader(io.BytesIO(pdf)).attachments
        data = json.loads(attachments["assessment.json"][0])
        info = data.get("assessment", data)
        return f" It claims to be assessment {info.get('id', info.get('assessment_id', '?'))}."
    except Exception:  # noqa: BLE001 - a damaged file claims nothing we can read
        return ""


@click.command("verify")
@click.argument("pdf_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_command(pdf_file: Path) -> None:
    """Say whether a PDF is, byte for byte, an issued copy, and of which assessment."""
    import hashlib

    from assessment.models import IssuedReport

    pdf = pdf_file.read_bytes()
    digest = hashlib.sha256(pdf).hexdigest()
    issued = db.session.scalars(
        sa.select(IssuedReport).where(IssuedReport.sha256 == digest)
    ).first()
    if issued is None:
        click.echo(
            f"{pdf_file}: NOT an issued copy (sha256 {digest} matches no issued report)."
            + _claimed_assessment(pdf),
            err=True,
        )
        sys.exit(1)
    assessment = db.session.get(Assessment, issued.assessment_id)
    approver = assessment.approved_by.name if assessment.approved_by else "a former member"
    click.echo(
        f"{pdf_file}: issued copy of assessment {assessment.id} "
        f"({assessment.organisation.name}, {assessment.service_name}), approved "
        f"{assessment.approved_at:%Y-%m-%d} by {approver}; "
        f"sha256 {digest}; assessment fingerprint {issued.fingerprint}."
    )


@click.command("import-json")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--organisation-id",
    type=click.IntRange(1, MAX_ID),
    required=True,
    help="The organisation to import into.",
)
@with_appcontext
@writes_up_front
def import_json_command(file: Path, organisation_id: int) -> None:
    """Create a draft assessment from a JSON export file."""
    from assessment.importer import MAX_BYTES, ImportRefused, parse_export
    from assessment.workflow import open_imported_draft

    if db.session.get(Organisation, organisation_id) is None:
        raise click.ClickException(f"there is no organisation with id {organisation_id}")
    with file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    catalogue = current_catalogue()
    try:
        imported = parse_export(data, catalogue)
    except ImportRefused as refused:
        lines = "\n  ".join(refused.problems)
        raise click.ClickException(f"{file} was not imported:\n  {lines}") from None
    assessment = open_imported_draft(
        imported, catalogue, organisation_id=organisation_id, user=None
    )
    db.session.commit()
    for warning in imported.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"Imported {len(imported.answers)} answers as draft assessment {assessment.id} "
        f"of {assessment.service_name}."
    )


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@click.option("--queue", "queue_name", help="The queue to take jobs from (default: JOBS_QUEUE).")
@click.option(
    "--nice",
    "niceness",
    type=click.IntRange(0, 19),
    default=10,
    show_default=True,
    help="Lower this process's CPU priority, so rendering never starves the web workers.",
)
@with_appcontext
def worker_command(burst: bool, queue_name: str | None, niceness: int) -> None:
    """Run background jobs (issuing PDFs) from the Redis queue at REDIS_URL."""
    import os

    from flask import current_app

    from assessment.jobs import DEFAULT_QUEUE

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run in the web process and "
            "no worker is needed"
        )
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, SimpleWorker

    if niceness:
        os.nice(niceness)
    connection = Redis.from_url(url)
    name = queue_name or current_app.config.get("JOBS_QUEUE") or DEFAULT_QUEUE
    # SimpleWorker runs each job in this process, inside this app context: no fork,
    # so no database connection is ever shared between processes.
    worker = SimpleWorker([Queue(name, connection=connection)], connection=connection)
    try:
        worker.work(burst=burst, logging_level="WARNING")
    except RedisError as exc:
        raise click.ClickException(f"Redis at {url} cannot be reached: {exc}") from None


@click.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """Send today's digest of due, overdue and waiting items; safe to run twice a day from cron."""
    from flask import current_app

    from assessment import jobs
    from assessment.mail import mail_configured
    from assessment.models import JobState
    from assessment.notices.digest import send_reminders

    run = send_reminders()
    click.echo(
        f"{run.day.isoformat()}: {run.digests} digest{'s' if run.digests != 1 else ''} "
        f"({run.items} item{'s' if run.items != 1 else ''}) queued; "
        f"{run.already} {'people' if run.already != 1 else 'person'} already reminded today; "
        f"{run.retried} earlier e-mail{'s' if run.retried != 1 else ''} queued again."
    )
    if not current_app.config.get("EXTERNAL_URL"):
        click.echo("FLASK_EXTERNAL_URL is not set: the digests carry no links.", err=True)
    states = [jobs.dispatch(job_id) for job_id in run.job_ids]
    if jobs.queue_for(current_app) is not None:
        click.echo(f"{len(states)} e-mail job(s) put on the queue for `flask worker`.")
    elif not mail_configured():
        click.echo("E-mail is not configured (FLASK_MAIL_SERVER): the digests went to the log.")
    failed = states.count(JobState.FAILED)
    if failed:
        raise click.ClickException(
            f"{failed} e-mail job(s) failed: see the log; the next run retries them"
        )


def register(app: Flask) -> None:
    """Attach the app's commands to `app.cli`: every command that needs the app.

    `flask catalogue` is the one exception, registered through the
    `flask.commands` entry point in setup.cfg: Flask finds such a command
    without loading the app, and the app refuses to start with a broken
    catalogue, which is exactly when `flask catalogue check` must still run.
    """
    for command in (
        demo_command,
        report_command,
        create_user_command,
        import_json_command,
        verify_command,
        worker_command,
        send_reminders_command,
    ):
        app.cli.add_command(command)
