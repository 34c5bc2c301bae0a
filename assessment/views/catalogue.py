"""The public catalogue page: every principle, its statement and its questions."""

from flask import Blueprint, render_template

from assessment.extensions import current_catalogue

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")


@bp.get("/")
def index():
    """Show the whole catalogue to anyone deciding whether to adopt the tool."""
    catalogue = current_catalogue()
    return render_template(
        "catalogue/index.html",
        catalogue=catalogue,
        requirement=lambda condition: condition.requirement(catalogue.profile_questions),
    )
