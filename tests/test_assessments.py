"""Creating an assessment, its overview, and answering one principle's page."""

import sqlalchemy as sa

from assessment.applicability import question_applies
from assessment.extensions import current_catalogue, db
from assessment.models import Answer, Assessment, AuditEvent
from tests.factories import make_answer, make_user

PROFILE_FORM = {
    "q_hosts_media": "yes",
    "q_user_interaction": "yes",
    "q_file_storage": "no",
    "q_groups_communities": "yes",
    "q_gaming_virtual_worlds": "no",
    "q_anonymous_accounts": "no",
    "q_private_messaging": "yes",
    "q_e2ee_messaging": "no",
    "q_livestreaming": "no",
    "q_search": "no",
    "q_under_18s": "yes",
    "q_recommends_contacts": "yes",
    "q_generative_images": "no",
    "q_mau_band": "100k_1m",
    "q_regions": ["uk", "au"],
}


def _stored_answers(app, assessment_id):
    with app.app_context():
        return {
            a.question_id: (a.value, a.comment)
            for a in db.session.scalars(
                sa.select(Answer).where(Answer.assessment_id == assessment_id)
            )
        }


def test_create_assessment_with_service_profile(client, logged_in, app):
    response = client.post("/assessments/new", data={"service_name": "Acme Chat", **PROFILE_FORM})
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        assessment = db.session.get(Assessment, new_id)
        assert assessment.service_name == "Acme Chat"
        assert assessment.profile["livestreaming"] is False
        assert assessment.profile["regions"] == ["uk", "au"]
        assert assessment.catalogue_fingerprint
    overview = client.get(f"/assessments/{new_id}/")
    assert "Acme Chat" in overview.text
    assert "livestreaming" in overview.text.lower()


def test_create_assessment_requires_every_profile_answer(client, logged_in, app):
    data = {"service_name": "Acme Chat", **PROFILE_FORM}
    del data["q_search"]
    response = client.post("/assessments/new", data=data)
    assert response.status_code == 422
    assert "Answer yes or no." in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 1


def test_overview_shows_each_principle_completion_and_score(client, logged_in, app):
    with app.app_context():
        assessment = db.session.get(Assessment, logged_in)
        p1 = current_catalogue().principles["P1"]
        applicable = [q for q in p1.questions if question_applies(p1, q, assessment.profile)]
        for question in applicable:
            make_answer(assessment, question.id, "4")
        db.session.commit()
    page = client.get(f"/assessments/{logged_in}/").text
    assert f"P1 · {p1.title}" in page
    assert "100 · Leading" in page
    assert f"{len(applicable)} / {len(applicable)}" in page


def test_save_a_principle_page_stores_answer_comment_and_audit(client, logged_in, app):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={"q_P1_1-answer": "3", "q_P1_1-comment": "PhotoDNA on upload", "save": "Save"},
    )
    assert response.status_code == 302
    assert _stored_answers(app, logged_in) == {"P1.1": ("3", "PhotoDNA on upload")}
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "answer")).one()
        assert event.target == "P1.1"
        assert event.old is None
        assert event.new == {"value": "3", "comment": "PhotoDNA on upload"}
    page = client.get(response.headers["Location"]).text
    assert "Saved: 1 answer changed." in page
    assert "PhotoDNA on upload" in page


def test_save_and_next_goes_to_the_following_principle(client, logged_in):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={"q_P1_1-answer": "2", "save_next": "1"},
    )
    assert response.headers["Location"].endswith("/principles/P2")


def test_invalid_page_shows_the_error_next_to_the_field_and_changes_nothing(client, logged_in, app):
    with app.app_context():
        make_answer(db.session.get(Assessment, logged_in), "P1.1", "2", "kept")
        db.session.commit()
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={
            "q_P1_1-answer": "not-an-option",
            "q_P1_1-comment": "changed",
            "q_P1_1-base_version": "1",
        },
    )
    assert response.status_code == 422
    assert "Nothing was saved" in response.text
    assert "Not a valid choice" in response.text
    assert _stored_answers(app, logged_in) == {"P1.1": ("2", "kept")}


