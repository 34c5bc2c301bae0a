"""The JSON API: tokens, scoping, roles, optimistic concurrency and the OpenAPI document."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from assessment.api_tokens import TokenRefused, issue_token
from assessment.extensions import db
from assessment.models import (
    Answer,
    ApiToken,
    Assessment,
    AuditEvent,
    Membership,
    Role,
    Status,
    utcnow,
)
from tests.api_support import ApiClient, validate_document
from tests.factories import PASSWORD, make_answer, make_assessment, make_token, make_user


@pytest.fixture
def org(app):
    """An organisation with one member per role, two assessments, and an outsider's own one."""
    with app.app_context():
        admin = make_user(role=Role.ADMIN, name="Ada Admin")
        organisation = admin.memberships[0].organisation
        people = {"admin": admin}
        for role in (Role.RESPONDENT, Role.REVIEWER, Role.VIEWER):
            people[role.value] = make_user(organisation=organisation, role=role)
        draft = make_assessment(admin, service_name="Acme Chat")
        make_answer(draft, "P1.1", "2", "first answer")
        other = make_assessment(admin, service_name="Acme Video", status=Status.IN_REVIEW)
        outsider = make_user(organisation_name="Another Org")
        theirs = make_assessment(outsider, service_name="Their Service")
        tokens = {
            role: make_token(user, "write" if role != "viewer" else "read")
            for role, user in people.items()
            if role != "reviewer"
        }
        tokens["reviewer"] = make_token(people["reviewer"], "read")
        tokens["admin_read"] = make_token(admin, "read")
        tokens["outsider"] = make_token(outsider, "write")
        db.session.commit()
        return {
            "tokens": tokens,
            "emails": {role: user.email for role, user in people.items()},
            "draft": draft.id,
            "other": other.id,
            "theirs": theirs.id,
            "organisation": organisation.id,
        }


@pytest.fixture
def api(client, org):
    return ApiClient(client, org["tokens"]["admin"])


def test_the_openapi_document_is_valid_openapi_3_1(api):
    validate_document(api.document)
    paths = api.document["paths"]
    assert set(paths) == {
        "/api/v1/assessments",
        "/api/v1/assessments/{assessment_id}",
        "/api/v1/assessments/{assessment_id}/answers",
        "/api/v1/assessments/{assessment_id}/answers/{question_id}",
        "/api/v1/assessments/{assessment_id}/catalogue",
        "/api/v1/assessments/{assessment_id}/submit",
    }
    write = paths["/api/v1/assessments/{assessment_id}/answers/{question_id}"]["put"]
    assert {"200", "401", "403", "404", "409", "412", "422", "428", "429"} <= set(
        write["responses"]
    )
    assert api.document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_the_document_is_public_and_the_rest_needs_a_token(client, org):
    assert client.get("/api/v1/openapi.json").status_code == 200
    anonymous = ApiClient(client)
    response = anonymous.get("/assessments")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json["error"]
    assert anonymous.get("/assessments", token="vpat_made-up").status_code == 401


def test_an_unknown_api_address_answers_json(api):
    response = api.client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json["error"]
    assert api.client.delete("/api/v1/assessments").status_code == 405


def test_the_list_is_the_organisations_with_filters_and_paging(api, org):
    everything = api.get("/assessments").json
    assert everything["total"] == 2
    assert {a["id"] for a in everything["assessments"]} == {org["draft"], org["other"]}
    assert org["theirs"] not in {a["id"] for a in everything["assessments"]}
    drafts = api.get("/assessments?status=draft").json
    assert [a["id"] for a in drafts["assessments"]] == [org["draft"]]
    video = api.get("/assessments?service=VIDEO").json
    assert [a["service"] for a in video["assessments"]] == ["Acme Video"]
    assert api.get("/assessments?service=%25").json["total"] == 0  # a wildcard is a character
    first = api.get("/assessments?per_page=1&page=1").json
    second = api.get("/assessments?per_page=1&page=2").json
    assert (first["pages"], first["total"]) == (2, 2)
    assert first["assessments"][0]["id"] == org["other"]  # newest first
    assert second["assessments"][0]["id"] == org["draft"]


