"""Where a page save's time goes: its SQL statements, its time against the bare insert, a profile.

Not a test: run it (`.venv/bin/python bench/save_profile.py`, with
DATABASE_URL for PostgreSQL) and read what it prints. It does what
bench/load.py's quiet phase does, in-process through werkzeug's test client
instead of gunicorn: the same WSGI app (`bench_application()`: the real app,
CSRF on, beside the bare one-insert endpoint) on a migrated database seeded as
the load benchmark seeds it; one person loads the P2 page and posts the whole
form back with one question's comment changed, alternating with a bare insert
and with the same insert as a signed-in route of the app (what any signed-in
form post costs before its own work).

It prints each statement of one page save and their count, the time spent
waiting on the database, both medians and their ratio (in-process: no HTTP,
so the ratio is higher than under gunicorn), and with `--profile` a cProfile
top list over the saves (`--callees PATTERN` shows what a function calls).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from load import PASSWORD, bench_application, form_fields, seed  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from werkzeug.test import Client  # noqa: E402

from assessment.db import database_url  # noqa: E402


def migrate_and_seed(folder: Path) -> dict:
    """Migrate DATABASE_URL (or a SQLite file) from scratch and seed it as bench/load.py does."""
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / 'bench.db'}")
    os.environ.setdefault("SECRET_KEY", "bench-load")
    os.environ["FLASK_EVIDENCE_DIR"] = str(folder / "evidence")
    os.environ["FLASK_EXTERNAL_URL"] = "http://127.0.0.1"
    env = {**os.environ, "FLASK_APP": "app"}
    if env["DATABASE_URL"].startswith("postgres"):  # a database of its own, emptied first
        engine = sa.create_engine(database_url(env["DATABASE_URL"], ""))
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    return seed(env)  # migrates in a subprocess, as the load benchmark does


class PageSaver:
    """One signed-in person saving the P2 page as the load benchmark's quiet phase does."""

    def __init__(self, wsgi, email: str, assessment_id: int) -> None:
        self.client = Client(wsgi)
        self.path = f"/assessments/{assessment_id}/principles/P2"
        token = dict(form_fields(self.client.get("/auth/login").text))["csrf_token"]
        answer = self.post("/auth/login", [("csrf_token", token), ("email", email),
                                           ("password", PASSWORD)])  # fmt: skip
        assert answer.status_code == 302, answer.status_code

    def post(self, path: str, form):
        body = urllib.parse.urlencode(form)  # as bench/load.py sends it
        return self.client.post(path, data=body, content_type="application/x-www-form-urlencoded")

    def load(self) -> list[tuple[str, str]]:
        return form_fields(self.client.get(self.path).text)

    def save(self, fields: list[tuple[str, str]]) -> None:
        answers = sorted({n.split("-")[0] for n, _ in fields if n.endswith("-base_version")})
        changed = f"{answers[0]}-comment"
        form = [(n, f"bench {uuid.uuid4().hex}" if n == changed else v) for n, v in fields]
        form = [(n, v) for n, v in form if n != "save_next"] + [("save", "Save")]
        answer = self.post(self.path, form)
        assert answer.status_code == 302, (answer.status_code, answer.text[:300])

    def bare(self) -> None:
        answer = self.post("/_bench/bare-insert", [("value", uuid.uuid4().hex)])
        assert answer.status_code == 200, answer.status_code

    def signed_in(self, fields: list[tuple[str, str]]) -> None:
        """The same INSERT as a route of the app, with the page's CSRF token."""
        form = [("csrf_token", dict(fields)["csrf_token"]), ("value", uuid.uuid4().hex)]
        answer = self.post("/_bench/signed-in-insert", form)
        assert answer.status_code == 200, answer.status_code


def statements_of(action) -> list[str]:
    """Run `action` and return the SQL statements it sent (BEGIN included where it is one)."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    def commit(_conn):
        seen.append("COMMIT")

    def rollback(_conn):
        seen.append("ROLLBACK")

    sa.event.listen(Engine, "before_cursor_execute", count)
    sa.event.listen(Engine, "commit", commit)
    sa.event.listen(Engine, "rollback", rollback)
    try:
        action()
    finally:
        sa.event.remove(Engine, "before_cursor_execute", count)
        sa.event.remove(Engine, "commit", commit)
        sa.event.remove(Engine, "rollback", rollback)
    return seen


class DatabaseClock:
    """Add up the time spent waiting on the database: statements (driver call) and commits."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def _start(self, *_args) -> None:
        self._started = time.perf_counter()

    def _stop(self, *_args) -> None:
        self.seconds += time.perf_counter() - self._started

    def __enter__(self):
        for start, stop in (("before_cursor_execute", "after_cursor_execute"),):
            sa.event.listen(Engine, start, self._start)
            sa.event.listen(Engine, stop, self._stop)
        return self

    def __exit__(self, *_exc) -> None:
        sa.event.remove(Engine, "before_cursor_execute", self._start)
        sa.event.remove(Engine, "after_cursor_execute", self._stop)


