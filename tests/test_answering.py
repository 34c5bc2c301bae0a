"""One question saved on its own, evidence from the page form, filters, and honest figures."""

import html
import io
import re

import pytest
import sqlalchemy as sa

from assessment.catalogue import load_catalogue
from assessment.demo import DEMO_PROFILE
from assessment.extensions import db
from assessment.models import Answer, Assessment, Evidence, Role, Status
from assessment.progress import State, next_in_scope, principle_progress
from tests.factories import PASSWORD, make_answer, make_assessment, make_user

DEMO_LIKE_PROFILE = DEMO_PROFILE  # no livestreaming (P5 out of scope), no end-to-end encryption


def _url(assessment_id, question_id="P1.1", principle_id="P1"):
    return f"/assessments/{assessment_id}/principles/{principle_id}/questions/{question_id}"


def _stored(app, assessment_id) -> dict:
    with app.app_context():
        rows = db.session.scalars(sa.select(Answer).where(Answer.assessment_id == assessment_id))
        return {a.question_id: (a.value, a.comment, a.version) for a in rows}


def _base_version_sent_back(html: str, field: str = "q_P1_1") -> str:
    return re.search(rf'id="{field}-base_version"[^>]*value="(\d+)" hx-swap-oob="true"', html)[1]


# --- one question at a time ----------------------------------------------------------------


def test_one_question_saves_and_answers_with_its_state_and_version(client, logged_in, app):
    response = client.post(
        _url(logged_in),
        data={"q_P1_1-answer": "3", "q_P1_1-comment": "Hash lists", "q_P1_1-base_version": "0"},
    )
    assert response.status_code == 200
    assert "Saved " in response.text and "<html" not in response.text
    assert _base_version_sent_back(response.text) == "1"
    assert _stored(app, logged_in) == {"P1.1": ("3", "Hash lists", 1)}
    again = client.post(_url(logged_in), data={"q_P1_1-answer": "4", "q_P1_1-base_version": "1"})
    assert again.status_code == 200
    assert _base_version_sent_back(again.text) == "2"
    assert _stored(app, logged_in) == {"P1.1": ("4", "", 2)}


def test_only_the_named_question_is_written(client, logged_in, app):
    response = client.post(
        _url(logged_in),
        data={
            "q_P1_1-answer": "2",
            "q_P1_1-base_version": "0",
            "q_P1_2-answer": "4",  # the rest of the page travels along; it is not saved here
            "q_P1_2-base_version": "0",
        },
    )
    assert response.status_code == 200
    assert _stored(app, logged_in) == {"P1.1": ("2", "", 1)}


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("alt", "counts as met only with a rationale"),
        ("na", "'Not applicable' needs a reason"),
        ("magic", "Not a valid choice"),
    ],
)
def test_an_invalid_answer_is_refused_with_why_and_nothing_written(
    client, logged_in, app, answer, message
):
    response = client.post(
        _url(logged_in), data={"q_P1_1-answer": answer, "q_P1_1-base_version": "0"}
    )
    assert response.status_code == 422
    assert "Not saved:" in response.text and message in html.unescape(response.text)
    assert _stored(app, logged_in) == {}


def test_someone_elses_change_is_a_409_showing_theirs(client, logged_in, app):
    with app.app_context():
        make_answer(db.session.get(Assessment, logged_in), "P1.1", "4", "theirs")
        db.session.commit()
    response = client.post(_url(logged_in), data={"q_P1_1-answer": "1", "q_P1_1-base_version": "0"})
    assert response.status_code == 409
    assert "Their answer: Leading" in response.text and "theirs" in response.text
    assert _base_version_sent_back(response.text) == "1"  # saving again replaces theirs
    assert _stored(app, logged_in) == {"P1.1": ("4", "theirs", 1)}
    mine = client.post(_url(logged_in), data={"q_P1_1-answer": "1", "q_P1_1-base_version": "1"})
    assert mine.status_code == 200
    assert _stored(app, logged_in) == {"P1.1": ("1", "", 2)}


def test_a_locked_assessment_refuses_with_the_reason(client, logged_in, app):
    with app.app_context():
        db.session.get(Assessment, logged_in).status = Status.APPROVED
        db.session.commit()
    response = client.post(_url(logged_in), data={"q_P1_1-answer": "1"})
    assert response.status_code == 409
    assert "approved and locked" in response.text
    assert _stored(app, logged_in) == {}


@pytest.mark.parametrize(
    "path",
    [
        "/assessments/{id}/principles/P1/questions/P9.9",  # no such question
        "/assessments/{id}/principles/P2/questions/P1.1",  # not this principle's
        "/assessments/{id}/principles/P1/questions/P1.7",  # out of scope for this profile
        "/assessments/999/principles/P1/questions/P1.1",  # no such assessment
    ],
)
def test_questions_that_are_not_there_are_404(client, app, auth, path):
    with app.app_context():
        user = make_user()
        assessment = make_assessment(user, profile=DEMO_LIKE_PROFILE)
        db.session.commit()
        email, assessment_id = user.email, assessment.id
    auth.login(email)
    response = client.post(path.format(id=assessment_id), data={"q_P1_1-answer": "1"})
    assert response.status_code == 404


