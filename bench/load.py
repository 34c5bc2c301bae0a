"""Load benchmark: gunicorn on loopback, 32 clients, a realistic mix; prints what it measured.

Run with `make bench-load` (PostgreSQL, then SQLite), or
`python bench/load.py --database sqlite --duration 60 --clients 32`
(`--quiet-only`: the first phase alone, for `save_ratio` while working).
Not a test: it measures and prints, it never fails on a slow machine.

It starts its own PostgreSQL (a throwaway server on a Unix socket) or uses a
SQLite file, migrates, seeds organisations, and starts the production shape:
gunicorn with gunicorn.conf.py on a free loopback port and, beside it, a Redis
server on a Unix socket (`--port 0`: no TCP) with one `flask worker` (at its
default lower CPU priority, nice 10) that issues approved PDFs and renders
draft PDFs. Clients follow a download's "being prepared" answer (202) as a
browser does, reloading after its Retry-After, and a PDF's time is the time
until its bytes arrive. `--jobs in-process` measures the no-Redis mode of
`make run` instead, where the web worker renders. The WSGI app is this module's
`bench_application()`: the real app plus, under `/_bench/`, a bare Flask
endpoint that does one INSERT, the yardstick for `save_ratio`. Phases:

1. quiet: the overview's p95 with nothing else running; page saves, bare
   inserts and signed-in inserts by one client, taking turns at going first
   after each page load (`TURNS`) (`save_ratio`, median against median),
   once every worker has served a few of each (`WARM_ROUNDS`);
2. load: the clients for the duration, each in an organisation shared with
   three others: overview and principle pages, saves of unique comments,
   CSV and JSON downloads, a PDF now and then; and, halfway through, one
   approval by the admin of the organisation with an assessment in review;
3. PDF load: four clients save and download the PDF of their own changing
   draft while two read the overview (its p95 against the quiet one);
4. race: four clients load the same page at the same version and save it at
   the same moment, 15 times; the target is exactly one acknowledged save.

`lost_saves` counts acknowledged saves that another acknowledged save
overwrote without having seen them (two acknowledged saves of one question
from the same base version: one of them is lost), plus acknowledged saves
that never reached the audit trail.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import html.parser
import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-2026"
ORGANISATIONS = 8
PRINCIPLES = ("P1", "P2", "P3")
# Saves and bare inserts sent before save_ratio's are timed. Each gunicorn worker compiles a
# statement on its first use, and psycopg prepares it on the server after its fifth, so a
# worker's first saves cost more than its later ones: 40 rounds give each of 4 workers
# (whichever accepts) about ten. Their medians are printed too (`save_ratio_cold`).
WARM_ROUNDS = 40
# Whichever request comes first after a page load costs more: about 0.5 ms more at p50 on a
# 2-core machine, for the bare insert as much as for the save (the page's worker is still
# finishing as the next request is served). The save used to go first every time, and
# save_ratio read 3.1-3.3 where the same requests in the same position read 2.6-2.95. So the
# three endpoints take turns at going first, and `save_ratio_by_position` prints the ratio
# of each position on its own.
TURNS = ("first", "second", "third")
MIX = {"overview": 300, "principle": 250, "save": 200, "csv": 100, "json": 100, "pdf": 3}


# -- the WSGI app gunicorn serves ------------------------------------------------


def bench_application():
    """Return the app with two one-insert endpoints (gunicorn 'load:bench_application()').

    `/_bench/bare-insert`, a bare Flask app beside the real one: the yardstick
    of `save_ratio`. `/_bench/signed-in-insert`, a route of the real app: the
    same INSERT as any signed-in form post makes it (session, user loader,
    CSRF check, transaction, request log, security headers), to tell what
    every such request costs from what a page save adds.
    """
    import sqlalchemy as sa
    from flask import Flask, request
    from flask_login import login_required

    from assessment import create_app
    from assessment.db import database_url
    from assessment.extensions import db

    insert = sa.text("INSERT INTO bench_probe (value) VALUES (:value)")
    app = create_app()
    bare = Flask("bench_bare")
    engine = sa.create_engine(database_url(os.environ["DATABASE_URL"], app.instance_path))

    @bare.post("/_bench/bare-insert")
    def bare_insert():
        with engine.begin() as connection:
            connection.execute(insert, {"value": request.form.get("value", "")})
        return "ok"

    @app.post("/_bench/signed-in-insert")
    @login_required
    def signed_in_insert():
        db.session.execute(insert, {"value": request.form.get("value", "")})
        db.session.commit()
        return "ok"

    def dispatch(environ, start_response):
        if environ.get("PATH_INFO", "") == "/_bench/bare-insert":
            return bare.wsgi_app(environ, start_response)
        return app(environ, start_response)

    return dispatch


# -- an HTTP client that keeps its session cookie and never follows redirects ----


class FormFields(html.parser.HTMLParser):
    """Collect a page's form state: hidden and text inputs, checked boxes, textareas.

    With `action`, only the fields of the forms that post to that path, with
    every checkbox ticked (a person confirming ticks its statements).
    """

    def __init__(self, action: str | None = None) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._action = action
        self._in_form = action is None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self._action is not None:
            self._in_form = a.get("action") == self._action
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            ticked = "checked" in a or (kind == "checkbox" and self._action is not None)
            if kind in ("radio", "checkbox") and not ticked:
                return
            if kind in ("submit", "file"):
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self._action is not None:
            self._in_form = False
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # Like a browser: the newline right after <textarea> is not part of the value.
            text = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self.fields.append((self._textarea, text))
            self._textarea = None


def form_fields(page: str, action: str | None = None) -> list[tuple[str, str]]:
    parser = FormFields(action)
    parser.feed(page)
    return parser.fields


@dataclass
class Result:
    kind: str
    status: int
    seconds: float


@dataclass
class Recorder:
    results: list[Result] = field(default_factory=list)
    acks: list[tuple[int, str, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.results.append(Result(kind, status, seconds))


class Client:
    """One person in a browser: a session cookie and a CSRF token."""

    def __init__(self, port: int, recorder: Recorder, email: str) -> None:
        self.port, self.recorder, self.email = port, recorder, email
        self.cookie = ""
        self.csrf = ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def download(self, kind: str, path: str, patience: float = 300) -> int:
        """GET a document, reloading after Retry-After while it answers 202 ("being prepared").

        Records one result: the final status and the time until the bytes came.
        """
        started = time.perf_counter()
        while True:
            status, _, headers = self.request(kind, "GET", path, record=False)
            waited = time.perf_counter() - started
            if status != 202 or waited > patience:
                self.recorder.add(kind, status, waited)
                return status
            # Like a browser: reload the address the Refresh header names, after its delay.
            refresh = headers.get("Refresh", "")
            if "url=" in refresh:
                path = refresh.split("url=", 1)[1].strip()
            time.sleep(float(headers.get("Retry-After") or 2))

    def request(
        self, kind: str, method: str, path: str, form=None, *, record: bool = True
    ) -> tuple[int, str, dict]:
        body = urllib.parse.urlencode(form) if form is not None else None
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.recorder.add(kind, 599, time.perf_counter() - started)
            return 599, "", {}
        elapsed = time.perf_counter() - started
        if record:
            self.recorder.add(kind, response.status, elapsed)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        text = (
            data.decode("utf-8", "replace")
            if "text" in (response.getheader("Content-Type") or "")
            else ""
        )
        return response.status, text, dict(response.getheaders())

    def login(self) -> None:
        _, page, _ = self.request("login", "GET", "/auth/login")
        self.csrf = dict(form_fields(page))["csrf_token"]
        status, _, _ = self.request(
            "login", "POST", "/auth/login",
            {"csrf_token": self.csrf, "email": self.email, "password": PASSWORD},
        )  # fmt: skip
        assert status == 302, f"login of {self.email} answered {status}"

    def post_approval(self, assessment_id: int) -> int:
        """Approve from the approval page with its form's fields, the attestation ticked."""
        path = f"/assessments/{assessment_id}/approve"
        _, text, _ = self.request("login", "GET", path)  # not counted in the mix
        return self.request("approve", "POST", path, form_fields(text, action=path))[0]

    def load_principle(self, assessment_id: int, principle: str) -> list[tuple[str, str]]:
        status, page, _ = self.request(
            "principle", "GET", f"/assessments/{assessment_id}/principles/{principle}"
        )
        return form_fields(page) if status == 200 else []

    def save(
        self,
        assessment_id: int,
        principle: str,
        fields,
        kind: str = "save",
        *,
        first=False,
        gate=None,
    ) -> bool:
        """Change one question's comment on a loaded page; record it if acknowledged.

        `first` picks the page's first question instead of a random one; `gate`
        is a barrier to wait at just before sending (the race round).
        """
        answers = sorted({n.split("-")[0] for n, _ in fields if n.endswith("-base_version")})
        if not answers:
            return False
        question_field = answers[0] if first else random.choice(answers)
        token = uuid.uuid4().hex
        form = [(n, v) for n, v in fields if n not in ("save_next",)]
        form = [(n, f"bench {token}" if n == f"{question_field}-comment" else v) for n, v in form]
        form.append(("save", "Save"))
        base = int(dict(fields)[f"{question_field}-base_version"] or 0)
        if gate is not None:
            gate.wait()
        status, _, _ = self.request(
            kind, "POST", f"/assessments/{assessment_id}/principles/{principle}", form
        )
        if status == 302:
            question_id = question_field[2:].replace("_", ".", 1)
            with self.recorder.lock:
                self.recorder.acks.append((assessment_id, question_id, base, token))
        return status == 302


