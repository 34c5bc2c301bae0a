"""Every route against every role: each can do exactly what the README's role table says.

`ROLE_TABLE` below is the README's table as data. "yes" means the request is
allowed (it succeeds); "no" means 403; anonymous visitors are sent to log in;
a member of another organisation gets 404 for anything of this organisation.
"""

import functools
import io

import pytest
import sqlalchemy as sa

from assessment.api_tokens import scopes_for
from assessment.extensions import db
from assessment.models import (
    Assessment,
    Evidence,
    Job,
    JobState,
    Membership,
    QuestionComment,
    Role,
    Status,
    utcnow,
)
from tests import snapshots
from tests.factories import PASSWORD, make_answer, make_assessment, make_token, make_user

ROLES = ["admin", "respondent", "reviewer", "viewer"]

# route name: (method, path, form data, status to arrange first, who may: admin respondent reviewer viewer)
ROUTES = {
    "list assessments": ("GET", "/assessments/", {}, None, "yes yes yes yes"),
    "overview": ("GET", "/assessments/{id}/", {}, None, "yes yes yes yes"),
    "principle page": ("GET", "/assessments/{id}/principles/P1", {}, None, "yes yes yes yes"),
    "profile page": ("GET", "/assessments/{id}/profile", {}, None, "yes yes yes yes"),
    "history": ("GET", "/assessments/{id}/history", {}, None, "yes yes yes yes"),
    "question history": (
        "GET",
        "/assessments/{id}/questions/P1.1/history",
        {},
        None,
        "yes yes yes yes",
    ),
    "assignments page": ("GET", "/assessments/{id}/assignments", {}, None, "yes yes yes yes"),
    "download pdf": ("GET", "/assessments/{id}/report.pdf", {}, None, "yes yes yes yes"),
    "download csv": ("GET", "/assessments/{id}/report.csv", {}, None, "yes yes yes yes"),
    "download json": ("GET", "/assessments/{id}/report.json", {}, None, "yes yes yes yes"),
    "members page": ("GET", "/members/", {}, None, "yes yes yes yes"),
    "start assessment": ("POST", "/assessments/new", "profile", None, "yes yes no no"),
    "answer questions": (
        "POST",
        "/assessments/{id}/principles/P1",
        {"q_P1_1-answer": "4", "q_P1_1-base_version": "1"},
        None,
        "yes yes no no",
    ),
    "edit profile": ("POST", "/assessments/{id}/profile", "profile", None, "yes yes no no"),
    "submit for review": ("POST", "/assessments/{id}/submit", {}, Status.DRAFT, "yes yes no no"),
    "request changes": (
        "POST",
        "/assessments/{id}/request-changes",
        {"comment": "More detail"},
        Status.IN_REVIEW,
        "yes no yes no",
    ),
    "approve": ("POST", "/assessments/{id}/approve", {}, Status.IN_REVIEW, "yes no yes no"),
    "start next cycle": (
        "POST",
        "/assessments/{id}/next-cycle",
        {},
        Status.APPROVED,
        "yes yes no no",
    ),
    "set owners and due dates": (
        "POST",
        "/assessments/{id}/assignments",
        {"q_P1-due_date": "2030-01-01"},
        None,
        "yes no yes no",
    ),
    "download xlsx": ("GET", "/assessments/{id}/report.xlsx", {}, None, "yes yes yes yes"),
    "download public summary": (
        "GET",
        "/assessments/{id}/summary.pdf",
        {},
        None,
        "yes yes yes yes",
    ),
    "download board summary": (
        "GET",
        "/assessments/{id}/board.pdf",
        {},
        None,
        "yes yes yes yes",
    ),
    "what changed": ("GET", "/assessments/{id}/changes", {}, None, "yes yes yes yes"),
    "framework coverage": ("GET", "/assessments/{id}/frameworks/", {}, None, "yes yes yes yes"),
    "one framework's coverage": (
        "GET",
        "/assessments/{id}/frameworks/tech-coalition-trust",
        {},
        None,
        "yes yes yes yes",
    ),
    "download a framework's coverage csv": (
        "GET",
        "/assessments/{id}/frameworks/tech-coalition-trust.csv",
        {},
        None,
        "yes yes yes yes",
    ),
    "download a framework's coverage xlsx": (
        "GET",
        "/assessments/{id}/frameworks/tech-coalition-trust.xlsx",
        {},
        None,
        "yes yes yes yes",
    ),
    "download every framework's coverage": (
        "GET",
        "/assessments/{id}/frameworks.xlsx",
        {},
        None,
        "yes yes yes yes",
    ),
    "download evidence": (
        "GET",
        "/assessments/{id}/evidence/{file_evidence}",
        {},
        None,
        "yes yes yes yes",
    ),
    "add an evidence link": (
        "POST",
        "/assessments/{id}/questions/P1.1/evidence/link",
        {"title": "Policy", "url": "https://example.org/p"},
        None,
        "yes yes no no",
    ),
    "upload evidence": (
        "POST",
        "/assessments/{id}/questions/P1.1/evidence/upload",
        "upload",
        None,
        "yes yes no no",
    ),
    "remove evidence": (
        "POST",
        "/assessments/{id}/evidence/{link_evidence}/delete",
        {},
        None,
        "yes yes no no",
    ),
    "write the public narrative": (
        "POST",
        "/assessments/{id}/narrative",
        {"narrative": "We publish yearly."},
        None,
        "yes yes no no",
    ),
    "import page": ("GET", "/assessments/import", {}, None, "yes yes no no"),
    "import a JSON export": ("POST", "/assessments/import", "import", None, "yes yes no no"),
    "invite members": ("POST", "/members/invite", {"role": "viewer"}, None, "yes no no no"),
    "change a member's role": (
        "POST",
        "/members/{membership}/role",
        {"role": "reviewer"},
        None,
        "yes no no no",
    ),
    "remove a member": ("POST", "/members/{membership}/remove", {}, None, "yes no no no"),
    "switch organisation": ("POST", "/members/switch/{organisation}", {}, None, "yes yes yes yes"),
    "submit check page": ("GET", "/assessments/{id}/submit", {}, None, "yes yes no no"),
    "approval page": ("GET", "/assessments/{id}/approve", {}, Status.IN_REVIEW, "yes no yes no"),
    "set the period": (
        "POST",
        "/assessments/{id}/period",
        {"period": "FY2026 H1"},
        None,
        "yes yes no no",
    ),
    "confirm carried-forward answers": (
        "POST",
        "/assessments/{id}/principles/P1/confirm",
        {"question": "P1.1"},
        None,
        "yes yes no no",
    ),
    "comments page": ("GET", "/assessments/{id}/comments", {}, None, "yes yes yes yes"),
    "comment on a question": (
        "POST",
        "/assessments/{id}/questions/P1.1/comments",
        {"body": "Which hash lists?"},
        None,
        "yes no yes no",
    ),
    "reply to a comment": (
        "POST",
        "/assessments/{id}/comments/{comment}/reply",
        {"body": "The IWF list."},
        None,
        "yes yes yes no",
    ),
    "resolve a comment": (
        "POST",
        "/assessments/{id}/comments/{comment}/resolve",
        {},
        None,
        "yes no yes no",
    ),
    "download the history csv": (
        "GET",
        "/assessments/{id}/history.csv",
        {},
        None,
        "yes yes yes yes",
    ),
    "e-mail preferences page": ("GET", "/account/notices", {}, None, "yes yes yes yes"),
    "choose which e-mails to get": (
        "POST",
        "/account/notices",
        {"wanted": "digest", "submit": "Save"},
        None,
        "yes yes yes yes",
    ),
    "catalogue upgrade preview": ("GET", "/assessments/{id}/upgrade", {}, None, "yes no no no"),
    "upgrade to the running catalogue": (
        "POST",
        "/assessments/{id}/upgrade",
        {"seen_version": "1", "target": "0" * 64},
        None,
        "yes no no no",
    ),
    "retry a failed job": (
        "POST",
        "/assessments/{id}/jobs/{job}/retry",
        {},
        Status.APPROVED,
        "yes no yes no",
    ),
    "API tokens page": ("GET", "/account/tokens/", {}, None, "yes yes yes yes"),
    "make an API token": (
        "POST",
        "/account/tokens/",
        {"name": "sync", "scope": "read", "days": "30"},
        None,
        "yes yes yes yes",
    ),
    # The API with each person's own token (read and write where the role answers, else read).
    "API: list assessments": ("GET", "/api/v1/assessments", {}, None, "yes yes yes yes"),
    "API: read an assessment": ("GET", "/api/v1/assessments/{id}", {}, None, "yes yes yes yes"),
    "API: read its answers": (
        "GET",
        "/api/v1/assessments/{id}/answers",
        {},
        None,
        "yes yes yes yes",
    ),
    "API: read one answer": (
        "GET",
        "/api/v1/assessments/{id}/answers/P1.1",
        {},
        None,
        "yes yes yes yes",
    ),
    "API: read its catalogue version": (
        "GET",
        "/api/v1/assessments/{id}/catalogue",
        {},
        None,
        "yes yes yes yes",
    ),
    "API: write an answer": (
        "PUT",
        "/api/v1/assessments/{id}/answers/P1.1",
        "api-answer",
        None,
        "yes yes no no",
    ),
    "API: submit for review": (
        "POST",
        "/api/v1/assessments/{id}/submit",
        {},
        Status.DRAFT,
        "yes yes no no",
    ),
}
# Routes that name something of the organisation: another organisation's member gets 404.
SCOPED = {name for name, (_, path, *_rest) in ROUTES.items() if "{" in path}

