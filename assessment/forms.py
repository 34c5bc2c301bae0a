"""Forms: fixed ones for accounts, and form classes built at run time from the catalogue.

Built forms follow one pattern: a subclass defined inside a builder function,
fields attached with `setattr`, the field type chosen from a mapping keyed on
the question type, field names derived from stable question ids. Only the
outer form is a `FlaskForm`, so each page carries one CSRF token.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import flask_wtf
from flask_wtf.csrf import _FlaskFormCSRF
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from assessment.answers import AnswerChange
from assessment.assignments import Plan
from assessment.catalogue import COMMENT_MAX, Catalogue, ProfileQuestion, Question
from assessment.evidence import TITLE_MAX, URL_MAX
from assessment.inputs import parse_count
from assessment.models import PERIOD_MAX, Answer, Role

PASSWORD_MIN = 10


class LazyCSRFTokenField(CSRFTokenField):
    """The CSRF token field, signing a fresh token only when a page shows it.

    A form that is submitted, validated and answered with a redirect never
    shows its token, and signing one cost a noticeable share of a page save.
    """

    _token: str | None = None

    @property
    def current_token(self) -> str:
        if self._token is None:
            self._token = self.csrf_impl.generate_csrf_token(self)
        return self._token

    @current_token.setter
    def current_token(self, value: str | None) -> None:
        self._token = value

    def process(self, *args: Any, **kwargs: Any) -> None:
        HiddenField.process(self, *args, **kwargs)  # without signing a token yet


class LazyCSRF(_FlaskFormCSRF):
    field_class = LazyCSRFTokenField


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form (one CSRF token per page), whose token is signed only when shown."""

    class Meta(flask_wtf.FlaskForm.Meta):
        csrf_class = LazyCSRF


class MultiCheckboxField(SelectMultipleField):
    """Several choices shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _your_name(required: Any) -> StringField:
    return StringField(
        "Your name", validators=[required, Length(max=200)], render_kw={"autocomplete": "name"}
    )


def _work_email(required: Any) -> EmailField:
    return EmailField(
        "Work email",
        validators=[required, Email(), Length(max=254)],
        filters=[_strip],
        render_kw={"autocomplete": "email"},
    )


def _new_password(required: Any) -> PasswordField:
    """A password being chosen: long enough, and said so next to the field."""
    return PasswordField(
        "Password",
        validators=[required, Length(min=PASSWORD_MIN, max=200)],
        description=f"At least {PASSWORD_MIN} characters.",
        render_kw={"autocomplete": "new-password"},
    )


class RegisterForm(FlaskForm):
    organisation = StringField(
        "Organisation",
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    name = _your_name(DataRequired())
    email = _work_email(DataRequired())
    submit = SubmitField("E-mail me the link")


class FinishRegistrationForm(FlaskForm):
    password = _new_password(DataRequired())
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create the organisation")


class LoginForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=254)],
        filters=[_strip],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Log in")


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for POST-only buttons."""

    submit = SubmitField("Confirm")


class ApproveForm(FlaskForm):
    """Approve what the page showed: its review fingerprint and its newest audit event."""

    fingerprint = HiddenField()
    seen_event = HiddenField()
    # The statement itself comes from the settings (ATTESTATION_TEXT), shown beside the box.
    attest = BooleanField("I confirm the statement above")

    def seen_event_id(self) -> int | None:
        """Return the audit event id the page was based on, if it sent a sensible one."""
        raw = (self.seen_event.data or "").strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def period_field() -> StringField:
    """Return the field naming the cycle an assessment covers."""
    return StringField(
        "Period",
        validators=[Optional(), Length(max=PERIOD_MAX)],
        filters=[_strip],
        description="The cycle this assessment covers, e.g. 'FY2026 H1' (you can change it while it is a draft).",
    )


@functools.lru_cache(maxsize=4096)
def field_name(stable_id: str) -> str:
    """Return the form field name for a stable catalogue id (`P1.3` -> `q_P1_3`)."""
    # Remembered: a page save asks for each of its questions' names several times.
    return "q_" + re.sub(r"[^A-Za-z0-9]", "_", stable_id)


# -- the service profile -------------------------------------------------------

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