# -- the database and the server ------------------------------------------------


class PostgreSQL:
    """A throwaway PostgreSQL server on a Unix socket in a temporary folder."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise SystemExit("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="vp-bench-pg."))
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")

    def start(self) -> str:
        run = self.as_postgres
        subprocess.run([*run, self.bin / "initdb", "-D", self.dir / "data", "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True)  # fmt: skip
        options = f"-k {self.dir} -c listen_addresses='' -c fsync=off -c max_connections=200"
        subprocess.run([*run, self.bin / "pg_ctl", "-D", self.dir / "data", "-l", self.dir / "log", "-w",
                        "-o", options, "start"], check=True, capture_output=True)  # fmt: skip
        subprocess.run([*run, self.bin / "createdb", "-h", self.dir, "-U", "postgres", "vp_bench"],
                       check=True, capture_output=True)  # fmt: skip
        return f"postgresql://postgres@/vp_bench?host={self.dir}"

    def stop(self) -> None:
        subprocess.run([*self.as_postgres, self.bin / "pg_ctl", "-D", self.dir / "data", "-m", "fast", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def environment(env: dict[str, str]):
    """Set these environment variables for the block, then put back what was there."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class RedisServer:
    """A throwaway Redis on a Unix socket in a temporary folder: no TCP port, nothing saved."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            raise SystemExit("redis-server is not installed (Debian: apt-get install redis-server)")
        self.dir = Path(tempfile.mkdtemp(prefix="vp-bench-redis."))
        self.socket = self.dir / "redis.sock"
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        self.process = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--dir", str(self.dir), "--save", "", "--appendonly", "no"],
            stdout=(self.dir / "redis.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(
                    f"redis-server did not start: {(self.dir / 'redis.log').read_text()}"
                )
            time.sleep(0.05)
        return f"unix://{self.socket}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start one `flask worker` (it lowers its own CPU priority) on the Redis of REDIS_URL."""
    flask = str(Path(sys.executable).parent / "flask")
    return subprocess.Popen([flask, "worker"], env=env, cwd=ROOT, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)  # fmt: skip


