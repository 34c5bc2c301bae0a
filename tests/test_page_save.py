"""A principle page saved with the page form: only what changed is read, flashes, CSRF, conflicts.

A page sends every question back; the ones sent back exactly as shown are
neither read nor validated again (`forms.sent_back_untouched`). These tests
hold that to what matters: nothing sent differently is ever skipped, a
stale page is still refused, and the page's messages and CSRF check are as
before.
"""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import MultiDict

from assessment.answers import AnswerChange, _same
from assessment.catalogue import load_catalogue
from assessment.extensions import db
from assessment.forms import answer_from_field, field_name, question_form, sent_back_untouched
from assessment.models import Answer, Assessment, AuditEvent, User
from assessment.sessions import SessionJSON
from bench.load import form_fields as page_form  # what a browser sends: the benchmark's reading
from tests.factories import PASSWORD, make_answer, make_assessment, make_user
from tests.test_question_types import ALL_TYPES, PROFILE, STORED

PAGE = "/assessments/{}/principles/P1"


def stored(app, assessment_id) -> dict:
    with app.app_context():
        rows = db.session.scalars(sa.select(Answer).where(Answer.assessment_id == assessment_id))
        return {a.question_id: (a.value, a.comment, a.version) for a in rows}


def answer_events(app, assessment_id) -> list:
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.assessment_id == assessment_id, AuditEvent.action == "answer")
            .order_by(AuditEvent.id)
        )
        return [(e.target, e.old, e.new) for e in events]


def flashes(page: str) -> list[str]:
    return re.findall(r'<li class="flash [^"]*">([^<]*)</li>', page)


def changed(fields, name: str, value: str) -> MultiDict:
    """Return the page's fields with one changed, and its Save button, as a browser posts them."""
    return MultiDict([(n, value if n == name else v) for n, v in fields] + [("save", "Save")])


# --- what counts as sent back untouched ---------------------------------------------------


ALL_TYPES_CATALOGUE = load_catalogue(ALL_TYPES)
SENT = st.sampled_from(["", " ", "2", "4", "na", "vendor", "hashes", "urls", "12", "12.0", "x"])


def stored_values(question):
    """Return answers of this question's type as they may be stored (some no form would send)."""
    return {
        "scale": st.sampled_from([None, "0", "2", "na", 2]),
        "choice": st.sampled_from([None, "vendor", "nobody"]),
        "multi": st.sampled_from([None, ["hashes"], ["hashes", "urls"], [], ["urls", "hashes"]]),
        "number": st.sampled_from([None, 12, 0, 2.5]),
        "text": st.sampled_from([None, "x", "Weekly rotation.", " x "]),
    }[question.type]


COMMENTS = st.sampled_from(["", "Kept.", " Kept. ", "a\nb"])


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_an_answer_judged_untouched_is_the_stored_answer_as_the_form_reads_it(data):
    """Skipping a question is safe only if reading it through its form would change nothing."""
    question = data.draw(st.sampled_from(list(ALL_TYPES_CATALOGUE.questions.values())))
    value = data.draw(stored_values(question))
    comment = data.draw(COMMENTS)
    answer = Answer(question_id=question.id, value=value, comment=comment, version=3)
    name = field_name(question.id)
    answers = data.draw(st.lists(SENT, max_size=2))
    comments = data.draw(st.lists(COMMENTS, max_size=2))
    sent = MultiDict(
        [(f"{name}-answer", v) for v in answers]
        + [(f"{name}-comment", v) for v in comments]
        + [(f"{name}-base_version", "3")]
    )
    if not sent_back_untouched(question, answer, sent):
        return
    form = question_form(ALL_TYPES_CATALOGUE, question)(formdata=sent, prefix=name)
    change = AnswerChange(
        question_id=question.id,
        value=answer_from_field(question, form.answer.data),
        comment=(form.comment.data or "").strip(),
        base_version=3,
    )
    assert _same(answer, change), (value, comment, sent)


