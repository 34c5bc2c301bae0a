"""Registering an organisation, logging in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import joinedload

from assessment import throttle
from assessment.access import forget_membership
from assessment.accounts import find_user, new_organisation, new_user
from assessment.extensions import db, login_manager
from assessment.forms import ConfirmForm, LoginForm, RegisterForm
from assessment.inputs import parse_id, safe_local_target
from assessment.logs import security_event
from assessment.models import User

bp = Blueprint("auth", __name__, url_prefix="/auth")

# The same words whether or not the address has an account.
REGISTER_REFUSED = (
    "No organisation was set up with these details. If you already use this tool, log in "
    "instead (to work in another organisation, ask its admin for an invitation); "
    "otherwise check the email address."
)

# Checked against when the email is unknown, so a failed login takes as long
# whether or not the account exists.
_DUMMY = User(email="", name="", password_hash="")
_DUMMY.set_password("not a real password")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the session's user, unless the session was ended by a logout since."""
    # With the memberships in the same query: every page checks one (access.current_membership).
    user_key = parse_id(user_id)
    user = (
        db.session.get(User, user_key, options=[joinedload(User.memberships)])
        if user_key is not None
        else None
    )
    if user is None or session.get("session_version") != user.session_version:
        return None
    return user


def start_session(user: User) -> None:
    """Log the user in on a fresh session that a later logout can end everywhere."""
    session.clear()
    forget_membership()
    login_user(user)
    session["session_version"] = user.session_version


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an organisation with its first user, who becomes its admin."""
    form = RegisterForm()
    if form.validate_on_submit():
        if find_user(form.email.data) is not None:
            # Not "this account exists". No password is checked here and nothing is
            # counted against throttling: the form must be neither a way to guess
            # passwords nor a way to lock someone out.
            security_event("register_refused", email=form.email.data)
            flash(REGISTER_REFUSED, "error")
            return render_template("auth/register.html", form=form), 422
        user = new_user(form.email.data, form.name.data, form.password.data)
        return _set_up_organisation(form, user)
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


def _set_up_organisation(form: RegisterForm, user: User):
    """Create the organisation with this user as its admin, and sign them in to it."""
    organisation = new_organisation(form.organisation.data, user)
    db.session.commit()
    start_session(user)
    session["organisation_id"] = organisation.id
    flash(f"Welcome. {organisation.name} is set up and you are its admin.", "success")
    return redirect(url_for("assessments.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with email and password; a failure never says which one was wrong."""
    if current_user.is_authenticated:
        return redirect(url_for("assessments.index"))
    form = LoginForm()
    if form.validate_on_submit():
        wait = throttle.seconds_to_wait(form.email.data, request.remote_addr)
        if wait:
            security_event("login_throttled", email=form.email.data, retry_after=wait)
            flash(throttle.refusal_message(wait), "error")
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
        user = find_user(form.email.data)
        if user is not None and user.check_password(form.password.data):
            throttle.clear(form.email.data)
            db.session.commit()
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        if user is None:
            _DUMMY.check_password(form.password.data)
        throttle.record_failure(form.email.data, request.remote_addr)
        db.session.commit()
        security_event("login_failed", email=form.email.data)
        flash("Email or password is not right.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


def _safe_next(target: str | None) -> str:
    """Return a local redirect target, never another site (see `safe_local_target`)."""
    return safe_local_target(target) or url_for("assessments.index")


@bp.route("/logout", methods=["GET", "POST"])
@login_required
def logout():
    """Log out on POST; GET shows a confirmation button (a link cannot log you out)."""
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        # Clear first: logout_user() leaves the mark that deletes the remember-me cookie.
        current_user.session_version += 1
        db.session.commit()
        session.clear()
        logout_user()
        flash("You are logged out.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)