def test_a_viewer_and_another_organisation_cannot_save(client, app, auth, logged_in):
    with app.app_context():
        owner = db.session.get(Assessment, logged_in).organisation
        viewer = make_user(organisation=owner, role=Role.VIEWER)
        stranger = make_user(organisation_name="Elsewhere")
        db.session.commit()
        viewer_email, stranger_email = viewer.email, stranger.email
    auth.logout()
    auth.login(viewer_email)
    assert client.post(_url(logged_in), data={"q_P1_1-answer": "1"}).status_code == 403
    auth.logout()
    auth.login(stranger_email)
    assert client.post(_url(logged_in), data={"q_P1_1-answer": "1"}).status_code == 404
    assert _stored(app, logged_in) == {}


def test_saving_one_question_needs_the_csrf_token(app, member, auth):
    app.config["WTF_CSRF_ENABLED"] = True
    client = auth._client
    login_page = client.get("/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)[1]
    client.post("/auth/login", data={"email": member[0], "password": PASSWORD, "csrf_token": token})
    page = client.get(f"/assessments/{member[1]}/principles/P1").text
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page)[1]
    data = {"q_P1_1-answer": "2", "q_P1_1-base_version": "0"}
    assert client.post(_url(member[1]), data=data).status_code == 400
    saved = client.post(_url(member[1]), data=data, headers={"X-CSRFToken": header_token})
    assert saved.status_code == 200
    assert _stored(app, member[1])["P1.1"][0] == "2"


# --- the page form: evidence saves the typed answers first ---------------------------------


def test_adding_a_link_from_the_page_saves_the_typed_answers_first(client, logged_in, app):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={
            "q_P1_1-answer": "3",
            "q_P1_1-comment": "typed",
            "q_P1_2-answer": "2",
            "q_P1_1-evidence-title": "Runbook",
            "q_P1_1-evidence-url": "https://wiki.example.org/runbook",
            "evidence": "link:P1.1",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/principles/P1?evidence=P1.1#P1.1")
    assert {k: v[:2] for k, v in _stored(app, logged_in).items()} == {
        "P1.1": ("3", "typed"),
        "P1.2": ("2", ""),
    }
    with app.app_context():
        (item,) = db.session.scalars(sa.select(Evidence)).all()
        assert (item.question_id, item.title) == ("P1.1", "Runbook")
    page = client.get(response.headers["Location"]).text
    assert "Link “Runbook” added to P1.1." in page
    assert '<details class="evidence-items" id="evidence-P1.1" open>' in page
    assert 'Evidence for P1.1 <span class="count">(1)</span>' in page


def test_uploading_and_removing_from_the_page_keep_the_answers(client, logged_in, app):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={
            "q_P1_1-answer": "4",
            "q_P1_1-evidence-file": (io.BytesIO(b"Our policy, in plain text.\n"), "policy.txt"),
            "evidence": "upload:P1.1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        (item,) = db.session.scalars(sa.select(Evidence)).all()
        evidence_id = item.id
    removed = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={
            "q_P1_1-answer": "1",
            "q_P1_1-base_version": "1",
            "evidence": f"remove:{evidence_id}",
        },
    )
    assert removed.status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(Evidence)).all() == []
    assert _stored(app, logged_in)["P1.1"][:2] == ("1", "")


def test_a_refused_link_keeps_the_answers_and_says_why_beside_the_question(client, logged_in, app):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={
            "q_P1_1-answer": "3",
            "q_P1_1-evidence-title": "",
            "q_P1_1-evidence-url": "https://wiki.example.org",
            "evidence": "link:P1.1",
        },
        follow_redirects=True,
    )
    assert "P1.1: nothing was added." in response.text
    assert 'id="evidence-error-P1.1"' in response.text
    assert _stored(app, logged_in)["P1.1"][0] == "3"


def test_evidence_with_an_invalid_answer_on_the_page_keeps_what_was_typed(client, logged_in, app):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={
            "q_P1_1-answer": "3",
            "q_P1_2-answer": "alt",  # no rationale: refused, kept on the page
            "q_P1_1-evidence-title": "Runbook",
            "q_P1_1-evidence-url": "https://wiki.example.org/runbook",
            "evidence": "link:P1.1",
        },
    )
    assert response.status_code == 422
    assert re.search(r'checked[^>]*value="alt"|value="alt"[^>]*checked', response.text)
    assert "Link “Runbook” added to P1.1." in response.text
    assert {k: v[0] for k, v in _stored(app, logged_in).items()} == {"P1.1": "3"}


def test_not_applicable_needs_a_reason_on_the_page_too(client, logged_in, app):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={"q_P1_1-answer": "na", "q_P1_1-comment": " "},
    )
    assert response.status_code == 422
    assert "&#39;Not applicable&#39; needs a reason" in response.text
    ok = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={"q_P1_1-answer": "na", "q_P1_1-comment": "No uploads at all."},
    )
    assert ok.status_code == 302