@pytest.mark.parametrize(
    "query", ["status=lost", "per_page=0", "per_page=101", "page=-1", "page=x", "colour=red"]
)
def test_a_bad_filter_is_a_clear_4xx(api, query):
    response = api.get(f"/assessments?{query}")
    assert response.status_code == 422
    assert response.json["problems"]


def test_an_assessment_reads_as_its_json_export(api, org, client):
    document = api.get(f"/assessments/{org['draft']}").json
    session = client.application.test_client()
    session.post("/auth/login", data={"email": org["emails"]["admin"], "password": PASSWORD})
    export = json.loads(session.get(f"/assessments/{org['draft']}/report.json").data)
    assert document == export
    assert document["schema_version"] == "1.2"


def test_answers_and_one_answer_with_its_etag(api, org):
    answers = api.get(f"/assessments/{org['draft']}/answers").json["answers"]
    assert [(a["question_id"], a["value"], a["version"]) for a in answers] == [("P1.1", "2", 1)]
    one = api.get(f"/assessments/{org['draft']}/answers/P1.1")
    assert one.headers["ETag"] == '"1"'
    unanswered = api.get(f"/assessments/{org['draft']}/answers/P1.2")
    assert (unanswered.json["version"], unanswered.headers["ETag"]) == (0, '"0"')
    assert api.get(f"/assessments/{org['draft']}/answers/P99.9").status_code == 404


def test_the_catalogue_version_it_uses(api, org, app):
    body = api.get(f"/assessments/{org['draft']}/catalogue").json
    with app.app_context():
        fingerprint = db.session.get(Assessment, org["draft"]).catalogue_fingerprint
    assert body["fingerprint"] == fingerprint and body["running"] is True
    assert body["catalogue"]["themes"]


def test_a_write_with_the_current_etag_is_stored_and_audited(api, org, app):
    url = f"/assessments/{org['draft']}/answers/P1.1"
    response = api.put(url, headers={"If-Match": '"1"'}, json={"value": "4", "comment": "API"})
    assert response.status_code == 200
    assert response.headers["ETag"] == '"2"'
    assert (response.json["value"], response.json["updated_by"]) == ("4", "Ada Admin")
    with app.app_context():
        answer = db.session.scalars(sa.select(Answer).where(Answer.question_id == "P1.1")).one()
        assert (answer.value, answer.comment, answer.version) == ("4", "API", 2)
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "answer").order_by(AuditEvent.id)
        ).all()[-1]
        assert (event.target, event.old["value"], event.new["value"]) == ("P1.1", "2", "4")
    first = api.put(
        f"/assessments/{org['draft']}/answers/P1.2",
        headers={"If-Match": '"0"'},
        json={"value": "3"},
    )
    assert first.status_code == 200 and first.headers["ETag"] == '"1"'


