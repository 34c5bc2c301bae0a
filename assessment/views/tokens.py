"""Personal access tokens for the JSON API: made and revoked by their owner, shown once."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from assessment import api_tokens
from assessment.access import Permission, current_membership, require
from assessment.extensions import db
from assessment.forms import ApiTokenForm, ConfirmForm
from assessment.models import TokenScope, utcnow

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")

SCOPE_LABELS = {
    TokenScope.READ: "Read: assessments, scores, answers and the catalogue",
    TokenScope.WRITE: "Read and write: also change answers and submit for review",
}


def _scope_choices(membership) -> list[SelectChoice]:
    """Offer the scopes this member's role allows: a viewer or reviewer only reads."""
    return [SelectChoice(s.value, SCOPE_LABELS[s]) for s in api_tokens.scopes_for(membership)]


@bp.before_request
@login_required
def _members_only():
    """Tokens act in an organisation: only its members make them."""
    require(Permission.VIEW)


@bp.route("/", methods=["GET", "POST"])
def index():
    """List the person's tokens for this organisation and make a new one (shown once)."""
    membership = current_membership()
    form = ApiTokenForm()
    form.scope.choices = _scope_choices(membership)
    if form.scope.data is None:
        form.scope.data = TokenScope.READ.value
    secret = None
    status = 200
    if form.validate_on_submit():
        try:
            _token, secret = api_tokens.issue_token(
                current_user, membership, form.name.data, form.scope.data, form.days.data
            )
        except api_tokens.TokenRefused as refused:
            form.name.errors = [*form.name.errors, str(refused)]
            status = 422
        else:
            db.session.commit()
            form = ApiTokenForm(formdata=None)
            form.scope.choices = _scope_choices(membership)
            form.scope.data = TokenScope.READ.value
    elif form.errors:
        status = 422
    page = render_template(
        "tokens/index.html",
        form=form,
        secret=secret,
        tokens=api_tokens.tokens_of(current_user, membership.organisation_id),
        revoke_form=ConfirmForm(),
        now=utcnow(),
        organisation=membership.organisation,
    )
    # Signed-in pages are sent `no-store` (assessment.security): the secret is kept nowhere.
    return page, status


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    """Revoke one of the person's own tokens: it stops working at once."""
    membership = current_membership()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = api_tokens.revoke(current_user, membership.organisation_id, token_id)
    if token is None:
        abort(404)
    db.session.commit()
    flash(f"The token {token.name!r} is revoked: requests with it are refused.", "success")
    return redirect(url_for("tokens.index"))
