"""The signed-in person's own settings: which e-mail notices they get."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from assessment.extensions import db
from assessment.forms import build_notice_preferences_form
from assessment.mail import mail_configured
from assessment.notices import preferences
from assessment.notices.kinds import ALL, optional_kinds

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/notices", methods=["GET", "POST"])
@login_required
def notices():
    """Choose which kinds of e-mail notice to get, or none at all."""
    kinds = optional_kinds()
    form_class = build_notice_preferences_form([(k.name, k.label) for k in kinds])
    off = preferences.turned_off(current_user.id)
    form = form_class(
        data={"wanted": [k.name for k in kinds if k.name not in off], "all_off": ALL in off}
    )
    if form.validate_on_submit():
        if preferences.save(current_user.id, form.wanted.data or [], bool(form.all_off.data)):
            db.session.commit()
        flash("Your e-mail choices are saved.", "success")
        return redirect(url_for("account.notices"))
    status = 422 if form.errors else 200
    return render_template(
        "account/notices.html", form=form, mail_configured=mail_configured()
    ), status