def _boolean_profile_field(q: ProfileQuestion) -> Any:
    return RadioField(q.text, choices=YES_NO, validators=[InputRequired("Answer yes or no.")])


def _choice_profile_field(q: ProfileQuestion) -> Any:
    choices = [SelectChoice(o.value, o.label) for o in q.options]
    return RadioField(q.text, choices=choices, validators=[InputRequired("Choose one.")])


def _multi_profile_field(q: ProfileQuestion) -> Any:
    choices = [SelectChoice(o.value, o.label) for o in q.options]
    return MultiCheckboxField(q.text, choices=choices, validators=[Optional()])


PROFILE_FIELDS: dict[str, Callable[[ProfileQuestion], Any]] = {
    "boolean": _boolean_profile_field,
    "choice": _choice_profile_field,
    "multi": _multi_profile_field,
}


def build_profile_form(catalogue: Catalogue, *, with_service_name: bool) -> type[FlaskForm]:
    """Build the service-profile form from the catalogue's profile questions."""

    class ProfileForm(FlaskForm):
        pass

    if with_service_name:
        ProfileForm.service_name = StringField(
            "Service name",
            validators=[DataRequired(), Length(max=200)],
            description="The product or service this assessment covers, e.g. 'Acme Chat'.",
        )
        ProfileForm.period = period_field()
    for question in catalogue.profile:
        field = PROFILE_FIELDS[question.type](question)
        field.kwargs["description"] = question.help
        setattr(ProfileForm, field_name(question.id), field)
    ProfileForm.submit = SubmitField("Save the service profile")
    return ProfileForm


def profile_from_form(catalogue: Catalogue, form: FlaskForm) -> dict[str, Any]:
    """Turn a validated profile form into the stored profile answers."""
    profile: dict[str, Any] = {}
    for question in catalogue.profile:
        data = form[field_name(question.id)].data
        if question.type == "boolean":
            profile[question.id] = data == "yes"
        elif question.type == "multi":
            profile[question.id] = list(data or [])
        else:
            profile[question.id] = data
    return profile


def profile_form_data(catalogue: Catalogue, profile: dict[str, Any]) -> dict[str, Any]:
    """Turn stored profile answers into form data for editing."""
    data: dict[str, Any] = {}
    for question in catalogue.profile:
        value = profile.get(question.id)
        if question.type == "boolean" and value is not None:
            value = "yes" if value else "no"
        data[field_name(question.id)] = value
    return data


# -- the questions of one principle --------------------------------------------


class OptionField(RadioField):
    """A radio group of catalogue options, checked against them with one set lookup.

    RadioField builds every choice again to see whether one is selected;
    a page of questions did that for each answer of each save.
    """

    def pre_validate(self, form: Any) -> None:
        if self.process_errors or not self.validate_choice:
            return
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(self.gettext("Not a valid choice."))


def _option_field(catalogue: Catalogue, q: Question) -> Any:
    choices = [SelectChoice(o.value, o.label) for o in catalogue.options_for(q)]
    return OptionField("Answer", choices=choices, validators=[Optional()])


def _multi_field(catalogue: Catalogue, q: Question) -> Any:
    choices = [SelectChoice(o.value, o.label) for o in catalogue.options_for(q)]
    return MultiCheckboxField("Answer", choices=choices, validators=[Optional()])


PLAIN_NUMBER = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?")


class PlainNumberField(DecimalField):
    """A number written with ASCII digits: no NaN, no infinity, no exponent, no other scripts.

    `decimal.Decimal` reads all of those, and each later fails when the answer is
    turned into a whole number or stored as JSON.
    """

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else "?"
        if text and not PLAIN_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(
                "Write the number with the digits 0 to 9 and at most one decimal point, "
                "e.g. 120 or 2.5 (up to 15 digits)."
            )
        super().process_formdata([text])


