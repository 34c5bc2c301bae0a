"""Comment threads on single questions: raise, reply, resolve, and the list of them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from assessment.access import (
    Permission,
    can,
    get_assessment_or_404,
    get_changeable_assessment_or_404,
    require,
)
from assessment.catalogue import Principle, is_answered
from assessment.catalogue_versions import catalogue_for
from assessment.comments import (
    CommentRefused,
    Thread,
    get_thread,
    raise_comment,
    reply,
    resolve,
    threads_by_question,
    threads_of,
)
from assessment.extensions import db
from assessment.forms import ConfirmForm
from assessment.models import Assessment, QuestionComment, Status
from assessment.review_forms import CommentForm
from assessment.views.errors import error_page

bp = Blueprint("comments", __name__, url_prefix="/assessments")


@bp.before_request
@login_required
def _members_only():
    """Every page here needs a signed-in member who may at least read."""
    require(Permission.VIEW)


@bp.errorhandler(CommentRefused)
def _refused(error: CommentRefused):
    db.session.rollback()
    assessment_id = (request.view_args or {}).get("assessment_id")
    back = url_for("comments.index", assessment_id=assessment_id) if assessment_id else None
    return error_page(422, "Nothing was changed", str(error), back=back)


def _to_question(assessment: Assessment, question_id: str):
    """Go back to the question on its principle page."""
    principle_id = catalogue_for(assessment).principle_ids_by_question.get(question_id)
    if principle_id is None:
        return redirect(url_for("comments.index", assessment_id=assessment.id))
    return redirect(
        url_for(
            "assessments.principle",
            assessment_id=assessment.id,
            principle_id=principle_id,
            _anchor=f"comments-{question_id}",
        )
    )


def _body() -> str:
    form = CommentForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        raise CommentRefused("; ".join(form.body.errors) or "The comment was not sent.")
    return form.body.data


@bp.post("/<int:assessment_id>/questions/<question_id>/comments")
def add(assessment_id: int, question_id: str):
    """Open a thread on one question (reviewers and admins)."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.REVIEW)
    if question_id not in catalogue_for(assessment).questions:
        abort(404)
    raise_comment(assessment, current_user, question_id, _body())
    db.session.commit()
    flash(f"Comment added to {question_id}; the people who answer it are told.", "success")
    return _to_question(assessment, question_id)


def _thread_or_404(assessment: Assessment, thread_id: int):
    thread = get_thread(assessment, thread_id)
    if thread is None:
        abort(404)
    return thread


@bp.post("/<int:assessment_id>/comments/<int:thread_id>/reply")
def answer(assessment_id: int, thread_id: int):
    """Reply in a thread (those who answer questions, and reviewers)."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.VIEW)
    if not (can(Permission.ANSWER) or can(Permission.REVIEW)):
        abort(403)
    thread = _thread_or_404(assessment, thread_id)
    reply(assessment, current_user, thread, _body())
    db.session.commit()
    flash(f"Reply added to the comment on {thread.question_id}.", "success")
    return _to_question(assessment, thread.question_id)


@bp.post("/<int:assessment_id>/comments/<int:thread_id>/resolve")
def close(assessment_id: int, thread_id: int):
    """Mark a thread resolved (reviewers and admins)."""
    assessment = get_changeable_assessment_or_404(assessment_id, Permission.REVIEW)
    thread = _thread_or_404(assessment, thread_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    resolve(assessment, current_user, thread)
    db.session.commit()
    flash(f"The comment on {thread.question_id} is resolved.", "success")
    return _to_question(assessment, thread.question_id)


@bp.get("/<int:assessment_id>/comments")
def index(assessment_id: int):
    """List the assessment's comment threads: open ones, or all with `?state=all`."""
    assessment = get_assessment_or_404(assessment_id)
    show_all = request.args.get("state") == "all"
    threads = threads_of(assessment.id, open_only=not show_all)
    catalogue = catalogue_for(assessment)
    return render_template(
        "comments/index.html",
        assessment=assessment,
        threads=threads,
        show_all=show_all,
        catalogue=catalogue,
        reply_form=CommentForm(),
        confirm=ConfirmForm(),
        can_reply=assessment.status != "approved"
        and (can(Permission.ANSWER) or can(Permission.REVIEW)),
        can_resolve=assessment.status != "approved" and can(Permission.REVIEW),
    )


@dataclass(frozen=True)
class QuestionReview:
    """What the principle page shows about review and cycles, beside its questions."""

    threads: dict[str, list[Thread]]
    carried: frozenset[str]
    can_raise: bool
    can_reply: bool
    can_resolve: bool
    can_confirm: bool
    comment_form: CommentForm
    confirm_form: ConfirmForm

    @property
    def open_count(self) -> int:
        return sum(1 for ts in self.threads.values() for t in ts if not t.resolved)


@bp.app_template_global("question_review")
def question_review(assessment: Assessment, principle: Principle) -> QuestionReview:
    """Read a principle page's comment threads and carried-forward answers once per request.

    A template global, so the principle page needs one include line per
    question and none of its view's code.
    """
    cached = g.get("_question_review")
    if cached is not None and cached[0] == (assessment.id, principle.id):
        return cached[1]
    ids = [q.id for q in principle.questions]
    open_for_comments = assessment.status != Status.APPROVED
    content = assessment.content_editable
    review = QuestionReview(
        threads=threads_by_question(threads_of(assessment.id, question_ids=ids)),
        carried=frozenset(
            a.question_id
            for a in assessment.answers
            if a.question_id in ids and a.carried_forward and is_answered(a.value)
        ),
        can_raise=open_for_comments and can(Permission.REVIEW),
        can_reply=open_for_comments and (can(Permission.ANSWER) or can(Permission.REVIEW)),
        can_resolve=open_for_comments and can(Permission.REVIEW),
        can_confirm=content and can(Permission.ANSWER),
        comment_form=CommentForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
    )
    g._question_review = ((assessment.id, principle.id), review)
    return review


@bp.app_template_global("open_comment_count")
def open_comment_count(assessment: Assessment) -> int:
    """Return how many of the assessment's comment threads are open."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(QuestionComment.id)).where(
                QuestionComment.assessment_id == assessment.id,
                QuestionComment.thread_id.is_(None),
                QuestionComment.resolved_at.is_(None),
            )
        )
        or 0
    )