def niceness(pid: int) -> str:
    """Return a process's nice value as the kernel reports it (or '?')."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16]
    except (OSError, IndexError):
        return "?"


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=60)


def seed(env: dict[str, str]) -> dict:
    """Migrate and seed: organisations with four people each, drafts, one review, a race."""
    flask = str(Path(sys.executable).parent / "flask")
    subprocess.run([flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    with environment(env):
        import sqlalchemy as sa

        from assessment import create_app
        from assessment.extensions import db

        app = create_app()
        with app.app_context():
            seeded = _seed_rows()
            db.session.commit()
            seeded = _ids(seeded)
            probe = sa.Table("bench_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                             sa.Column("value", sa.Text))  # fmt: skip
            probe.create(db.engine, checkfirst=True)
            db.engine.dispose()
        return seeded


class _Seeder:
    """Add bench people and drafts (in an app context; the caller commits)."""

    def __init__(self) -> None:
        from assessment.extensions import current_catalogue
        from assessment.models import User

        self.catalogue = current_catalogue()
        hashed = User(email="", name="")
        hashed.set_password(PASSWORD)
        self.password_hash = hashed.password_hash

    def person(self, org, role, name):
        from assessment.extensions import db
        from assessment.models import Membership, User

        user = User(email=f"{name}@bench.example", name=name, password_hash=self.password_hash)
        db.session.add_all([user, Membership(user=user, organisation=org, role=role)])
        return user

    def draft(self, org, user, service, status="draft"):
        from assessment.extensions import db
        from assessment.models import Answer, Assessment
        from tests.factories import FULL_PROFILE

        catalogue = self.catalogue
        assessment = Assessment(
            organisation=org, service_name=service, profile=dict(FULL_PROFILE),
            catalogue_version=catalogue.version, catalogue_fingerprint=catalogue.fingerprint,
            created_by=user, status=status,
        )  # fmt: skip
        db.session.add(assessment)
        for number, question in enumerate(catalogue.questions.values()):
            if number % 2 == 0:
                options = catalogue.options_for(question)
                db.session.add(Answer(assessment=assessment, question_id=question.id,
                                      value=options[number % len(options)].value,
                                      comment="Seeded.", updated_by=user))  # fmt: skip
        return assessment


def _seed_rows() -> dict:
    """Add the organisations, people and drafts the phases use; return them as rows."""
    from assessment.models import Organisation, Role, Status

    seeder = _Seeder()
    seeded = {"organisations": []}
    for n in range(ORGANISATIONS):
        org = Organisation(name=f"Bench organisation {n}")
        people = [
            seeder.person(org, Role.ADMIN if i == 0 else Role.RESPONDENT, f"org{n}-user{i}")
            for i in range(4)
        ]
        entry = {
            "emails": [p.email for p in people],
            "assessment": seeder.draft(org, people[0], f"Service {n}"),
        }
        if n == 0:
            review = seeder.draft(org, people[1], "Service in review", Status.IN_REVIEW)
            review.submitted_by = people[1]
            entry["review"] = review
        seeded["organisations"].append(entry)
    pdf_org = Organisation(name="PDF readers")
    pdf_people = [seeder.person(pdf_org, Role.RESPONDENT, f"pdf-user{i}") for i in range(6)]
    seeded["pdf"] = [
        (p.email, seeder.draft(pdf_org, p, f"PDF draft {i}")) for i, p in enumerate(pdf_people[:4])
    ]
    seeded["overview_readers"] = [(p.email, seeded["pdf"][0][1]) for p in pdf_people[4:]]
    race_org = Organisation(name="Race")
    race_people = [seeder.person(race_org, Role.RESPONDENT, f"race-user{i}") for i in range(4)]
    seeded["race"] = (
        [p.email for p in race_people],
        seeder.draft(race_org, race_people[0], "Race"),
    )
    return seeded


def _ids(seeded: dict) -> dict:
    """Replace the committed assessments by their ids (the phases run in other processes)."""
    for entry in seeded["organisations"]:
        entry["assessment"] = entry["assessment"].id
        if "review" in entry:
            entry["review"] = entry["review"].id
    seeded["pdf"] = [(e, a.id) for e, a in seeded["pdf"]]
    seeded["overview_readers"] = [(e, a.id) for e, a in seeded["overview_readers"]]
    seeded["race"] = (seeded["race"][0], seeded["race"][1].id)
    return seeded


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--pythonpath", str(ROOT / "bench"), "load:bench_application()"],
        env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not become ready; see {log}")


# -- the phases -----------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def quiet_phase(port, seeded, requests: int) -> dict:
    recorder = Recorder()
    entry = seeded["organisations"][1]
    client = Client(port, recorder, entry["emails"][3])
    client.login()
    overview = f"/assessments/{entry['assessment']}/"
    for _ in range(10):
        client.request("warmup", "GET", overview)
    for _ in range(requests):
        client.request("overview_quiet", "GET", overview)
    # The first rounds warm every worker (see WARM_ROUNDS); the rest are timed. After each
    # page load, the three endpoints take turns at going first (see TURNS).
    by_position = collections.defaultdict(list)
    for kind, rounds in (("cold", WARM_ROUNDS), ("quiet", requests // 2)):
        for round_ in range(rounds):
            fields = client.load_principle(entry["assessment"], "P2")
            steps = side_by_side(client, entry["assessment"], fields, kind)
            turn = round_ % len(steps)
            for position, (name, step) in enumerate(steps[turn:] + steps[:turn]):
                step()
                if kind == "quiet":
                    by_position[name, position].append(recorder.results[-1].seconds)
    times = collections.defaultdict(list)
    for result in recorder.results:
        times[result.kind].append(result.seconds)
    return {
        "overview_p95": percentile(times["overview_quiet"], 95),
        "save_p50": statistics.median(times["save_quiet"]),
        "bare_p50": statistics.median(times["bare_quiet"]),
        "signed_in_p50": statistics.median(times["signed_in_quiet"]),
        "cold_save_p50": statistics.median(times["save_cold"]),
        "cold_bare_p50": statistics.median(times["bare_cold"]),
        "by_position": {key: statistics.median(values) for key, values in by_position.items()},
        "acks": recorder.acks,
    }


def side_by_side(client, assessment_id: int, fields, kind: str) -> list:
    """Return the page save, the bare insert and the signed-in insert, as (name, send) pairs."""

    def save():
        client.save(assessment_id, "P2", fields, kind=f"save_{kind}")

    def bare():
        client.request(f"bare_{kind}", "POST", "/_bench/bare-insert", {"value": uuid.uuid4().hex})

    def signed_in():
        form = {"csrf_token": dict(fields)["csrf_token"], "value": uuid.uuid4().hex}
        status, *_ = client.request(f"signed_in_{kind}", "POST", "/_bench/signed-in-insert", form)
        assert status == 200, f"the signed-in insert answered {status}"

    return [("save", save), ("bare", bare), ("signed_in", signed_in)]


def load_phase(port, seeded, clients: int, duration: float) -> Recorder:
    recorder = Recorder()
    people = [(email, entry) for entry in seeded["organisations"] for email in entry["emails"]][
        :clients
    ]
    reviewed = next(entry for entry in seeded["organisations"] if "review" in entry)
    start_gate = threading.Barrier(len(people) + 1)

    def approve(email: str, review: int) -> None:
        """Halfway through, the organisation's admin approves the assessment in review."""
        client = Client(port, recorder, email)
        client.login()
        start_gate.wait()
        time.sleep(duration / 2)
        client.post_approval(review)

    def run(index: int, email: str, entry: dict) -> None:
        client = Client(port, recorder, email)
        client.login()
        rng = random.Random(index)
        start_gate.wait()
        ends = time.monotonic() + duration
        while time.monotonic() < ends:
            _mixed_request(client, rng, entry["assessment"])

    threads = [threading.Thread(target=run, args=(i, e, o)) for i, (e, o) in enumerate(people)]
    threads.append(
        threading.Thread(target=approve, args=(reviewed["emails"][0], reviewed["review"]))
    )
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorder.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    return recorder