class TestEveryQuestionType:
    """The saving applies in practice: an unchanged page needs no question read again."""

    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "CATALOGUE_PATH": str(ALL_TYPES)}

    def test_the_page_as_shown_is_sent_back_untouched(self, app, client, auth):
        with app.app_context():
            user = make_user()
            assessment = make_assessment(user, profile=PROFILE)
            for question_id, value in STORED.items():
                make_answer(assessment, question_id, value, f"Comment on {question_id}.")
            db.session.commit()
            email, assessment_id = user.email, assessment.id
        auth.login(email)
        page = client.get(f"/assessments/{assessment_id}/principles/D1").text
        fields = MultiDict(page_form(page))
        with app.app_context():
            answers = db.session.get(Assessment, assessment_id).answers_by_question()
            for question in app.extensions["catalogue"].principles["D1"].questions:
                assert sent_back_untouched(question, answers.get(question.id), fields), question.id


# --- the page save -----------------------------------------------------------------------


@pytest.fixture
def answered(app, logged_in):
    """P1.1 to P1.3 answered, each at version 1."""
    with app.app_context():
        assessment = db.session.get(Assessment, logged_in)
        for n in (1, 2, 3):
            make_answer(assessment, f"P1.{n}", str(n), f"Comment {n}.")
        db.session.commit()
    return logged_in


def test_a_save_writes_and_audits_the_one_answer_changed_on_the_page(app, client, answered):
    fields = page_form(client.get(PAGE.format(answered)).text)
    response = client.post(PAGE.format(answered), data=changed(fields, "q_P1_2-comment", "New."))
    assert response.status_code == 302
    assert stored(app, answered) == {
        "P1.1": ("1", "Comment 1.", 1),
        "P1.2": ("2", "New.", 2),
        "P1.3": ("3", "Comment 3.", 1),
    }
    assert answer_events(app, answered) == [
        ("P1.2", {"value": "2", "comment": "Comment 2."}, {"value": "2", "comment": "New."})
    ]


def test_an_answer_changed_meanwhile_is_not_taken_for_untouched(app, client, answered):
    """The page sends back what it showed; if that is no longer what is stored, the save is stale."""
    fields = page_form(client.get(PAGE.format(answered)).text)
    other = app.test_client()
    with app.app_context():
        email = db.session.get(Assessment, answered).created_by.email
    other.post("/auth/login", data={"email": email, "password": PASSWORD})
    other_fields = page_form(other.get(PAGE.format(answered)).text)
    assert (
        other.post(PAGE.format(answered), data=changed(other_fields, "q_P1_1-answer", "4"))
    ).status_code == 302
    # This page still shows P1.1 as "1" and sends it back so; it changes P1.2 only.
    response = client.post(PAGE.format(answered), data=changed(fields, "q_P1_2-comment", "New."))
    assert response.status_code == 409
    assert "Someone else changed answers on this page" in " ".join(flashes(response.text))
    assert stored(app, answered)["P1.1"] == ("4", "Comment 1.", 2)
    assert stored(app, answered)["P1.2"] == ("2", "Comment 2.", 1)  # nothing of the page written


def test_an_untouched_answer_is_not_validated_again(app, client, answered):
    """An answer stored without the rationale it would now need does not block other answers."""
    with app.app_context():
        make_answer(db.session.get(Assessment, answered), "P1.4", "alt", "")
        db.session.commit()
    fields = page_form(client.get(PAGE.format(answered)).text)
    assert ("q_P1_4-answer", "alt") in fields
    response = client.post(PAGE.format(answered), data=changed(fields, "q_P1_2-comment", "New."))
    assert response.status_code == 302
    assert stored(app, answered)["P1.2"] == ("2", "New.", 2)
    assert stored(app, answered)["P1.4"] == ("alt", "", 1)


