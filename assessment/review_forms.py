"""The forms of review and cycles: submitting, the period, question comments, confirming."""

from __future__ import annotations

from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from assessment.comments import BODY_MAX
from assessment.forms import FlaskForm, period_field


class SubmitForm(FlaskForm):
    """Submit for review; `incomplete_ok` says the person saw what is still open and goes on."""

    incomplete_ok = HiddenField()
    submit = SubmitField("Submit for review")

    @property
    def acknowledged(self) -> bool:
        return (self.incomplete_ok.data or "") == "yes"


class PeriodForm(FlaskForm):
    period = period_field()
    submit = SubmitField("Save the period")


class CommentForm(FlaskForm):
    """A new comment on a question, or a reply in its thread."""

    body = TextAreaField(
        "Comment",
        validators=[DataRequired("Write the comment first."), Length(max=BODY_MAX)],
    )
    submit = SubmitField("Add comment")


class ConfirmCarriedForm(FlaskForm):
    """Confirm carried-forward answers: one question (`question`) or the whole principle."""

    question = HiddenField()
    submit = SubmitField("Confirm")