# --- the navigator, next, filters ----------------------------------------------------------


def test_progress_names_each_principles_state_and_next_skips_out_of_scope():
    catalogue = load_catalogue()
    profile = DEMO_PROFILE
    answered = {q.id for q in catalogue.principles["P1"].questions}  # every P1 question
    answered.add(catalogue.principles["P2"].questions[0].id)
    progress = {p.id: p for p in principle_progress(catalogue, profile, answered)}
    assert progress["P5"].state == State.OUT_OF_SCOPE  # livestreaming: no
    assert progress["P2"].state == State.IN_PROGRESS
    assert progress["P3"].state == State.NOT_STARTED
    p1 = progress["P1"]
    assert p1.state == State.COMPLETE and p1.answered == p1.applicable
    ordered = list(progress.values())
    assert next_in_scope(ordered, "P4") == "P6"
    assert next_in_scope(ordered, "P11") is None


def test_save_and_next_skips_an_out_of_scope_principle(client, app, auth):
    with app.app_context():
        user = make_user()
        assessment = make_assessment(user, profile=DEMO_LIKE_PROFILE)
        db.session.commit()
        email, assessment_id = user.email, assessment.id
    auth.login(email)
    response = client.post(f"/assessments/{assessment_id}/principles/P4", data={"save_next": "1"})
    assert response.headers["Location"].endswith("/principles/P6")
    page = client.get(f"/assessments/{assessment_id}/principles/P5").text
    assert "Next: P6" in page and 'name="save"' not in page  # out of scope: a way on


def test_the_filters_list_matching_questions_across_principles(client, logged_in, app):
    with app.app_context():
        assessment = db.session.get(Assessment, logged_in)
        make_answer(assessment, "P1.1", "1", "low")  # a gap (25 < 75)
        make_answer(assessment, "P2.1", "4", "")
        db.session.commit()
    unanswered = client.get(f"/assessments/{logged_in}/questions?show=unanswered").text
    assert "P1.2" in unanswered and ">P1.1<" not in unanswered
    gaps = client.get(f"/assessments/{logged_in}/questions?show=gaps").text
    assert f"/assessments/{logged_in}/principles/P1#P1.1" in gaps and "P2.1" not in gaps
    assert "P1.2" not in gaps  # unanswered: listed under "Unanswered", not as a gap
    mine = client.get(f"/assessments/{logged_in}/questions?show=mine").text
    assert "No questions match." in mine
    changed = client.get(f"/assessments/{logged_in}/questions?show=changed").text
    assert "no earlier approved assessment" in changed
    unknown = client.get(f"/assessments/{logged_in}/questions?show=<script>")
    assert unknown.status_code == 200 and "<h1>Unanswered</h1>" in unknown.text


# --- honest figures --------------------------------------------------------------------------


def test_a_new_draft_shows_not_started_never_a_red_zero(client, logged_in):
    overview = client.get(f"/assessments/{logged_in}/").text
    assert "Not started" in overview
    assert "badge red" not in overview
    page = client.get(f"/assessments/{logged_in}/principles/P1").text
    assert "Not started" in page and "badge red" not in page


def test_a_drafts_scores_are_marked_provisional(client, logged_in, app):
    with app.app_context():
        make_answer(db.session.get(Assessment, logged_in), "P1.1", "4")
        db.session.commit()
    overview = client.get(f"/assessments/{logged_in}/").text
    assert 'class="provisional">provisional' in overview
    page = client.get(f"/assessments/{logged_in}/principles/P1").text
    assert 'class="provisional">provisional' in page
    with app.app_context():
        db.session.get(Assessment, logged_in).status = Status.APPROVED
        db.session.commit()
    assert "provisional" not in client.get(f"/assessments/{logged_in}/principles/P1").text


def test_save_also_adds_a_link_typed_but_not_added(client, logged_in, app):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={
            "q_P1_1-answer": "3",
            "q_P1_2-evidence-title": "Hash list contract",
            "q_P1_2-evidence-url": "https://wiki.example.org/contract",
            "save": "Save",
        },
        follow_redirects=True,
    )
    assert "Saved: 1 answer changed." in response.text
    assert "Link “Hash list contract” added to P1.2." in response.text
    with app.app_context():
        (item,) = db.session.scalars(sa.select(Evidence)).all()
        assert item.question_id == "P1.2"


def test_the_overview_charts_nothing_before_any_answer_and_names_what_is_not_started(
    client, logged_in, app
):
    overview = client.get(f"/assessments/{logged_in}/").text
    assert "no scores to chart" in overview and "<svg" not in overview
    with app.app_context():
        make_answer(db.session.get(Assessment, logged_in), "P1.1", "3")
        db.session.commit()
    overview = client.get(f"/assessments/{logged_in}/").text
    assert "<svg" in overview
    assert "Not started yet, so drawn at 0 in the charts: P2, P3" in overview