def _mixed_request(client: Client, rng: random.Random, assessment: int) -> None:
    """Send one request of a kind drawn from MIX."""
    kind = rng.choices(*zip(*MIX.items(), strict=True))[0]
    if kind == "overview":
        client.request(kind, "GET", f"/assessments/{assessment}/")
    elif kind == "principle":
        client.request(
            kind, "GET", f"/assessments/{assessment}/principles/{rng.choice(PRINCIPLES)}"
        )
    elif kind == "save":
        principle = rng.choice(PRINCIPLES)
        client.save(assessment, principle, client.load_principle(assessment, principle))
    elif kind == "pdf":
        client.download(kind, f"/assessments/{assessment}/report.pdf")
    else:
        suffix = {"csv": "report.csv", "json": "report.json"}[kind]
        client.request(kind, "GET", f"/assessments/{assessment}/{suffix}")


def pdf_phase(port, seeded, seconds: float) -> dict:
    recorder = Recorder()
    stop = threading.Event()

    def render(email: str, assessment: int) -> None:
        client = Client(port, recorder, email)
        client.login()
        while not stop.is_set():
            client.save(assessment, "P1", client.load_principle(assessment, "P1"), kind="pdf_save")
            client.download("pdf_render", f"/assessments/{assessment}/report.pdf")

    def read(email: str, assessment: int) -> None:
        client = Client(port, recorder, email)
        client.login()
        time.sleep(2)  # let the renders start
        while not stop.is_set():
            client.request("overview_under_pdf", "GET", f"/assessments/{assessment}/")
            time.sleep(0.05)

    threads = [threading.Thread(target=render, args=p) for p in seeded["pdf"]]
    threads += [threading.Thread(target=read, args=p) for p in seeded["overview_readers"]]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    times = [r.seconds for r in recorder.results if r.kind == "overview_under_pdf"]
    renders = [r for r in recorder.results if r.kind == "pdf_render" and r.status == 200]
    return {
        "overview_p95": percentile(times, 95),
        "overview_requests": len(times),
        "pdfs": len(renders),
        "pdf_p50": percentile([r.seconds for r in renders], 50),
        "errors": sum(500 <= r.status < 599 for r in recorder.results),
        "acks": recorder.acks,
    }


