"""Hostile input at the edge: redirect targets, ids in URLs, digits in forms, JSON bodies."""

from __future__ import annotations

import io
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa

from assessment.extensions import db
from assessment.inputs import MAX_ID, parse_count, parse_id, safe_local_target
from assessment.models import Answer, Assessment
from tests.factories import PASSWORD, make_assessment, make_user

# Every way we know of writing "another host" so that a browser, after its own
# clean-up (tabs and newlines dropped, backslashes read as slashes, escapes decoded),
# leaves this site.
EXTERNAL_TARGETS = [
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "%2F%5Cevil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "/%252F%252Fevil.example",
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/ /evil.example",
    "https:evil.example",
    "https:/evil.example",
    "https://evil.example",
    "HTTPS://evil.example",
    "http:\\\\evil.example",
    "//evil.example@localhost",
    "/%EF%BC%8F/evil.example",  # fullwidth solidus, NFKC-normalised to "/"
    "/\uff0f/evil.example",
    "/\u2215evil.example",  # division slash
    "/\u2044evil.example",  # fraction slash
    "/\u3002evil.example",
    "/\u200b/evil.example",
    "/\x00/evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "/assessments/\r\nSet-Cookie: pwned=1",
    "/assessments/%0d%0aSet-Cookie:%20pwned=1",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("target", EXTERNAL_TARGETS)
def test_login_never_redirects_to_another_host(client, member, target):
    response = client.post(
        "/auth/login?next=" + quote(target, safe=""),
        data={"email": member[0], "password": PASSWORD},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/assessments/", location
    assert "pwned" not in str(response.headers)


@pytest.mark.parametrize(
    "target",
    ["/assessments/1/", "/assessments/1/principles/P2?x=1", "/members/", "/catalogue/#P3"],
)
def test_login_follows_a_local_next(client, member, target):
    wanted = target.split("#")[0]  # a fragment never reaches the server's redirect
    response = client.post(
        "/auth/login?next=" + quote(wanted, safe=""),
        data={"email": member[0], "password": PASSWORD},
    )
    assert response.headers["Location"] == wanted


def test_local_targets_are_recognised_exactly():
    assert safe_local_target("/assessments/3/") == "/assessments/3/"
    for target in EXTERNAL_TARGETS:
        assert safe_local_target(target) is None, target


@pytest.mark.parametrize(
    "path",
    [
        f"/assessments/{2**31}/",
        f"/assessments/{2**63}/",
        f"/assessments/{2**64 + 1}/",
        "/assessments/" + "9" * 40 + "/",
        "/assessments/%D9%A3/",  # Arabic-Indic three
        "/assessments/%EF%BC%91/",  # fullwidth one
        "/assessments/%C2%B2/",  # superscript two
        "/assessments/0/",
        "/assessments/1/evidence/" + "9" * 30,
        "/assessments/1/report.pdf".replace("1", str(2**64)),
        f"/members/{2**64}/role",
    ],
)
def test_ids_out_of_the_databases_range_are_404(client, logged_in, path):
    method = "POST" if path.endswith("/role") else "GET"
    assert client.open(path, method=method).status_code == 404


def test_id_parsing_accepts_ascii_digits_in_range_only():
    assert parse_id("12") == 12
    assert parse_id(str(MAX_ID)) == MAX_ID
    for text in (None, "", "0", "-1", "٣", "１", "²", " 1", "1 ", str(MAX_ID + 1), "9" * 400):
        assert parse_id(text) is None, text
    assert parse_count("0") == 0
    assert parse_count("٣") is None


def test_history_person_filter_ignores_junk(client, logged_in):
    for person in ("٣", "9" * 40, str(2**64), "-1", "x"):
        response = client.get(f"/assessments/{logged_in}/history?person={quote(person)}")
        assert response.status_code == 200


@pytest.mark.parametrize("base_version", ["٣", "１", "²", "9" * 40, str(2**63), "-1", "1e3"])
def test_a_damaged_base_version_is_refused_not_a_500(client, app, logged_in, base_version):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data={"q_P1_1-answer": "2", "q_P1_1-base_version": base_version},
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalars(sa.select(Answer)).first() is None


@pytest.mark.parametrize(
    "value", ["٣", "１２", "²", "1e3", "NaN", "Infinity", "-Infinity", "0x10", "9" * 40, "1,5"]
)
def test_number_answers_take_ascii_digits_only(app, value):
    from werkzeug.datastructures import MultiDict

    from assessment.forms import PlainNumberField, answer_from_field

    with app.test_request_context(method="POST"):
        from wtforms import Form

        class NumberForm(Form):
            answer = PlainNumberField()

        form = NumberForm(MultiDict({"answer": value}))
        assert not form.validate()
        assert "digits 0 to 9" in form.answer.errors[0]

        good = NumberForm(MultiDict({"answer": "120.5"}))
        assert good.validate()

        class Question:
            type = "number"

        assert answer_from_field(Question, good.answer.data) == 120.5


def test_json_bodies_to_form_pages_are_415(client, logged_in):
    for body in ([1, 2], "text", {"q_P1_1-answer": {"deep": [1]}}, 7):
        response = client.post(f"/assessments/{logged_in}/principles/P1", json=body)
        assert response.status_code == 415
        assert "not a JSON body" in response.text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/assessments/{id}/narrative", {"narrative": "We publish\x00 yearly."}),
        ("/assessments/{id}/principles/P1", {"q_P1_1-answer": "3", "q_P1_1-comment": "a\x00b"}),
        ("/assessments/{id}/principles/P1", {"q_P1_1-answer": "3", "q_\x00": "x"}),
    ],
)
def test_a_nul_character_in_a_form_is_400_and_saves_nothing(client, app, logged_in, path, data):
    # PostgreSQL refuses U+0000 in text columns: without the guard this was a 500 there.
    response = client.post(path.format(id=logged_in), data=data)
    assert response.status_code == 400
    assert "NUL character" in response.text
    with app.app_context():
        assessment = db.session.get(Assessment, logged_in)
        assert assessment.public_narrative == ""
        assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"q_P1_1-answer=3&q_P1_1-comment=a\x00b",  # a raw NUL byte, not percent-encoded
        b"q_P1_1-answer=3&q_P1_1-comment=a%00b",
        b"q_P1_1-answer=3&q_P1_1-comment=a%2500b&q_P1_1-comment=c%00",  # the second one
    ],
)
def test_a_nul_character_anywhere_in_an_urlencoded_body_is_400(client, app, logged_in, body):
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0