class PlainDateField(DateField):
    """A date written YYYY-MM-DD in ASCII digits (strptime also reads other scripts' digits)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if (
            valuelist
            and valuelist[0]
            and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", valuelist[0])
        ):
            self.data = None
            raise ValueError("Give the date as YYYY-MM-DD, e.g. 2030-01-31.")
        super().process_formdata(valuelist)


def _number_field(catalogue: Catalogue, q: Question) -> Any:
    return PlainNumberField(
        "Answer",
        places=None,
        validators=[Optional(), NumberRange(min=0, message="Must be 0 or more.")],
    )


def _text_field(catalogue: Catalogue, q: Question) -> Any:
    return TextAreaField("Answer", validators=[Optional(), Length(max=COMMENT_MAX)])


QUESTION_FIELDS: dict[str, Callable[[Catalogue, Question], Any]] = {
    "scale": _option_field,
    "choice": _option_field,
    "multi": _multi_field,
    "number": _number_field,
    "text": _text_field,
}


# Form classes built once per catalogue and question (or page): building one costs more than
# the rest of a page save. Each cache is emptied when it reaches FORMS_KEPT.
_QUESTION_FORMS: dict[tuple[str, str], type[Form]] = {}
_PRINCIPLE_FORMS: dict[tuple[str, tuple[str, ...]], type[FlaskForm]] = {}
FORMS_KEPT = 512


def _kept_form(forms: dict, key: tuple, build: Callable[[], type]) -> type:
    """Return the form class kept under `key`, building it the first time it is asked for."""
    form_class = forms.get(key)
    if form_class is None:
        if len(forms) >= FORMS_KEPT:
            forms.clear()
        form_class = forms[key] = build()
    return form_class


def question_form(catalogue: Catalogue, question: Question) -> type[Form]:
    """Return the sub-form of one question, built once per catalogue and question."""
    key = (catalogue.fingerprint, question.id)
    return _kept_form(_QUESTION_FORMS, key, lambda: build_question_form(catalogue, question))


def sent_answers(catalogue: Catalogue, questions: Iterable[Question], formdata: Any) -> dict:
    """Read and validate what a page sent for these questions: their sub-forms, by field name.

    Each is the sub-form its principle's page form holds, read the same way,
    without the page form around it: the page's CSRF token was checked for
    the whole request before any view (CSRFProtect), and its buttons are
    read from the request. `answer_changes` takes the result as it takes
    the page form.
    """
    forms = {}
    for question in questions:
        name = field_name(question.id)
        form = question_form(catalogue, question)(formdata=formdata, prefix=name)
        form.validate()
        forms[name] = form
    return forms


def build_question_form(catalogue: Catalogue, question: Question) -> type[Form]:
    """Build the plain sub-form (answer, comment, base version) for one question."""

    class QuestionForm(Form):
        # No Optional() here: it would stop the chain before validate_comment runs.
        comment = TextAreaField(
            "Comment",
            validators=[Length(max=COMMENT_MAX)],
            description="Context, evidence references, and the rationale for an alternative measure.",
        )
        base_version = HiddenField(default="0")

        def validate_comment(self, field: Any) -> None:
            option = (
                catalogue.option_for(question, str(self.answer.data))
                if question.type in ("scale", "choice") and self.answer.data
                else None
            )
            if option is None or (field.data or "").strip():
                return
            if option.requires_rationale:
                raise ValidationError(
                    f"'{option.label}' counts as met only with a rationale: explain it here."
                )
            if option.na:
                raise ValidationError(f"'{option.label}' needs a reason: say in the comment why.")

        def validate_base_version(self, field: Any) -> None:
            if parse_count(field.data or "0") is None:
                raise ValidationError("The page was damaged; reload it and try again.")

    QuestionForm.answer = QUESTION_FIELDS[question.type](catalogue, question)
    return QuestionForm


def build_principle_form(catalogue: Catalogue, questions: Iterable[Question]) -> type[FlaskForm]:
    """Return the form for the applicable questions of one principle page.

    Built once per catalogue and set of questions: building a form class
    costs more than the rest of a page save.
    """
    questions = list(questions)
    key = (catalogue.fingerprint, tuple(q.id for q in questions))
    return _kept_form(_PRINCIPLE_FORMS, key, lambda: _principle_form(catalogue, questions))


def _principle_form(catalogue: Catalogue, questions: list[Question]) -> type[FlaskForm]:
    class PrincipleForm(FlaskForm):
        pass

    for question in questions:
        setattr(
            PrincipleForm,
            field_name(question.id),
            FormField(question_form(catalogue, question), label=question.text),
        )
    PrincipleForm.save = SubmitField("Save")
    PrincipleForm.save_next = SubmitField("Save and go to the next principle")
    return PrincipleForm


def principle_form_data(questions: Iterable[Question], stored: Mapping[str, Answer]) -> dict:
    """Return the principle form's data from the stored answers and their versions."""
    data = {}
    for question in questions:
        answer = stored.get(question.id)
        data[field_name(question.id)] = {
            "answer": answer.value if answer else None,
            "comment": answer.comment if answer else "",
            "base_version": str(answer.version if answer else 0),
        }
    return data