def test_a_stale_write_gets_412_with_the_current_answer_and_changes_nothing(api, org, app):
    url = f"/assessments/{org['draft']}/answers/P1.1"
    assert api.put(url, headers={"If-Match": '"1"'}, json={"value": "4"}).status_code == 200
    stale = api.put(url, headers={"If-Match": '"1"'}, json={"value": "0", "comment": "late"})
    assert stale.status_code == 412
    assert stale.json["current"]["value"] == "4" and stale.json["current"]["version"] == 2
    assert stale.headers["ETag"] == '"2"'
    with app.app_context():
        answer = db.session.scalars(sa.select(Answer).where(Answer.question_id == "P1.1")).one()
        assert (answer.value, answer.version) == ("4", 2)


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"value": "3"}, 428),
        ({"If-Match": "*"}, {"value": "3"}, 400),
        ({"If-Match": '"1"'}, {"value": "7"}, 422),
        ({"If-Match": '"1"'}, {"value": ["3"]}, 422),
        ({"If-Match": '"1"'}, {"value": "3", "extra": 1}, 422),
        ({"If-Match": '"1"'}, {"value": "3", "comment": "x" * 5001}, 422),
        ({"If-Match": '"1"'}, {"value": "3\x00"}, 422),
        ({"If-Match": '"1"'}, [1, 2], 422),
    ],
)
def test_a_write_that_does_not_fit_is_refused_clearly(api, org, app, headers, body, status):
    url = f"/assessments/{org['draft']}/answers/P1.1"
    response = api.put(url, headers=headers, json=body)
    assert response.status_code == status, response.json
    assert response.json["error"]
    with app.app_context():
        answer = db.session.scalars(sa.select(Answer).where(Answer.question_id == "P1.1")).one()
        assert (answer.value, answer.version) == ("2", 1)


def test_a_question_that_does_not_apply_takes_no_answer(api, app, org):
    with app.app_context():
        admin = (
            db.session.scalars(
                sa.select(Membership).where(Membership.organisation_id == org["organisation"])
            )
            .first()
            .user
        )
        narrow = make_assessment(admin, profile={"e2ee_messaging": "no"})
        db.session.commit()
        narrow_id = narrow.id
    from assessment.extensions import current_catalogue

    with app.app_context():
        catalogue = current_catalogue()
        principle, question = next(
            (p, q)
            for p in catalogue.principles.values()
            for q in p.questions
            if q.applies_if is not None
        )
        from assessment.applicability import question_applies

        assert not question_applies(principle, question, {"e2ee_messaging": "no"})
    response = api.put(
        f"/assessments/{narrow_id}/answers/{question.id}",
        headers={"If-Match": '"0"'},
        json={"value": None, "comment": "not for us"},
    )
    assert response.status_code == 422 and "does not apply" in response.json["error"]


def test_in_review_and_approved_assessments_refuse_writes(api, org, app):
    in_review = api.put(
        f"/assessments/{org['other']}/answers/P1.1",
        headers={"If-Match": '"0"'},
        json={"value": "3"},
    )
    assert in_review.status_code == 409 and "in review" in in_review.json["error"]
    with app.app_context():
        db.session.get(Assessment, org["draft"]).status = Status.APPROVED
        db.session.get(Assessment, org["draft"]).approved_at = utcnow()
        db.session.commit()
    locked = api.put(
        f"/assessments/{org['draft']}/answers/P1.1",
        headers={"If-Match": '"1"'},
        json={"value": "3"},
    )
    assert locked.status_code == 409 and "locked" in locked.json["error"]


def test_submit_for_review(api, org, app):
    response = api.post(f"/assessments/{org['draft']}/submit")
    assert response.status_code == 200 and response.json["status"] == "in_review"
    with app.app_context():
        assert db.session.get(Assessment, org["draft"]).status == Status.IN_REVIEW
        events = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.assessment_id == org["draft"], AuditEvent.action == "status"
            )
        ).all()
        assert [e.new["status"] for e in events] == ["in_review"]
    again = api.post(f"/assessments/{org['draft']}/submit")
    assert again.status_code == 409 and again.json["error"]


def test_a_token_cannot_cross_organisations(api, org):
    for path in ("", "/answers", "/answers/P1.1", "/catalogue"):
        assert api.get(f"/assessments/{org['theirs']}{path}").status_code == 404
    write = api.put(
        f"/assessments/{org['theirs']}/answers/P1.1",
        headers={"If-Match": '"0"'},
        json={"value": "3"},
    )
    assert write.status_code == 404
    assert api.post(f"/assessments/{org['theirs']}/submit").status_code == 404
    theirs = api.get("/assessments", token=org["tokens"]["outsider"]).json
    assert [a["id"] for a in theirs["assessments"]] == [org["theirs"]]