def test_text_that_only_reads_like_an_encoded_nul_is_kept(client, app, logged_in):
    """`%2500` is the text "%00", not U+0000: it saves as typed."""
    response = client.post(
        f"/assessments/{logged_in}/principles/P1",
        data=b"q_P1_1-answer=3&q_P1_1-comment=50%2500+off",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(sa.select(Answer.comment)).one() == "50%00 off"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper"),
        (b'{"a":' * 50 + b"1" + b"}" * 50, "nests deeper"),
        (b'{"schema_version": "1.1", "n": ' + b"7" * 5000 + b"}", "longer than 15 digits"),
        (b'{"schema_version": "1.1", "n": 1e999999}', "too large"),
        (b'{"schema_version": "1.1", "n": NaN}', "NaN is not a number"),
        (b'{"schema_version": "1.1", "n": -Infinity}', "Infinity is not a number"),
        (b'{"schema_version": "1.1", "service": "Acme\\u0000Chat"}', "NUL character"),
        (b'{"schema_version": "1.1", "a\\u0000": 1}', "NUL character"),
    ],
)
def test_deep_or_huge_json_imports_are_refused_with_a_reason(
    client, app, logged_in, document, reason
):
    response = client.post(
        "/assessments/import",
        data={"file": (io.BytesIO(document), "export.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert reason in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Assessment.id))) == 1


def test_another_organisations_viewer_gets_404_on_member_routes(app, client):
    with app.app_context():
        admin = make_user()
        target = make_user(organisation=admin.memberships[0].organisation).memberships[0].id
        viewer = make_user(role="viewer").email
        db.session.commit()
    client.post("/auth/login", data={"email": viewer, "password": PASSWORD})
    assert client.post(f"/members/{target}/role", data={"role": "admin"}).status_code == 404
    assert client.post(f"/members/{target}/remove").status_code == 404


def test_a_viewer_of_the_same_organisation_still_gets_403(app, client):
    with app.app_context():
        admin = make_user()
        organisation = admin.memberships[0].organisation
        target = make_user(organisation=organisation).memberships[0].id
        viewer = make_user(organisation=organisation, role="viewer").email
        make_assessment(admin)
        db.session.commit()
    client.post("/auth/login", data={"email": viewer, "password": PASSWORD})
    assert client.post(f"/members/{target}/role", data={"role": "admin"}).status_code == 403


def test_the_redirect_location_is_never_absolute_to_another_host(client, member):
    response = client.post(
        "/auth/login?next=/assessments/", data={"email": member[0], "password": PASSWORD}
    )
    assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")


@pytest.mark.parametrize("due", ["２０３０-01-01", "2030-٠١-01", "30000-01-01", "2030-1-1"])
def test_due_dates_take_ascii_digits_only(client, app, logged_in, due):
    from assessment.models import Assignment

    response = client.post(f"/assessments/{logged_in}/assignments", data={"q_P1-due_date": due})
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.text
    with app.app_context():
        assert db.session.scalars(sa.select(Assignment)).first() is None


@pytest.mark.parametrize("arguments", [["report", "9" * 30], ["report", "0"]])
def test_cli_ids_out_of_range_are_a_usage_error_not_a_traceback(runner, arguments, tmp_path):
    result = runner.invoke(args=[*arguments, "--output", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2
    assert "is not in the range" in result.output
