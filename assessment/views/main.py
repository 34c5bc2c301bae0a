"""The front page."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from assessment.extensions import current_catalogue

bp = Blueprint("main", __name__)


@bp.app_context_processor
def _current_membership():
    """Let every page show which organisation, and in which role, the user is working."""
    from assessment.access import current_membership

    return {"current_membership": current_membership}


@bp.get("/")
def index():
    """Send members to their assessments; show everyone else what the tool is."""
    if current_user.is_authenticated:
        return redirect(url_for("assessments.index"))
    return render_template("main/index.html", catalogue=current_catalogue())