@pytest.mark.parametrize(
    ("who", "may_write"),
    [
        ("admin", True),
        ("respondent", True),
        ("admin_read", False),  # a read-only token of an admin
        ("reviewer", False),  # the role does not answer
        ("viewer", False),
    ],
)
def test_a_token_does_no_more_than_its_scope_and_role(api, org, who, may_write):
    token = org["tokens"][who]
    assert api.get(f"/assessments/{org['draft']}", token=token).status_code == 200
    write = api.put(
        f"/assessments/{org['draft']}/answers/P1.1",
        token=token,
        headers={"If-Match": '"1"'},
        json={"value": "3"},
    )
    assert write.status_code == (200 if may_write else 403)
    submit = api.post(f"/assessments/{org['draft']}/submit", token=token)
    assert submit.status_code == (200 if may_write else 403)


def test_a_write_token_cannot_be_made_beyond_the_role(app, org):
    with app.app_context():
        viewer = db.session.scalars(
            sa.select(Membership).where(
                Membership.organisation_id == org["organisation"], Membership.role == Role.VIEWER
            )
        ).one()
        with pytest.raises(TokenRefused, match="no more than you can"):
            issue_token(viewer.user, viewer, "sync", "write", 30)
        for days in (0, 367):
            with pytest.raises(TokenRefused):
                issue_token(viewer.user, viewer, "sync", "read", days)


def test_a_lowered_role_or_a_removed_member_takes_effect_at_once(api, org, app):
    token = org["tokens"]["respondent"]
    with app.app_context():
        membership = db.session.scalars(
            sa.select(Membership).where(Membership.user.has(email=org["emails"]["respondent"]))
        ).one()
        membership.role = Role.VIEWER
        db.session.commit()
        membership_id = membership.id
    write = api.put(
        f"/assessments/{org['draft']}/answers/P1.1",
        token=token,
        headers={"If-Match": '"1"'},
        json={"value": "3"},
    )
    assert write.status_code == 403
    with app.app_context():
        db.session.execute(sa.delete(Membership).where(Membership.id == membership_id))
        db.session.commit()
    assert api.get("/assessments", token=token).status_code == 401


def test_an_expired_token_is_refused(api, org, app):
    token = org["tokens"]["admin"]
    with app.app_context():
        stored = db.session.scalars(
            sa.select(ApiToken).where(
                ApiToken.token_hash == hashlib.sha256(token.encode()).hexdigest()
            )
        ).one()
        stored.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert api.get("/assessments", token=token).status_code == 401


def test_the_token_page_shows_a_secret_once_stores_its_hash_and_revokes(app, client, org):
    client.post("/auth/login", data={"email": org["emails"]["respondent"], "password": PASSWORD})
    made = client.post(
        "/account/tokens/", data={"name": "GRC sync", "scope": "write", "days": "30"}
    )
    assert made.status_code == 200 and "no-store" in made.headers["Cache-Control"]
    secret = made.text.split('<code class="token-secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("vpat_")
    assert secret not in client.get("/account/tokens/").text  # shown once
    with app.app_context():
        stored = db.session.scalars(sa.select(ApiToken).where(ApiToken.name == "GRC sync")).one()
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in {stored.token_hash, stored.prefix, stored.name}
        assert stored.organisation_id == org["organisation"]
        assert stored.expires_at - utcnow() > timedelta(days=29)
        token_id = stored.id
    api = ApiClient(client, secret)
    assert api.get("/assessments").status_code == 200
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/assessments").status_code == 401
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.target == f"token:{token_id}")
        ).all()
    assert sorted(actions) == ["api_token_created", "api_token_revoked"]