def test_an_invalid_change_shows_the_whole_page_with_its_error_and_saves_the_rest(
    app, client, answered
):
    fields = page_form(client.get(PAGE.format(answered)).text)
    data = changed(fields, "q_P1_2-comment", "New.")
    data = MultiDict(
        [(n, "bogus" if n == "q_P1_3-answer" else v) for n, v in data.items(multi=True)]
    )
    response = client.post(PAGE.format(answered), data=data)
    assert response.status_code == 422
    assert flashes(response.text) == [
        "Saved: 1 answer changed. 1 answer was not saved: correct the answers marked below."
    ]
    assert "Not a valid choice" in response.text
    assert 'name="q_P1_1-answer"' in response.text  # every question of the page is shown
    assert stored(app, answered)["P1.2"] == ("2", "New.", 2)
    assert stored(app, answered)["P1.3"] == ("3", "Comment 3.", 1)
    # The saved answer is based on its new version, the refused one on what was seen.
    assert re.search(r'id="q_P1_2-base_version"[^>]*value="2"', response.text)
    assert re.search(r'id="q_P1_3-base_version"[^>]*value="1"', response.text)


# --- the message after a save: a cookie of its own ----------------------------------------


def set_cookies(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_the_saved_message_travels_in_its_own_cookie_and_is_shown_once(app, client, answered):
    fields = page_form(client.get(PAGE.format(answered)).text)
    response = client.post(PAGE.format(answered), data=changed(fields, "q_P1_2-comment", "New."))
    assert response.status_code == 302
    cookies = set_cookies(response)
    assert "session" not in cookies  # the signed session is not written again to carry it
    assert "HttpOnly" in cookies["session_flashes"] and "SameSite=Lax" in cookies["session_flashes"]
    shown = client.get(response.headers["Location"])
    assert flashes(shown.text) == ["Saved: 1 answer changed."]
    assert "Expires=Thu, 01 Jan 1970" in set_cookies(shown)["session_flashes"]  # deleted
    assert flashes(client.get(PAGE.format(answered)).text) == []


def test_a_forged_message_cookie_is_ignored_and_deleted(app, client, answered):
    client.set_cookie("session_flashes", "W1siZXJyb3IiLCAiQ2FsbCB1cyJdXQ.forged")
    page = client.get(PAGE.format(answered))
    assert flashes(page.text) == []
    assert "Expires=Thu, 01 Jan 1970" in set_cookies(page)["session_flashes"]


def test_a_message_signed_into_an_older_session_cookie_is_shown_once(app, client, answered):
    """Flask kept messages in the signed session: one carried over is shown, then dropped from it."""
    serializer = app.session_interface.get_signing_serializer(app)
    session = serializer.loads(client.get_cookie("session").value)
    older = serializer.dumps({**session, "_flashes": [("success", "Saved earlier.")]})
    client.set_cookie("session", older)
    page = client.get(PAGE.format(answered))
    assert flashes(page.text) == ["Saved earlier."]
    assert "_flashes" not in serializer.loads(client.get_cookie("session").value)
    assert flashes(client.get(PAGE.format(answered)).text) == []


def flash_signer(secret, salt="flashed-messages") -> URLSafeSerializer:
    """Return a signer of messages as the flash cookie is signed, with this key (and salt)."""
    return URLSafeSerializer(
        secret,
        salt=salt,
        serializer=SessionJSON(),
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
    )


def flash_cookie(secret, flashes, salt="flashed-messages") -> str:
    return flash_signer(secret, salt).dumps(flashes)


def test_the_message_cookie_is_signed_with_the_secret_key_and_its_own_salt(app, client, answered):
    page = PAGE.format(answered)
    client.set_cookie("session_flashes", flash_cookie(app.secret_key, [["success", "Signed."]]))
    assert flashes(client.get(page).text) == ["Signed."]
    for refused in (
        flash_cookie("another key", [["error", "Call us."]]),
        flash_cookie(app.secret_key, [["error", "Call us."]], salt="cookie-session"),
        flash_cookie(app.secret_key, [["error", "Call us."]]).rpartition(".")[0],  # unsigned
        flash_cookie(app.secret_key, [["error", "Call us."]]).rpartition(".")[0] + ".",
        app.session_interface.get_signing_serializer(app).dumps([["error", "Call us."]]),
    ):
        client.set_cookie("session_flashes", refused)
        shown = client.get(page)
        assert flashes(shown.text) == []
        assert "Expires=Thu, 01 Jan 1970" in set_cookies(shown)["session_flashes"]


def test_a_message_signed_with_a_fallback_key_is_shown_and_new_ones_use_the_new_key(
    app, client, answered
):
    page = PAGE.format(answered)
    old = app.secret_key
    client.set_cookie("session_flashes", flash_cookie(old, [["success", "Before rotation."]]))
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = "the new key", [old]
    assert flashes(client.get(page).text) == ["Before rotation."]
    fields = page_form(client.get(page).text)
    saved = client.post(page, data=changed(fields, "q_P1_2-comment", "Rotated."))
    value = client.get_cookie("session_flashes").value
    assert flash_signer("the new key").loads(value) == [("success", "Saved: 1 answer changed.")]
    with pytest.raises(BadSignature):
        flash_signer(old).loads(value)
    assert flashes(client.get(saved.headers["Location"]).text) == ["Saved: 1 answer changed."]
    app.config["SECRET_KEY_FALLBACKS"] = []  # the old key retired: its messages no longer verify
    client.set_cookie("session_flashes", flash_cookie(old, [["success", "Before rotation."]]))
    assert flashes(client.get(page).text) == []


# --- CSRF on the page form -----------------------------------------------------------------


@pytest.fixture
def csrf_client(app, member):
    """A client logged in through the real login form, with CSRF checked."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login = client.get("/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)[1]
    client.post("/auth/login", data={"email": member[0], "password": PASSWORD, "csrf_token": token})
    return client


def test_a_page_save_without_its_csrf_token_is_refused_and_writes_nothing(app, csrf_client, member):
    page = PAGE.format(member[1])
    fields = page_form(csrf_client.get(page).text)
    without = changed(fields, "q_P1_1-comment", "New.")
    without.poplist("csrf_token")
    assert csrf_client.post(page, data=without).status_code == 400
    assert stored(app, member[1]) == {}
    with_token = changed(fields, "q_P1_1-comment", "New.")
    assert csrf_client.post(page, data=with_token).status_code == 302
    assert stored(app, member[1])["P1.1"][1] == "New."


def test_another_sessions_csrf_token_is_refused(app, csrf_client, member):
    page = PAGE.format(member[1])
    stranger = app.test_client()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', stranger.get("/auth/login").text
    )[1]
    fields = [
        (n, token if n == "csrf_token" else v) for n, v in page_form(csrf_client.get(page).text)
    ]
    refused = csrf_client.post(page, data=changed(fields, "q_P1_1-comment", "New."))
    assert refused.status_code == 400
    assert stored(app, member[1]) == {}


# --- the save's read, sent with the user's own (page_save) -------------------------------


@pytest.fixture
def two_organisations(app):
    """A person working in two organisations (admin of A, respondent in B), each with one
    assessment; returns (email, assessment of A, assessment of B, organisation B)."""
    from assessment.models import Membership, Role

    with app.app_context():
        person = make_user(organisation_name="Org A")
        own = make_assessment(person, service_name="A Chat")
        stranger = make_user(organisation_name="Org B")
        theirs = make_assessment(stranger, service_name="B Search")
        organisation_b = stranger.memberships[0].organisation
        db.session.add(Membership(user=person, organisation=organisation_b, role=Role.RESPONDENT))
        db.session.commit()
        return person.email, own.id, theirs.id, organisation_b.id


def first_answer(value: str) -> dict:
    return {"q_P1_1-answer": value, "q_P1_1-comment": "", "q_P1_1-base_version": "0"}


def test_a_member_of_two_organisations_saves_only_in_the_one_they_work_in(
    app, client, auth, two_organisations
):
    """The save's read comes with the user's, joined to every membership: only the current
    organisation's assessment may be saved, as when it was read on its own."""
    email, own, theirs, organisation_b = two_organisations
    auth.login(email)  # works in A, the first organisation joined
    assert client.post(PAGE.format(theirs), data=first_answer("2")).status_code == 404
    assert stored(app, theirs) == {} and answer_events(app, theirs) == []
    assert client.post(PAGE.format(own), data=first_answer("2")).status_code == 302
    assert stored(app, own) == {"P1.1": ("2", "", 1)}

    assert client.post(f"/members/switch/{organisation_b}").status_code == 302
    assert client.post(PAGE.format(own), data=first_answer("3")).status_code == 404
    assert stored(app, own) == {"P1.1": ("2", "", 1)}
    assert client.post(PAGE.format(theirs), data=first_answer("3")).status_code == 302
    assert stored(app, theirs) == {"P1.1": ("3", "", 1)}


def test_a_page_save_reads_each_membership_once_with_the_page(app, two_organisations):
    """The user loader's rows repeat per answer on a page save: memberships are kept once,
    and the save then finds its assessment and answers without reading them again."""
    from flask import session
    from flask_login import login_user

    from assessment.page_save import assessment_to_save_or_404
    from assessment.views.auth import load_user

    email, own, _theirs, _organisation_b = two_organisations
    with app.app_context():
        assessment = db.session.get(Assessment, own)
        for n in (1, 2, 3):
            make_answer(assessment, f"P1.{n}", str(n))
        db.session.commit()
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.test_request_context(PAGE.format(own), method="POST"):  # the URL is matched
        user = db.session.scalar(sa.select(User).where(User.email == email))
        session["session_version"] = user.session_version
        db.session.expunge_all()
        loaded = load_user(str(user.id))
        organisations = [m.organisation_id for m in loaded.memberships]
        assert len(organisations) == 2 == len(set(organisations))
        login_user(loaded)
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            read, answers = assessment_to_save_or_404(own, [f"P1.{n}" for n in range(1, 8)])
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        assert read.id == own
    assert sorted(answers) == ["P1.1", "P1.2", "P1.3"]
    assert answers["P1.2"].value == "2" and answers["P1.2"].version == 1
    assert statements == []  # the user loader read them


def test_a_link_typed_on_a_saved_page_is_added_in_a_transaction_of_its_own(
    app, client, logged_in, monkeypatch
):
    """On PostgreSQL the save's read and write go without BEGIN and COMMIT (each is one
    statement); what the request does after the save's commit (adding the typed link: the
    evidence, its audit event, the touch) runs in an ordinary transaction again."""
    from assessment.models import Evidence
    from assessment.views import evidence

    in_autocommit = []
    link_added = evidence.link_added

    def recording(*args, **kwargs):
        driver = db.session.connection().connection.driver_connection
        in_autocommit.append(getattr(driver, "autocommit", None))
        return link_added(*args, **kwargs)

    monkeypatch.setattr(evidence, "link_added", recording)
    response = client.post(
        PAGE.format(logged_in),
        data={
            "q_P1_1-answer": "3",
            "q_P1_1-comment": "typed",
            "q_P1_1-base_version": "0",
            "q_P1_1-evidence-title": "Runbook",
            "q_P1_1-evidence-url": "https://wiki.example.org/runbook",
            "save": "Save",
        },
    )
    assert response.status_code == 302
    assert stored(app, logged_in) == {"P1.1": ("3", "typed", 1)}
    with app.app_context():
        (item,) = db.session.scalars(sa.select(Evidence)).all()
        assert (item.question_id, item.title) == ("P1.1", "Runbook")
        assert db.session.get(Assessment, logged_in).version_id == 3  # the save's touch, the link's
    assert len(in_autocommit) == 1
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert in_autocommit == [False]