PROFILE = {
    f"q_{k}": v
    for k, v in {
        "user_interaction": "yes",
        "hosts_media": "yes",
        "file_storage": "no",
        "private_messaging": "yes",
        "e2ee_messaging": "no",
        "groups_communities": "yes",
        "livestreaming": "no",
        "search": "no",
        "recommends_contacts": "yes",
        "gaming_virtual_worlds": "no",
        "generative_images": "no",
        "under_18s": "yes",
        "anonymous_accounts": "no",
        "mau_band": "lt_100k",
    }.items()
} | {"service_name": "Second service"}


@pytest.fixture
def organisation(app):
    """One member per role, a target member to change, and an assessment with an answer.

    Arranged once per test process (about 400 tests start from it), then copied into each
    test's own database and evidence folder.
    """
    return snapshots.contents(app, "roles-organisation", functools.partial(_organisation, app))


def _organisation(app) -> dict:
    with app.app_context():
        admin = make_user(role=Role.ADMIN)
        org = admin.memberships[0].organisation
        emails = {"admin": admin.email}
        for role in ROLES[1:]:
            emails[role] = make_user(organisation=org, role=role).email
        target = make_user(organisation=org, role=Role.VIEWER)
        outsider = make_user(organisation_name="Another Org")
        emails["outsider"] = outsider.email
        tokens = {"outsider": make_token(outsider)}
        for membership in org.memberships:
            who = next((r for r, e in emails.items() if e == membership.user.email), None)
            if who is not None:
                tokens[who] = make_token(membership.user, best_scope(membership), 30, membership)
        assessment = make_assessment(admin)
        make_answer(assessment, "P1.1", "2")
        link = Evidence(
            organisation_id=org.id,
            assessment=assessment,
            question_id="P1.1",
            kind="link",
            title="Policy",
            url="https://example.org/policy",
        )
        db.session.add(link)
        job = Job(
            organisation_id=org.id,
            assessment_id=assessment.id,
            kind="issue_report",
            state=JobState.FAILED,
            error="out of fonts",
        )
        db.session.add(job)
        comment = QuestionComment(
            organisation_id=org.id,
            assessment_id=assessment.id,
            question_id="P1.1",
            author_id=admin.id,
            body="Which hash lists?",
        )
        db.session.add(comment)
        db.session.commit()
        ids = {
            "comment": comment.id,
            "job": job.id,
            "assessment": assessment.id,
            "link_evidence": link.id,
            "membership": target.memberships[0].id,
            "organisation": org.id,
        }
    uploader = app.test_client()
    uploader.post("/auth/login", data={"email": emails["admin"], "password": PASSWORD})
    uploaded = uploader.post(
        f"/assessments/{ids['assessment']}/questions/P1.1/evidence/upload",
        data={"file": (io.BytesIO(b"Hash matching policy, v3"), "policy.txt")},
    )
    assert uploaded.status_code == 302
    with app.app_context():
        ids["file_evidence"] = db.session.scalars(
            sa.select(Evidence.id).where(Evidence.kind == "file")
        ).one()
    return {"emails": emails, "tokens": tokens, **ids}


