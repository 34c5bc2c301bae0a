"""The members page: invite by link, change roles, remove; and accepting an invitation."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from assessment import notices
from assessment.access import (
    Permission,
    can,
    current_organisation_id,
    forget_membership,
    not_found,
    require,
)
from assessment.accounts import find_user, new_user
from assessment.extensions import db
from assessment.forms import AcceptInviteForm, ConfirmForm, InviteForm, RoleForm
from assessment.links import NoExternalURL, absolute_url_for
from assessment.logs import security_event
from assessment.mail import mail_configured
from assessment.members import (
    InvitationUnusable,
    MembershipError,
    accept_invitation,
    change_role,
    create_invitation,
    find_invitation,
    remove_member,
)
from assessment.models import AuditEvent, Invitation, Membership, User, utcnow
from assessment.notices.outbox import delivery_states
from assessment.views.auth import start_session
from assessment.views.errors import error_page

bp = Blueprint("members", __name__)


@bp.errorhandler(MembershipError)
def membership_refused(error: MembershipError):
    """Say why a membership change was refused; nothing of it was written."""
    db.session.rollback()
    if isinstance(error, InvitationUnusable):
        return error_page(404, "Invitation", str(error))
    flash(str(error), "error")
    if request.endpoint == "members.accept":  # already a member: on to their assessments
        return redirect(url_for("assessments.index"))
    return redirect(url_for("members.index")), 303


def _membership_or_404(membership_id: int) -> Membership:
    membership = db.session.scalars(
        sa.select(Membership).where(
            Membership.id == membership_id,
            Membership.organisation_id == current_organisation_id(),
        )
    ).first()
    if membership is None:
        not_found(Membership, membership_id)
    return membership


@bp.get("/members/")
@login_required
def index():
    """List the organisation's members and open invitations."""
    organisation_id = require(Permission.VIEW).organisation_id
    memberships = db.session.scalars(
        sa.select(Membership)
        .join(User)
        .where(Membership.organisation_id == organisation_id)
        .order_by(User.name)
    ).all()
    invitations = db.session.scalars(
        sa.select(Invitation).where(
            Invitation.organisation_id == organisation_id,
            Invitation.used_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    ).all()
    changes = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.organisation_id == organisation_id,
            AuditEvent.action == "membership",
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(50)
    ).all()
    return render_template(
        "members/index.html",
        memberships=memberships,
        changes=changes if can(Permission.MANAGE) else [],
        invitations=invitations if can(Permission.MANAGE) else [],
        invite_form=InviteForm(),
        role_form=RoleForm,
        confirm=ConfirmForm(),
        can_manage=can(Permission.MANAGE),
        new_link=session.pop("new_invitation_link", None),
        mail_configured=mail_configured(),
        invitation_mail=delivery_states("invitation:", [str(i.id) for i in invitations]),
    )


@bp.post("/members/invite")
@login_required
def invite():
    """Create a single-use invitation link: e-mail it, or show it to the admin once."""
    membership = require(Permission.MANAGE)
    form = InviteForm()
    if not form.validate_on_submit():
        flash("No invitation created: " + "; ".join(e for f in form for e in f.errors), "error")
        return redirect(url_for("members.index")), 303
    token = create_invitation(
        membership.organisation_id, current_user, form.role.data, form.email.data or ""
    )
    try:
        link = absolute_url_for("members.accept", token=token)
    except NoExternalURL as missing:
        db.session.rollback()
        flash(f"No invitation created. {missing}", "error")
        return redirect(url_for("members.index")), 303
    email = form.email.data or ""
    if email and mail_configured():
        notices.invitation(find_invitation(token), current_user, link)
        db.session.commit()
        flash(
            f"Invitation e-mailed to {email}; its link works once and expires in 7 days.", "success"
        )
        return redirect(url_for("members.index"))
    db.session.commit()
    session["new_invitation_link"] = link
    if email:
        flash(
            "Invitation created. E-mail is not configured: the invitation link is shown here "
            f"instead. Send it to {email} yourself; it works once and expires in 7 days.",
            "success",
        )
    else:
        flash(
            "Invitation created. Send the link below; it works once and expires in 7 days.",
            "success",
        )
    return redirect(url_for("members.index"))


@bp.post("/members/<int:membership_id>/role")
@login_required
def set_role(membership_id: int):
    """Change a member's role."""
    # Another organisation's member gets 404 whatever their role here; then the role.
    membership = _membership_or_404(membership_id)
    require(Permission.MANAGE)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    change_role(membership, current_user, form.role.data)
    db.session.commit()
    forget_membership()
    flash(f"{membership.user.name} is now {membership.role}.", "success")
    return redirect(url_for("members.index"))


@bp.post("/members/<int:membership_id>/remove")
@login_required
def remove(membership_id: int):
    """Remove a member from the organisation."""
    membership = _membership_or_404(membership_id)
    require(Permission.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = membership.user.name
    remove_member(membership, current_user)
    db.session.commit()
    forget_membership()
    flash(f"{name} is no longer a member.", "success")
    return redirect(url_for("members.index"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept(token: str):
    """Join an organisation through an invitation, with a new or the signed-in account."""
    invitation = find_invitation(token)
    form = AcceptInviteForm()
    if form.validate_on_submit():
        user = current_user if current_user.is_authenticated else None
        if user is None:
            missing = [f.label.text for f in (form.name, form.email, form.password) if not f.data]
            if missing:
                flash("To join, fill in: " + ", ".join(missing) + ".", "error")
                return render_template("members/accept.html", form=form, invitation=invitation), 422
            if find_user(form.email.data) is not None:
                flash(
                    "An account with this email exists: log in first, then open the link again.",
                    "error",
                )
                return render_template("members/accept.html", form=form, invitation=invitation), 422
            user = new_user(form.email.data, form.name.data, form.password.data)
            db.session.flush()
        accept_invitation(invitation, user)
        db.session.commit()
        if not current_user.is_authenticated:
            start_session(user)
        session["organisation_id"] = invitation.organisation_id
        flash(f"Welcome to {invitation.organisation.name}, as {invitation.role}.", "success")
        return redirect(url_for("assessments.index"))
    status = 422 if form.errors else 200
    return render_template("members/accept.html", form=form, invitation=invitation), status


@bp.post("/members/switch/<int:organisation_id>")
@login_required
def switch(organisation_id: int):
    """Work in another organisation the user belongs to."""
    membership = db.session.scalars(
        sa.select(Membership).where(
            Membership.user_id == current_user.id, Membership.organisation_id == organisation_id
        )
    ).first()
    if membership is None:
        security_event("cross_organisation", what="organisation", id=organisation_id)
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(404)
    session["organisation_id"] = organisation_id
    forget_membership()
    flash(f"You are now working in {membership.organisation.name}.", "success")
    return redirect(url_for("assessments.index"))