def timed(action, profiler: cProfile.Profile | None = None) -> tuple[float, float]:
    """Return how long `action` took and the CPU time this process spent on it.

    The CPU time is steadier on a busy machine (waiting for a core is not
    counted), but leaves out the database server's share on PostgreSQL.
    """
    if profiler is not None:
        profiler.enable()
    started, cpu = time.perf_counter(), time.thread_time()
    action()
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
    if profiler is not None:
        profiler.disable()
    return elapsed, cpu


def print_statements(saver: PageSaver) -> None:
    """Print the statements of one page save."""
    fields = saver.load()
    statements = statements_of(lambda: saver.save(fields))
    print(f"backend: {os.environ['DATABASE_URL'].split(':')[0]}")
    print(f"statements_per_page_save: {len(statements)} (COMMIT and ROLLBACK included)")
    for statement in statements:
        print(f"  {statement[:150]}")


def measure(saver: PageSaver, saves: int, profiler: cProfile.Profile | None) -> None:
    """Time page saves, bare inserts and signed-in inserts, interleaved; print medians and ratios."""
    save_times, bare_times, signed_in_times, in_database = [], [], [], []
    # The app logs a line per request to stdout, as under gunicorn; here nobody reads it.
    with open(os.devnull, "w") as nowhere, contextlib.redirect_stdout(nowhere):
        for _ in range(saves):
            fields = saver.load()
            with DatabaseClock() as clock:
                save_times.append(timed(lambda: saver.save(fields), profiler))  # noqa: B023
            in_database.append(clock.seconds)
            bare_times.append(timed(saver.bare))
            signed_in_times.append(timed(lambda: saver.signed_in(fields)))  # noqa: B023
    print(f"statements_p50: {statistics.median(in_database) * 1000:.2f} ms of each page save "
          "(from sending a statement to its result; commits not included)")  # fmt: skip
    # The fastest tenth is the cost least disturbed by other processes (timeit's reasoning).
    for what, pick in (("p50", statistics.median), ("p10", lambda t: sorted(t)[len(t) // 10])):
        save, bare = pick([t[0] for t in save_times]), pick([t[0] for t in bare_times])
        cpu = pick([t[1] for t in save_times]) / pick([t[1] for t in bare_times])
        print(f"in_process_save_ratio_{what}: {save / bare:.2f}  (page save {save * 1000:.2f} ms, "
              f"bare one-insert {bare * 1000:.2f} ms; CPU time ratio {cpu:.2f}"
              f"{', under cProfile' if profiler else ''})")  # fmt: skip
    signed_in = statistics.median(t[0] for t in signed_in_times)
    bare = statistics.median(t[0] for t in bare_times)
    print(f"in_process_signed_in_insert_ratio_p50: {signed_in / bare:.2f}  (the bare endpoint's "
          f"INSERT as a route of the app, signed in: {signed_in * 1000:.2f} ms; page save against "
          f"it {statistics.median(t[0] for t in save_times) / signed_in:.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="profile the page saves")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--callees", nargs="*", default=(), help="show what these call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        seeded = migrate_and_seed(Path(folder))
        entry = seeded["organisations"][1]
        with open(os.devnull, "w") as nowhere, contextlib.redirect_stdout(nowhere):
            saver = PageSaver(bench_application(), entry["emails"][3], entry["assessment"])
            for _ in range(20):  # warm caches: statements, templates, the catalogue's forms
                fields = saver.load()
                saver.save(fields)
                saver.bare()
                saver.signed_in(fields)
        print_statements(saver)
        profiler = cProfile.Profile() if args.profile else None
        measure(saver, args.saves, profiler)
    if profiler is not None:
        stats = pstats.Stats(profiler).sort_stats(args.sort)
        stats.print_stats(args.top)
        for pattern in args.callees:
            stats.print_callees(pattern)


if __name__ == "__main__":
    main()
