"""Members: invitations by single-use expiring link, roles, and the last admin."""

from datetime import timedelta

import sqlalchemy as sa

from assessment.extensions import db
from assessment.models import AuditEvent, Invitation, Membership, Role, User, utcnow
from tests.factories import PASSWORD, make_user
from tests.test_workflow import client_for


def _invite(client, role="respondent", email=""):
    response = client.post("/members/invite", data={"role": role, "email": email})
    assert response.status_code == 302
    page = client.get("/members/").text
    return page.split('<code class="link">')[1].split("</code>")[0].replace("http://localhost", "")


def test_admin_invites_and_a_new_person_joins_with_the_role(app, member):
    admin = client_for(app, member[0])
    link = _invite(admin, "reviewer", "rev@example.org")
    assert link.startswith("/invite/")
    newcomer = app.test_client()
    assert "invited as <strong>reviewer</strong>" in newcomer.get(link).text
    response = newcomer.post(
        link, data={"name": "Rae Viewer", "email": "rev@example.org", "password": "long password!"}
    )
    assert response.status_code == 302
    assert newcomer.get("/assessments/").status_code == 200
    assert "Acme Chat" in newcomer.get("/assessments/").text
    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.email == "rev@example.org")).one()
        assert user.memberships[0].role == Role.REVIEWER
        invitation = db.session.scalars(sa.select(Invitation)).one()
        assert invitation.used_by_id == user.id
        assert link.rsplit("/", 1)[1] not in invitation.token_hash  # only the hash is stored


def test_the_link_shows_once_and_works_once(app, member):
    admin = client_for(app, member[0])
    link = _invite(admin)
    assert '<code class="link">' not in admin.get("/members/").text
    first = app.test_client().post(
        link, data={"name": "A", "email": "a@example.org", "password": "long password!"}
    )
    assert first.status_code == 302
    second = app.test_client().post(
        link, data={"name": "B", "email": "b@example.org", "password": "long password!"}
    )
    assert second.status_code == 404
    assert "already been used" in second.text
    with app.app_context():
        assert (
            db.session.scalars(sa.select(User).where(User.email == "b@example.org")).first() is None
        )


def test_an_expired_link_is_refused(app, member):
    admin = client_for(app, member[0])
    link = _invite(admin)
    with app.app_context():
        db.session.scalars(sa.select(Invitation)).one().expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = app.test_client().get(link)
    assert response.status_code == 404
    assert "expired" in response.text


def test_a_made_up_link_is_refused(client):
    response = client.get("/invite/not-a-real-token")
    assert response.status_code == 404
    assert "not valid" in response.text


def test_only_admins_invite(app, member):
    with app.app_context():
        org_id = db.session.scalars(sa.select(Membership.organisation_id)).first()
        from assessment.models import Organisation

        respondent = make_user(
            organisation=db.session.get(Organisation, org_id), role=Role.RESPONDENT
        )
        db.session.commit()
        email = respondent.email
    response = client_for(app, email).post("/members/invite", data={"role": "admin"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalars(sa.select(Invitation)).first() is None


def test_the_last_admin_cannot_be_demoted_or_removed(app, member):
    admin = client_for(app, member[0])
    with app.app_context():
        membership_id = db.session.scalars(sa.select(Membership.id)).one()
    demote = admin.post(f"/members/{membership_id}/role", data={"role": "viewer"})
    remove = admin.post(f"/members/{membership_id}/remove")
    assert demote.status_code == remove.status_code == 303
    page = admin.get("/members/").text
    assert "last admin" in page
    with app.app_context():
        assert db.session.get(Membership, membership_id).role == Role.ADMIN


def test_admin_changes_a_role_and_removes_a_member_with_an_audit_trail(app, member):
    with app.app_context():
        from assessment.models import Organisation

        org = db.session.scalars(sa.select(Organisation)).one()
        other = make_user(organisation=org, role=Role.VIEWER)
        db.session.commit()
        other_membership = other.memberships[0].id
        other_email = other.email
    admin = client_for(app, member[0])
    assert (
        admin.post(f"/members/{other_membership}/role", data={"role": "respondent"}).status_code
        == 302
    )
    assert admin.post(f"/members/{other_membership}/remove").status_code == 302
    with app.app_context():
        assert db.session.get(Membership, other_membership) is None
        changes = [
            (e.old, e.new)
            for e in db.session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.target == other_email)
                .order_by(AuditEvent.id)
            )
        ]
    assert changes == [
        ({"role": "viewer"}, {"role": "respondent"}),
        ({"role": "respondent"}, {"removed": True}),
    ]
    page = admin.get("/members/").text
    assert "Membership changes" in page
    assert other_email in page.split("Membership changes")[1]
    # A removed member keeps their account but sees no assessments.
    response = client_for(app, other_email).get("/assessments/")
    assert response.status_code == 403


def test_admins_of_another_organisation_cannot_touch_members(app, member):
    with app.app_context():
        target = db.session.scalars(sa.select(Membership.id)).one()
        stranger = make_user(organisation_name="Elsewhere")
        db.session.commit()
        email = stranger.email
    stranger_client = client_for(app, email)
    assert (
        stranger_client.post(f"/members/{target}/role", data={"role": "viewer"}).status_code == 404
    )
    assert stranger_client.post(f"/members/{target}/remove").status_code == 404


def test_a_signed_in_user_joins_a_second_organisation(app, member):
    admin = client_for(app, member[0])
    link = _invite(admin, "viewer")
    with app.app_context():
        other = make_user(organisation_name="Their Own Org")
        db.session.commit()
        email = other.email
    client = client_for(app, email)
    response = client.post(link, data={})
    assert response.status_code == 302
    assert "Acme Chat" in client.get("/assessments/").text
    assert PASSWORD


def test_a_member_of_two_organisations_switches_between_them(app, member):
    admin = client_for(app, member[0])
    link = _invite(admin, "viewer")
    with app.app_context():
        other = make_user(organisation_name="Their Own Org")
        db.session.commit()
        email, own_org = other.email, other.memberships[0].organisation_id
    client = client_for(app, email)
    client.post(link, data={})
    assert "Acme Chat" in client.get("/assessments/").text
    page = client.get("/members/").text
    assert "You belong to 2 organisations" in page
    response = client.post(f"/members/switch/{own_org}")
    assert response.status_code == 302
    assert "Acme Chat" not in client.get("/assessments/").text
    # Switching to an organisation one does not belong to is refused.
    with app.app_context():
        stranger_org = make_user(organisation_name="Not Mine").memberships[0].organisation_id
        db.session.commit()
    assert client.post(f"/members/switch/{stranger_org}").status_code == 404