def sent_back_untouched(question: Question, answer: Answer | None, formdata: Any) -> bool:
    """Return whether a page sent this question's stored answer and comment back exactly as shown.

    Such a question changes nothing, so a page save need not read and
    validate it. Only what reads back as the stored answer without doubt
    counts (the sent text is compared, not a reading of it); anything else
    goes through the form as usual, which decides whether it changed.
    """
    name = field_name(question.id)
    value, comment = (answer.value, answer.comment) if answer is not None else (None, "")
    if comment != comment.strip():  # the form would store it stripped: a change
        return False
    untouched_comments = ([comment],) if comment else ([], [""])
    if formdata.getlist(f"{name}-comment") not in untouched_comments:
        return False
    return formdata.getlist(f"{name}-answer") in _untouched_answers(question, value)


def _untouched_answers(question: Question, value: Any) -> tuple[list[str], ...]:
    """Return how the page sends this stored answer back when nobody touched it (none if unsure)."""
    if value is None:
        # Nothing ticked sends nothing; an empty box or area sends "" (read as no answer).
        return ([],) if question.type == "multi" else ([], [""])
    if question.type in ("scale", "choice") and isinstance(value, str) and value:
        return ([value],)
    if question.type == "text" and isinstance(value, str) and value and value == value.strip():
        return ([value],)
    if question.type == "multi" and isinstance(value, list) and value:
        return (value,) if all(isinstance(v, str) for v in value) else ()
    if question.type == "number" and type(value) is int:
        return ([str(value)],)
    return ()  # a fraction, or a value of another type: let the form read it


def answer_changes(form: Any, questions: Iterable[Question]) -> list[AnswerChange]:
    """Return what a validated principle form (or `sent_answers`) says about each question."""
    changes = []
    for question in questions:
        sub = form[field_name(question.id)]
        changes.append(
            AnswerChange(
                question_id=question.id,
                value=answer_from_field(question, sub.answer.data),
                comment=(sub.comment.data or "").strip(),
                base_version=int(sub.base_version.data or 0),
            )
        )
    return changes


def rebase(form: FlaskForm, versions: Mapping[str, int]) -> None:
    """Base the sent page on the answers' current versions, so saving it again replaces them."""
    for question_id, version in versions.items():
        form[field_name(question_id)].base_version.data = str(version)


def answer_from_field(question: Question, data: Any) -> Any:
    """Turn a sub-form's answer data into the value stored for the question."""
    if question.type == "multi":
        return list(data) if data else None
    if question.type == "number":
        if data is None:
            return None
        return int(data) if data == int(data) else float(data)
    if question.type == "text":
        return data.strip() or None if data else None
    return data or None


# -- review, assignment, members ------------------------------------------------


class RequestChangesForm(FlaskForm):
    comment = TextAreaField(
        "What needs to change",
        validators=[DataRequired("Say what needs to change."), Length(max=COMMENT_MAX)],
    )
    submit = SubmitField("Request changes")


def build_assignment_form(
    principles: Iterable[tuple[str, str]], members: Iterable[tuple[int, str]]
) -> type[FlaskForm]:
    """Build the owner-and-due-date form, one group per principle."""
    choices = [SelectChoice("0", "Nobody")] + [SelectChoice(str(i), n) for i, n in members]

    class PrincipleAssignment(Form):
        owner = SelectField("Owner", choices=choices, default="0")
        due_date = PlainDateField("Due date", validators=[Optional()])

    class AssignmentForm(FlaskForm):
        pass

    for principle_id, title in principles:
        setattr(
            AssignmentForm,
            field_name(principle_id),
            FormField(PrincipleAssignment, label=f"{principle_id} · {title}"),
        )
    AssignmentForm.submit = SubmitField("Save owners and due dates")
    return AssignmentForm