def test_the_token_page_refuses_a_write_token_to_a_viewer(client, org):
    client.post("/auth/login", data={"email": org["emails"]["viewer"], "password": PASSWORD})
    page = client.get("/account/tokens/")
    assert 'value="write"' not in page.text
    refused = client.post("/account/tokens/", data={"name": "x", "scope": "write", "days": "30"})
    assert refused.status_code == 422 and "token-secret" not in refused.text


def test_nobody_revokes_another_persons_token(app, client, org):
    with app.app_context():
        admins = db.session.scalars(sa.select(ApiToken).where(ApiToken.scope == "write")).first()
        token_id = admins.id
    client.post("/auth/login", data={"email": org["emails"]["viewer"], "password": PASSWORD})
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_a_session_cookie_does_not_authenticate_the_api(app, client, org):
    client.post("/auth/login", data={"email": org["emails"]["admin"], "password": PASSWORD})
    session_only = ApiClient(client)
    assert session_only.get("/assessments").status_code == 401
    write = session_only.put(
        f"/assessments/{org['draft']}/answers/P1.1",
        headers={"If-Match": '"1"'},
        json={"value": "4"},
    )
    assert write.status_code == 401
    with app.app_context():
        answer = db.session.scalars(sa.select(Answer).where(Answer.question_id == "P1.1")).one()
        assert (answer.value, answer.version) == ("2", 1)


@pytest.fixture
def csrf_app(app_config, request):
    """The app with CSRF protection on, as in production."""
    app_config["WTF_CSRF_ENABLED"] = True
    return request.getfixturevalue("app")


def test_token_writes_need_no_csrf_token_while_forms_still_do(csrf_app):
    with csrf_app.app_context():
        user = make_user(role=Role.ADMIN)
        assessment = make_assessment(user)
        token = make_token(user)
        db.session.commit()
        assessment_id, email = assessment.id, user.email
    client = csrf_app.test_client()
    response = ApiClient(client, token).put(
        f"/assessments/{assessment_id}/answers/P1.1",
        headers={"If-Match": '"0"'},
        json={"value": "3"},
    )
    assert response.status_code == 200
    # The token page is a form like any other: without its CSRF token, nothing is made.
    client.post("/auth/login", data={"email": email, "password": PASSWORD})
    refused = client.post("/account/tokens/", data={"name": "x", "scope": "read", "days": "30"})
    assert refused.status_code == 400
    with csrf_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 1


def test_per_token_rate_limit(app, client, org):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    api = ApiClient(client, org["tokens"]["admin"])
    codes = [api.get("/assessments").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = api.get("/assessments")
    assert "may send 3 per 1 minute" in limited.json["error"]
    assert int(limited.headers["Retry-After"]) > 0
    # Another token has an allowance of its own.
    assert api.get("/assessments", token=org["tokens"]["admin_read"]).status_code == 200


def test_the_limiter_counts_api_requests_only(app, client, org):
    """Only the API has limits: pages are neither limited nor counted against a token."""
    app.config["API_RATE_LIMIT"] = "2 per minute"
    for _ in range(5):
        page = client.get("/")
        assert page.status_code == 200
        assert "X-RateLimit-Limit" not in page.headers
    api = ApiClient(client, org["tokens"]["admin"])
    answers = [api.get("/assessments") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "2"


@pytest.mark.parametrize(
    ("redis_url", "storage"),
    [
        (None, "memory://"),
        ("", "memory://"),
        ("unix:///tmp/r/redis.sock", "redis+unix:///tmp/r/redis.sock"),
        ("redis://localhost:6379/0", "redis://localhost:6379/0"),
    ],
)
def test_the_rate_limits_count_in_the_apps_redis_whatever_its_url_form(redis_url, storage):
    from limits.storage import storage_from_string

    from assessment.views.api import rate_storage_uri

    assert rate_storage_uri(redis_url) == storage
    if storage.startswith("redis+unix"):
        # The form README's REDIS_URL takes must be one the limiter's storage knows.
        assert storage_from_string(storage) is not None
