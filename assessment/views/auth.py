"""Registering an organisation, logging in and out, and resetting a forgotten password."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from assessment import page_save, password_reset, registration, throttle
from assessment.access import forget_membership
from assessment.accounts import find_user, normalise_email
from assessment.db import outside_transaction
from assessment.extensions import db, login_manager
from assessment.forms import (
    ConfirmForm,
    FinishRegistrationForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from assessment.inputs import parse_id, safe_local_target
from assessment.links import NoExternalURL
from assessment.logs import security_event
from assessment.mail import mail_configured
from assessment.models import Membership, User

bp = Blueprint("auth", __name__, url_prefix="/auth")


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked against when the email is unknown, so a failed login takes as long
    whether or not the account exists: made with the method real passwords get now.
    """
    return generate_password_hash("not a real password", method=method)


# With the memberships in the same query: every page checks one (access.current_membership).
# Two entities side by side, not joinedload: a joined eager load sets itself up again at
# every execution, which cost a page more than the query. Built once: every request runs it.
USER_AND_MEMBERSHIPS = (
    sa.select(User, Membership)
    .outerjoin(Membership, Membership.user_id == User.id)
    .where(User.id == sa.bindparam("user_id"))
)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the session's user, unless the session was ended by a logout since.

    On a page save the same statement reads the page (`page_save`).
    """
    user_key = parse_id(user_id)
    if user_key is None:
        return None
    page = page_save.page_to_save()
    if page is None:
        rows = db.session.execute(USER_AND_MEMBERSHIPS, {"user_id": user_key}).all()
    else:
        page_save.in_autocommit()
        parameters = {"user_id": user_key, "assessment_id": page.assessment_id}
        rows = db.session.execute(page_save.user_statement(page), parameters).all()
        page_save.keep_read_with_user(page, rows)
    if not rows:
        return None
    user = rows[0][0]
    if "memberships" in sa.inspect(user).unloaded:  # as a joined load: a loaded list is kept
        # One row per membership, or per membership and answer on a page save.
        memberships = dict.fromkeys(m for _, m, *_page in rows if m is not None)
        set_committed_value(user, "memberships", list(memberships))
    if session.get("session_version") != user.session_version:
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
    """Ask for the link that sets up an organisation; the answer is the same for every address."""
    form = RegisterForm()
    page = {"form": form, "mail_configured": mail_configured()}
    if not form.validate_on_submit():
        return render_template("auth/register.html", **page), 422 if form.errors else 200
    email = form.email.data
    wait = throttle.reset_seconds_to_wait(email, request.remote_addr)
    if wait:
        security_event("register_throttled", email=email, retry_after=wait)
        flash(throttle.reset_refusal_message(wait), "error")
        return render_template("auth/register.html", **page), 429, {"Retry-After": str(wait)}
    throttle.record_reset_request(email, request.remote_addr)
    # One line each: they go into an e-mail's subject and greeting.
    details = registration.Registration(
        normalise_email(email),
        " ".join(form.name.data.split()),
        " ".join(form.organisation.data.split()),
    )
    try:
        known = registration.request_registration(details)
    except NoExternalURL as missing:
        db.session.rollback()
        flash(f"No link was sent. {missing}", "error")
        return render_template("auth/register.html", **page), 400
    db.session.commit()
    security_event("registration_requested", email=email, account="yes" if known else "no")
    page = render_template("auth/register_sent.html", email=details.email, **page)
    return page, 200, {"Cache-Control": "no-store"}


@bp.route("/register/<token>", methods=["GET", "POST"])
def finish_registration(token: str):
    """Choose a password from the e-mailed link: the account and organisation are made now."""
    try:
        details = registration.registration_for_token(token)
    except registration.RegistrationRefused as refused:
        security_event("registration_refused", reason=refused.reason)
        page = render_template("auth/register_refused.html", message=str(refused))
        return page, 400, {"Cache-Control": "no-store"}
    form = FinishRegistrationForm()
    if form.validate_on_submit():
        user, organisation = registration.finish_registration(details, form.password.data)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            # The same link used twice at once: the other use made the account.
            db.session.rollback()
            flash("This address has an account already: log in.", "error")
            return redirect(url_for("auth.login"))
        start_session(user)
        session["organisation_id"] = organisation.id
        flash(f"Welcome. {organisation.name} is set up and you are its admin.", "success")
        return redirect(url_for("assessments.index"))
    page = render_template("auth/register_finish.html", form=form, registration=details)
    return page, 422 if form.errors else 200, {"Cache-Control": "no-store"}


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
        user_id = user.id if user is not None else None
        stored_hash = (
            user.password_hash
            if user is not None
            else _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"])
        )
        with outside_transaction(db.session):
            # scrypt takes a while: no lock held meanwhile (SQLite's write lock on a POST).
            matches = check_password_hash(stored_hash, form.password.data)
        user = db.session.get(User, user_id) if user_id is not None and matches else None
        if user is not None:
            throttle.clear(form.email.data)
            db.session.commit()
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
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


# The same words whether or not the address has an account.
RESET_SENT = (
    "If an account uses {email}, an e-mail with a link to choose a new password is on its "
    "way. The link works once, for one hour. Nothing after a few minutes? Check the address "
    "and your spam folder, then ask again."
)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a password reset link; the answer never says whether the account exists."""
    form = ForgotPasswordForm()
    page = {"form": form, "mail_configured": mail_configured()}
    if form.validate_on_submit():
        email = form.email.data
        wait = throttle.reset_seconds_to_wait(email, request.remote_addr)
        if wait:
            security_event("password_reset_throttled", email=email, retry_after=wait)
            flash(throttle.reset_refusal_message(wait), "error")
            return render_template("auth/forgot.html", **page), 429, {"Retry-After": str(wait)}
        throttle.record_reset_request(email, request.remote_addr)
        try:
            known = password_reset.request_reset(email)
        except NoExternalURL as missing:
            db.session.rollback()
            flash(f"No link was sent. {missing}", "error")
            return render_template("auth/forgot.html", **page), 400
        db.session.commit()
        security_event("password_reset_requested", email=email, account="yes" if known else "no")
        flash(RESET_SENT.format(email=email), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", **page), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from an e-mailed link; it logs out every other session."""
    try:
        user = password_reset.user_for_token(token)
    except password_reset.ResetRefused as refused:
        security_event("password_reset_refused", reason=refused.reason)
        page = render_template("auth/reset_refused.html", message=str(refused))
        return page, 400, {"Cache-Control": "no-store"}
    form = ResetPasswordForm()
    if form.validate_on_submit():
        password_reset.set_new_password(user, form.password.data)
        throttle.clear(user.email)
        db.session.commit()
        security_event("password_reset", user=user.id)
        start_session(user)
        flash(
            "Your password is changed and you are logged in. Other sessions are logged out.",
            "success",
        )
        return redirect(url_for("assessments.index"))
    page = render_template("auth/reset.html", form=form, user=user)
    return page, 422 if form.errors else 200, {"Cache-Control": "no-store"}
