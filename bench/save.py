"""Benchmark: what a page save costs against a bare one-insert endpoint of the same app.

Not a test: run it (`make bench`, or `.venv/bin/python bench/save.py`) and read
the ratio. Both requests go through the Flask test client on the same app and
database (SQLite in a temporary folder, or DATABASE_URL), interleaved in
rounds so that neither gets a warmer cache. The page save changes every
answer of the principle with the most applicable questions.

Prints `save_ratio` (fastest page save / fastest bare insert; the target is
<= 3), both in milliseconds, the ratio of the medians, and the statements one
save runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from assessment import create_app  # noqa: E402
from assessment.applicability import question_applies  # noqa: E402
from assessment.db import database_url  # noqa: E402
from assessment.extensions import current_catalogue, db  # noqa: E402
from assessment.forms import field_name  # noqa: E402
from assessment.models import LoginFailure  # noqa: E402
from tests.factories import FULL_PROFILE, PASSWORD, make_assessment, make_user  # noqa: E402


def build_app(folder: Path):
    url = database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}", "")
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "scrypt:4096:8:1",
        }
    )

    def bare_insert():
        """The yardstick: one row inserted and committed."""
        db.session.add(LoginFailure(key="bench"))
        db.session.commit()
        return "", 204

    app.add_url_rule("/bench/insert", "bench_insert", bare_insert, methods=["POST"])
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def arrange(app):
    """Create a user and an assessment; return (email, assessment id, principle id, questions)."""
    with app.app_context():
        user = make_user()
        assessment = make_assessment(user)
        db.session.commit()
        catalogue = current_catalogue()
        principle = max(
            catalogue.principles.values(),
            key=lambda p: sum(question_applies(p, q, FULL_PROFILE) for q in p.questions),
        )
        questions = [
            q
            for q in principle.questions
            if question_applies(principle, q, FULL_PROFILE) and q.type == "scale"
        ]
        return user.email, assessment.id, principle.id, questions


def page_data(questions, round_: int) -> dict[str, str]:
    """Every answer of the page changed from the previous round."""
    data = {}
    for question in questions:
        name = field_name(question.id)
        data[f"{name}-answer"] = str(1 + round_ % 3)
        data[f"{name}-comment"] = f"round {round_}"
        data[f"{name}-base_version"] = str(round_)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        email, aid, principle_id, questions = arrange(app)
        client = app.test_client()
        response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        url = f"/assessments/{aid}/principles/{principle_id}"

        statements: list[str] = []
        with app.app_context():
            engine = db.engine

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        saves, inserts = [], []
        for round_ in range(args.rounds + 5):
            data = page_data(questions, round_)
            start = time.perf_counter()
            if round_ == 3:
                sa.event.listen(engine, "before_cursor_execute", count)
            saved = client.post(url, data=data)
            if round_ == 3:
                sa.event.remove(engine, "before_cursor_execute", count)
            save_time = time.perf_counter() - start
            assert saved.status_code == 302, (saved.status_code, saved.text[:500])
            start = time.perf_counter()
            inserted = client.post("/bench/insert")
            insert_time = time.perf_counter() - start
            assert inserted.status_code == 204
            if round_ >= 5:  # warm-up rounds are not counted
                saves.append(save_time)
                inserts.append(insert_time)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    # The fastest run of each is its cost without interference from other processes
    # (the reasoning of `timeit`); the medians are printed too, for a noisy machine.
    save_ms, insert_ms = min(saves) * 1000, min(inserts) * 1000
    median_ratio = statistics.median(saves) / statistics.median(inserts)
    backend = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    print(f"backend: {backend}")
    print(f"answers_per_save: {len(questions)}")
    print(f"statements_per_save: {len(statements)}")
    print(f"save_ms: {save_ms:.2f}")
    print(f"bare_insert_ms: {insert_ms:.2f}")
    print(f"save_ratio: {save_ms / insert_ms:.2f}")
    print(f"save_ratio_of_medians: {median_ratio:.2f}")


if __name__ == "__main__":
    main()
