"""Two API clients writing one answer at once: one write lands, the other gets 412, nothing is lost.

Two sessions in two threads, lined up by a barrier, on SQLite and PostgreSQL
(as tests/test_concurrency.py does for the pages). On PostgreSQL a second test
holds both requests between their read and their write, where a check in
Python would pass for both: the conditional UPDATE refuses the second.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import Role
from assessment.views import api as api_views
from tests.api_support import ApiClient
from tests.factories import make_answer, make_assessment, make_token, make_user
from tests.test_concurrency import answer_events, on_sqlite, run_together, stored_answer

ROUNDS = 4


@pytest.fixture
def writers(app):
    """An admin and a respondent with write tokens, and a draft with one answer."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN, name="Ada Admin")
        respondent = make_user(
            organisation=admin.memberships[0].organisation,
            role=Role.RESPONDENT,
            name="Rita Respondent",
        )
        assessment = make_assessment(admin)
        make_answer(assessment, "P1.1", "2", "first answer")
        tokens = {"admin": make_token(admin), "respondent": make_token(respondent)}
        db.session.commit()
        return {"assessment_id": assessment.id, "tokens": tokens}


def write(app, token, assessment_id, value, comment, version):
    api = ApiClient(app.test_client(), token)
    api.document  # noqa: B018 - read before the race, so both threads only write

    def call(barrier):
        barrier.wait()
        return api.put(
            f"/assessments/{assessment_id}/answers/P1.1",
            headers={"If-Match": f'"{version}"'},
            json={"value": value, "comment": comment},
        )

    return call


def test_two_writes_on_one_etag_are_one_200_and_one_412_and_nothing_is_lost(app, writers):
    aid, tokens = writers["assessment_id"], writers["tokens"]
    for round_ in range(ROUNDS):
        version = stored_answer(app, aid)[2]
        events = answer_events(app, aid)
        first, second = run_together(
            write(app, tokens["admin"], aid, "3", f"admin round {round_}", version),
            write(app, tokens["respondent"], aid, "4", f"respondent round {round_}", version),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 412]
        saved, refused = (first, second) if first.status_code == 200 else (second, first)
        winner = (
            ("3", f"admin round {round_}")
            if saved is first
            else ("4", f"respondent round {round_}")
        )
        assert stored_answer(app, aid) == (*winner, version + 1)
        assert answer_events(app, aid) == events + 1  # one audited change, the winner's
        # The refused client is told what is stored now, and the ETag to write against.
        assert (refused.json["current"]["value"], refused.json["current"]["comment"]) == winner
        assert refused.headers["ETag"] == f'"{version + 1}"'


def test_the_database_refuses_the_second_write_after_both_read_the_same_version(
    app, writers, monkeypatch
):
    if on_sqlite(app):
        pytest.skip(
            "SQLite serialises writers at BEGIN IMMEDIATE: two write transactions cannot both "
            "hold a barrier; the test above covers SQLite"
        )
    aid, tokens = writers["assessment_id"], writers["tokens"]
    barrier_holder = {}
    record_answers = api_views.record_answers

    def record_after_both_read(assessment, user, changes):
        # Both requests have read the answer at version 1: the Python check passes for both.
        assert assessment.answers_by_question()["P1.1"].version == 1
        barrier_holder["barrier"].wait()
        return record_answers(assessment, user, changes)

    monkeypatch.setattr(api_views, "record_answers", record_after_both_read)

    def racing(token, value):
        api = ApiClient(app.test_client(), token)
        api.document  # noqa: B018

        def call(barrier):
            barrier_holder["barrier"] = barrier
            return api.put(
                f"/assessments/{aid}/answers/P1.1",
                headers={"If-Match": '"1"'},
                json={"value": value, "comment": value},
            )

        return call

    first, second = run_together(racing(tokens["admin"], "3"), racing(tokens["respondent"], "4"))
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    winner = "3" if first.status_code == 200 else "4"
    assert stored_answer(app, aid) == (winner, winner, 2)
    refused = second if first.status_code == 200 else first
    assert refused.json["current"]["value"] == winner
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("answer"))) == 1