def _arrange(app, assessment_id, status):
    if status is None:
        return
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assessment.status = status
        if status == Status.APPROVED:
            assessment.approved_at = utcnow()
        db.session.commit()


def _form_data(data):
    if data == "profile":
        return PROFILE
    if data == "upload":
        return {"file": (io.BytesIO(b"Moderation handbook, chapter 4"), "handbook.txt")}
    if data == "import":
        return {"file": (io.BytesIO(b'{"not": "an export"}'), "export.json")}
    return data


def best_scope(membership) -> str:
    """Return the widest scope this member may give a token."""
    return scopes_for(membership)[-1].value


def request_kwargs(path: str, data, token: str | None) -> dict:
    """Return how a route is called: the API with a bearer token and JSON, pages with a form."""
    if not path.startswith("/api/"):
        return {"data": _form_data(data)}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if data == "api-answer":
        return {"json": {"value": "3"}, "headers": {**headers, "If-Match": '"1"'}}
    return {"headers": headers}


def _allowed(response) -> bool:
    if response.status_code in (401, 403, 404):
        return False
    location = response.headers.get("Location", "")
    return "/auth/login" not in location


@pytest.mark.parametrize("who", ROLES + ["anonymous", "outsider"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_each_role_can_do_exactly_what_the_table_says(app, organisation, route, who):
    method, path, data, status, table = ROUTES[route]
    _arrange(app, organisation["assessment"], status)
    client = app.test_client()
    if who != "anonymous":
        login = client.post(
            "/auth/login", data={"email": organisation["emails"][who], "password": PASSWORD}
        )
        assert login.status_code == 302
    url = path.format(
        id=organisation["assessment"],
        membership=organisation["membership"],
        file_evidence=organisation["file_evidence"],
        link_evidence=organisation["link_evidence"],
        organisation=organisation["organisation"],
        job=organisation["job"],
        comment=organisation["comment"],
    )
    token = organisation["tokens"].get(who)
    response = client.open(url, method=method, **request_kwargs(path, data, token))

    if who == "anonymous" and path.startswith("/api/"):
        assert response.status_code == 401  # no token: the API never redirects to a page
    elif who == "anonymous":
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]
    elif who == "outsider":
        if route in SCOPED:
            assert response.status_code == 404
        else:  # their own organisation's page, as that organisation's admin
            assert _allowed(response), response.status_code
    else:
        expected = dict(zip(ROLES, table.split(), strict=True))[who] == "yes"
        assert _allowed(response) is expected, (
            response.status_code,
            response.headers.get("Location"),
        )
        if not expected:
            assert response.status_code == 403


def test_the_readme_role_table_matches_this_test():
    """The README is what people read: it must say what the code does."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for route, (*_, table) in ROUTES.items():
        marks = " | ".join("✓" if cell == "yes" else "–" for cell in table.split())
        assert f"| {route} | {marks} |" in readme, route


def test_removed_members_lose_access(app, organisation):
    client = app.test_client()
    client.post(
        "/auth/login", data={"email": organisation["emails"]["respondent"], "password": PASSWORD}
    )
    with app.app_context():
        db.session.execute(
            sa.delete(Membership).where(
                Membership.user.has(email=organisation["emails"]["respondent"])
            )
        )
        db.session.commit()
    assert client.get(f"/assessments/{organisation['assessment']}/").status_code == 403