def race_phase(port, seeded, rounds: int) -> dict:
    recorder = Recorder()
    emails, assessment = seeded["race"]
    clients = [Client(port, recorder, email) for email in emails]
    for client in clients:
        client.login()
    acknowledged = []
    for _ in range(rounds):
        # Everyone loads the page, then all save its first question at the same moment.
        pages = [client.load_principle(assessment, "P2") for client in clients]
        gate = threading.Barrier(len(clients))
        before = len(recorder.acks)
        threads = [
            threading.Thread(
                target=client.save,
                args=(assessment, "P2", page, "race_save"),
                kwargs={"first": True, "gate": gate},
            )
            for client, page in zip(clients, pages, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        acknowledged.append(len(recorder.acks) - before)
    return {
        "acknowledged_per_round": acknowledged,
        "errors": sum(500 <= r.status < 599 for r in recorder.results),
        "acks": recorder.acks,
    }


def lost_saves(env: dict[str, str], acks) -> tuple[int, int]:
    """Return (overwritten unseen, never stored) among acknowledged saves."""
    by_base = collections.Counter((a, q, base) for a, q, base, _ in acks)
    overwritten = sum(count - 1 for count in by_base.values() if count > 1)
    with environment(env):
        import sqlalchemy as sa

        from assessment import create_app
        from assessment.extensions import db
        from assessment.models import AuditEvent

        app = create_app()
        with app.app_context():
            comments = {
                (event.new or {}).get("comment", "")
                for event in db.session.scalars(
                    sa.select(AuditEvent).where(AuditEvent.action == "answer")
                )
            }
            db.engine.dispose()
    missing = sum(f"bench {token}" not in comments for *_, token in acks)
    return overwritten, missing


def locked_errors(log: Path) -> int:
    """Count logged errors whose traceback says the SQLite database was locked."""
    text = log.read_text(errors="replace")
    records = re.split(r"\n(?=\d{4}-\d\d-\d\d |\[\d{4}-)", text)
    return sum("database is locked" in record for record in records)


def print_save_ratio(database: str | None, quiet: dict) -> None:
    """Print the quiet phase's page save against the bare insert, median against median."""
    where = f" on {database}" if database else ""
    print(f"save_ratio{where}: {quiet['save_p50'] / quiet['bare_p50']:.2f}  (page save p50 "
          f"{quiet['save_p50'] * 1000:.1f} ms, bare one-insert p50 {quiet['bare_p50'] * 1000:.1f} ms)")  # fmt: skip
    signed_in = quiet["signed_in_p50"]
    print(f"signed_in_insert_ratio{where}: {signed_in / quiet['bare_p50']:.2f}  (the same INSERT as a "
          f"route of the app, signed in and CSRF-checked: p50 {signed_in * 1000:.1f} ms; page save "
          f"against it {quiet['save_p50'] / signed_in:.2f})")  # fmt: skip
    positions = quiet["by_position"]
    by_position = ", ".join(
        f"{turn} {positions['save', n] / positions['bare', n]:.2f}" for n, turn in enumerate(TURNS)
    )
    print(f"save_ratio_by_position{where}: {by_position}  (page save against bare insert, "
          "each in the same place after the page's load)")  # fmt: skip
    print(f"save_ratio_cold{where}: {quiet['cold_save_p50'] / quiet['cold_bare_p50']:.2f}  (the first "
          f"{WARM_ROUNDS} of each, not counted: page save p50 {quiet['cold_save_p50'] * 1000:.1f} ms, "
          f"bare p50 {quiet['cold_bare_p50'] * 1000:.1f} ms)")  # fmt: skip
    sys.stdout.flush()


def report(database: str, args, shape: str, quiet, load: Recorder, pdf, race, lost, locked) -> None:
    by_kind = collections.defaultdict(list)
    for result in load.results:
        by_kind[result.kind].append(result)
    total = sum(len(v) for k, v in by_kind.items() if k != "login")
    print(f"== bench-load on {database}: {args.clients} clients, {args.duration:.0f} s, "
          f"{args.workers} gunicorn workers")  # fmt: skip
    print(f"jobs: {shape}")
    print(f"requests_per_second: {total / load.elapsed:.1f}")
    print(f"{'type':<12}{'count':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'5xx':>6}{'409':>6}")
    for kind in ("overview", "principle", "save", "csv", "json", "pdf", "approve"):
        results = by_kind.get(kind, [])
        times = [r.seconds * 1000 for r in results]
        print(f"{kind:<12}{len(results):>7}{percentile(times, 50):>10.1f}{percentile(times, 95):>10.1f}"
              f"{percentile(times, 99):>10.1f}{sum(r.status >= 500 for r in results):>6}"
              f"{sum(r.status == 409 for r in results):>6}")  # fmt: skip
    errors = sum(500 <= r.status < 599 for r in load.results) + pdf["errors"] + race["errors"]
    print(f"errors_5xx: {errors}")
    print(f"connection_errors: {sum(r.status == 599 for r in load.results)}")
    acknowledged = len(load.acks) + len(quiet["acks"]) + len(pdf["acks"]) + len(race["acks"])
    print(f"acknowledged_saves: {acknowledged}  (load {len(load.acks)}, race {len(race['acks'])})")
    print(f"lost_saves: {lost[0] + lost[1]}  (overwritten without being seen: {lost[0]}, "
          f"never stored: {lost[1]})")  # fmt: skip
    print_save_ratio(None, quiet)
    rounds = race["acknowledged_per_round"]
    print(f"race_acknowledged_per_round: {rounds}  (target: 1 each; "
          f"{sum(n - 1 for n in rounds if n > 1)} saves lost)")  # fmt: skip
    print(f"overview_p95_quiet_ms: {quiet['overview_p95'] * 1000:.1f}")
    print(f"overview_p95_under_pdf_load_ms: {pdf['overview_p95'] * 1000:.1f}  "
          f"({pdf['pdfs']} PDFs of changing drafts downloaded by 4 clients, p50 "
          f"{pdf['pdf_p50']:.1f} s until the bytes came; {pdf['overview_requests']} overviews)")  # fmt: skip
    print(f"overview_pdf_load_ratio: {pdf['overview_p95'] / quiet['overview_p95']:.1f}")
    if database == "sqlite":
        print(f"database_is_locked_errors: {locked}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--race-rounds", type=int, default=15)
    parser.add_argument("--pdf-seconds", type=float, default=20)
    parser.add_argument("--quiet-requests", type=int, default=100)
    parser.add_argument(
        "--quiet-only",
        action="store_true",
        help="run the quiet phase only and print save_ratio (a quick look while working)",
    )
    parser.add_argument(
        "--jobs",
        choices=("redis", "in-process"),
        default="redis",
        help="redis: the production shape (a worker renders); in-process: `make run`'s mode",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vp-bench-load."))
    postgres = PostgreSQL() if args.database == "postgresql" else None
    redis = RedisServer() if args.jobs == "redis" else None
    server = worker = None
    try:
        url = postgres.start() if postgres else f"sqlite:///{work / 'bench.db'}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FLASK_")},
            "FLASK_APP": "app",
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-load",
            "FLASK_EVIDENCE_DIR": str(work / "evidence"),
            "FLASK_EXTERNAL_URL": "http://127.0.0.1",
            "WEB_CONCURRENCY": str(args.workers),
        }
        if redis:
            env["REDIS_URL"] = redis.start()
        seeded = seed(env)
        port, log, worker_log = free_port(), work / "gunicorn.log", work / "worker.log"
        if redis:
            worker = start_worker(env, worker_log)
        server = start_gunicorn(env, port, args.workers, log)
        quiet = quiet_phase(port, seeded, args.quiet_requests)
        if args.quiet_only:
            print_save_ratio(args.database, quiet)
            return
        load = load_phase(port, seeded, args.clients, args.duration)
        pdf = pdf_phase(port, seeded, args.pdf_seconds)
        race = race_phase(port, seeded, args.race_rounds)
        if redis:  # read now: the worker lowers its own priority once the app is loaded
            shape = (
                f"RQ on Redis (Unix socket, no TCP port), 1 `flask worker` at nice "
                f"{niceness(worker.pid)}; gunicorn at nice {niceness(server.pid)}"
            )
        else:
            shape = "in-process (no Redis): downloads render in the web worker, as `make run`"
        stop(server)
        stop(worker)
        server = worker = None
        lost = lost_saves(env, load.acks + quiet["acks"] + pdf["acks"] + race["acks"])
        locked = locked_errors(log) + (locked_errors(worker_log) if redis else 0)
        report(args.database, args, shape, quiet, load, pdf, race, lost, locked)
    finally:
        stop(server)
        stop(worker)
        if redis:
            redis.stop()
        if postgres:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
