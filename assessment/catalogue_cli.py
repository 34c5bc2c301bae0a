"""`flask catalogue check` and `flask catalogue diff`: the catalogue's own commands.

Registered through the `flask.commands` entry point (setup.cfg), so Flask finds
them without loading the app: the app refuses to start with a broken
catalogue, which is exactly when `check` must still run. Kept apart from
`assessment.cli` so that they import neither the reports nor WeasyPrint.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import ScriptInfo

from assessment.catalogue import DEFAULT_PATH, Catalogue, CatalogueError, load_catalogue


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