def assignment_form_data(principle_ids: Iterable[str], plans: Mapping[str, Plan]) -> dict:
    """Return the assignment form's data from the stored owners and due dates."""
    return {
        field_name(pid): {
            "owner": str(plans[pid].owner_id or 0) if pid in plans else "0",
            "due_date": plans[pid].due_date if pid in plans else None,
        }
        for pid in principle_ids
    }


def assignment_plans(form: FlaskForm, principle_ids: Iterable[str]) -> dict[str, Plan]:
    """Return the owner and due date a validated assignment form gives each principle."""
    plans = {}
    for principle_id in principle_ids:
        group = form[field_name(principle_id)]
        plans[principle_id] = Plan(int(group.owner.data or 0) or None, group.due_date.data)
    return plans


ROLE_CHOICES = [SelectChoice(role.value, f"{role.label}: {role.duties}") for role in Role]


class InviteForm(FlaskForm):
    email = EmailField(
        "Email (optional: the invitation is e-mailed there)",
        validators=[Optional(), Email(), Length(max=254)],
        filters=[_strip],
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.RESPONDENT.value)
    submit = SubmitField("Create an invitation link")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    submit = SubmitField("Change role")


class AcceptInviteForm(FlaskForm):
    """Join with a new account; a signed-in user only needs the button."""

    name = _your_name(Optional())
    email = _work_email(Optional())
    password = _new_password(Optional())
    submit = SubmitField("Join the organisation")


class LinkForm(FlaskForm):
    title = StringField("Link title", validators=[DataRequired(), Length(max=TITLE_MAX)])
    url = StringField("Link address", validators=[DataRequired(), Length(max=URL_MAX)])


class UploadForm(FlaskForm):
    file = FileField("Document", validators=[FileRequired("Choose a document to upload.")])


class ImportForm(FlaskForm):
    file = FileField(
        "JSON export",
        validators=[FileRequired("Choose a JSON export to import.")],
        description="A file downloaded from an assessment's JSON link (schema version 1.1).",
    )
    submit = SubmitField("Import as a new draft")


class NarrativeForm(FlaskForm):
    narrative = TextAreaField(
        "Narrative for the public summary",
        validators=[Length(max=10_000)],
        description="Published as written in the public summary PDF: no internal detail.",
    )
    submit = SubmitField("Save the narrative")


# -- password reset and e-mail preferences --------------------------------------


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            DataRequired("Give the email address you log in with."),
            Email(),
            Length(max=254),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Send me a link")


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=PASSWORD_MIN, max=200)],
        description=f"At least {PASSWORD_MIN} characters.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set the new password")


def build_notice_preferences_form(kinds: Iterable[tuple[str, str]]) -> type[FlaskForm]:
    """Build the e-mail preferences form: a checkbox per kind of notice, and one for none."""

    class NoticePreferencesForm(FlaskForm):
        wanted = MultiCheckboxField(
            "Send me an e-mail when",
            choices=[SelectChoice(name, label) for name, label in kinds],
            validators=[Optional()],
        )
        all_off = BooleanField("No e-mail notices at all (password reset links still come)")
        submit = SubmitField("Save my e-mail choices")

    return NoticePreferencesForm


class UpgradeForm(FlaskForm):
    """Upgrade exactly what the preview showed: the assessment's version and the target catalogue."""

    seen_version = HiddenField()
    target = HiddenField()

    def seen_version_number(self) -> int | None:
        """Return the assessment version the preview was based on, if it sent a sensible one."""
        raw = (self.seen_version.data or "").strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


class ApiTokenForm(FlaskForm):
    """Make a personal access token for the JSON API."""

    name = StringField(
        "Name",
        description="What the token is for, e.g. 'GRC sync'.",
        validators=[InputRequired(), Length(max=100)],
    )
    scope = RadioField("Scope", choices=[], validators=[InputRequired()])
    # A choice, not a number field: nothing typed can be out of range (or too long to compare).
    days = SelectField(
        "Expires after",
        choices=[
            SelectChoice(7, "7 days"),
            SelectChoice(30, "30 days"),
            SelectChoice(90, "90 days"),
            SelectChoice(180, "180 days"),
            SelectChoice(366, "a year"),
        ],
        coerce=int,
        default=90,
        validators=[InputRequired()],
    )
    submit = SubmitField("Make token")