def test_alternative_measure_needs_a_rationale(client, logged_in, app):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={"q_P1_1-answer": "alt", "q_P1_1-comment": "  "},
    )
    assert response.status_code == 422
    assert "counts as met only with a rationale" in response.text
    assert _stored_answers(app, logged_in) == {}


def test_comment_longer_than_the_limit_is_refused(client, logged_in, app):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={"q_P1_1-answer": "1", "q_P1_1-comment": "x" * 5001},
    )
    assert response.status_code == 422
    assert _stored_answers(app, logged_in) == {}


def test_questions_scoped_out_by_the_profile_are_shown_as_not_applicable(client, app):
    with app.app_context():
        user = make_user()
        from tests.factories import FULL_PROFILE, make_assessment

        assessment = make_assessment(user, profile={**FULL_PROFILE, "livestreaming": False})
        db.session.commit()
        email, assessment_id = user.email, assessment.id
    client.post("/auth/login", data={"email": email, "password": "correct horse battery"})
    page = client.get(f"/assessments/{assessment_id}/principles/P5").text
    assert "Not applicable to this service" in page
    assert "livestreaming" in page
    assert 'name="q_P5_1-answer"' not in page
    # A forged answer for an out-of-scope question is not stored.
    client.post(f"/assessments/{assessment_id}/principles/P5", data={"q_P5_1-answer": "4"})
    assert _stored_answers(app, assessment_id) == {}


def test_stale_save_is_refused_and_shows_the_other_answer(app, logged_in, client):
    other = app.test_client()
    page = f"/assessments/{logged_in}/principles/P1"
    # Both people open the page at version 0; the first saves.
    first = client.post(
        page, data={"q_P1_1-answer": "4", "q_P1_1-comment": "first", "q_P1_1-base_version": "0"}
    )
    assert first.status_code == 302
    with app.app_context():
        from tests.factories import PASSWORD

        email = db.session.get(Assessment, logged_in).created_by.email
    other.post("/auth/login", data={"email": email, "password": PASSWORD})
    second = other.post(
        page, data={"q_P1_1-answer": "1", "q_P1_1-comment": "second", "q_P1_1-base_version": "0"}
    )
    assert second.status_code == 409
    assert "changed this answer since you opened the page" in second.text
    assert "Their answer: Leading" in second.text
    assert "first" in second.text
    assert _stored_answers(app, logged_in) == {"P1.1": ("4", "first")}
    # Saving again from the refreshed form (now based on version 1) goes through.
    third = other.post(
        page, data={"q_P1_1-answer": "1", "q_P1_1-comment": "second", "q_P1_1-base_version": "1"}
    )
    assert third.status_code == 302
    assert _stored_answers(app, logged_in) == {"P1.1": ("1", "second")}
    with app.app_context():
        trail = [
            e.new
            for e in db.session.scalars(
                sa.select(AuditEvent).where(AuditEvent.action == "answer").order_by(AuditEvent.id)
            )
        ]
    assert trail == [{"value": "4", "comment": "first"}, {"value": "1", "comment": "second"}]


def test_profile_edit_changes_scope_and_is_audited(client, logged_in, app):
    response = client.post(f"/assessments/{logged_in}/profile", data={**PROFILE_FORM})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Assessment, logged_in).profile["search"] is False
        assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "profile")).one()
    overview = client.get(f"/assessments/{logged_in}/").text
    assert "offer search" in overview


def test_unknown_principle_is_404(client, logged_in):
    assert client.get(f"/assessments/{logged_in}/principles/P99").status_code == 404


def test_the_json_download_carries_the_audit_trail(client, logged_in):
    client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={"q_P1_1-answer": "2", "q_P1_1-comment": "audited"},
    )
    export = client.get(f"/assessments/{logged_in}/report.json").get_json()
    assert [(e["action"], e["target"]) for e in export["audit"]] == [("answer", "P1.1")]
    assert export["audit"][0]["new"] == {"value": "2", "comment": "audited"}
