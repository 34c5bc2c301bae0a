"""Property-based: generated ids, form values and JSON bodies sent to every route get no 500.

The routes are the role table's (`tests/test_roles.py`), so a route added there is
attacked here too. An admin sends them: the role that reaches furthest into
every view. With TESTING on, an unhandled exception fails the example outright.
"""

from __future__ import annotations

import io
import json
import string
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import PASSWORD
from tests.test_roles import ROUTES, _arrange, _form_data, organisation  # noqa: F401

EXAMPLES = 12

# Text that looks like a number to someone, and to Python's int(), float() or Decimal().
NUMBERISH = [
    "0",
    "-1",
    "٣",
    "１２",
    "²",
    "৩",
    "1e3",
    "1e999999",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x1F",
    "1_000",
    " 7 ",
    "9" * 20,
    "9" * 400,
    str(2**31),
    str(2**63),
    str(2**64 + 1),
    "1.5",
    "",
]
numberish = st.sampled_from(NUMBERISH)
hostile_text = st.one_of(
    numberish,
    st.text(max_size=40),
    st.text(alphabet=string.printable, max_size=40),
    st.sampled_from(["\x00", "\r\n", "<script>", "%00", "../../", "//evil.example", "\\\\evil"]),
)


# An id in a URL: the real one (to reach the view), or anything at all.
# What a header can carry at all (a client cannot send a line break in one).
header_text = st.text(alphabet=string.printable.strip() + " ", max_size=40)


def id_text(real: str, use_real: bool) -> st.SearchStrategy[str]:
    generated = st.one_of(
        numberish, st.integers(min_value=-(2**70), max_value=2**70).map(str), st.text(max_size=12)
    )
    return st.one_of(st.just(real), generated) if use_real else generated


FIELD_NAMES = [
    "q_P1_1-answer",
    "q_P1_1-base_version",
    "q_P1_1-comment",
    "q_P1_2-answer",
    "q_P1-owner",
    "q_P1-due_date",
    "q_under_18s",
    "q_mau_band",
    "q_regions",
    "service_name",
    "role",
    "email",
    "comment",
    "narrative",
    "title",
    "url",
    "save_next",
    "next",
    "person",
    "body",
    "period",
    "incomplete_ok",
    "attest",
    "question",
    "principle",
    "from",
    "to",
    "status",
    "service",
    "sort",
    "state",
    "page",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
DEEP_JSON = [
    "[" * 5000 + "]" * 5000,
    '{"a":' * 2000 + "1" + "}" * 2000,
    '{"schema_version": "1.1", "n": ' + "7" * 5000 + "}",
    '{"schema_version": "1.1", "n": 1e999999}',
    '{"schema_version": "1.1", "n": NaN}',
]
upload_bytes = st.one_of(
    st.binary(max_size=600),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from(DEEP_JSON).map(str.encode),
)


def _request(route: str, organisation, draw) -> tuple[str, str, dict]:  # noqa: F811
    method, path, data, _status, _table = ROUTES[route]
    real = {
        "id": organisation["assessment"],
        "membership": organisation["membership"],
        "file_evidence": organisation["file_evidence"],
        "link_evidence": organisation["link_evidence"],
        "organisation": organisation["organisation"],
        "job": organisation["job"],
        "comment": organisation["comment"],
    }
    # A real id renders the whole PDF (seconds each); the PDF routes get made-up ids only.
    use_real = not path.endswith(".pdf")
    url = path.format(
        **{
            name: quote(draw(id_text(str(value), use_real)), safe="")
            for name, value in real.items()
        }
    )
    if draw(st.booleans()):
        query = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), hostile_text, max_size=3))
        url += "?" + "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())
    body = draw(st.sampled_from(["form", "json", "file"]))
    kwargs: dict = {}
    if body == "json":
        kwargs["json"] = draw(json_values)
    elif body == "file" or data in ("upload", "import"):
        kwargs["data"] = {"file": (io.BytesIO(draw(upload_bytes)), draw(st.text(max_size=20)))}
        kwargs["content_type"] = "multipart/form-data"
    else:
        base = _form_data(data) if isinstance(_form_data(data), dict) else {}
        extra = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), hostile_text, max_size=5))
        fuzzed = {key: draw(hostile_text) for key in base if draw(st.booleans())}
        kwargs["data"] = {**base, **extra, **fuzzed}
    return method, url, kwargs


@pytest.mark.parametrize("route", list(ROUTES))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_generated_request_gets_a_500(app, organisation, route, data):  # noqa: F811
    if "client" not in organisation:  # once per route: the examples share one organisation
        _arrange(app, organisation["assessment"], ROUTES[route][3])
        organisation["client"] = app.test_client()
        login = organisation["client"].post(
            "/auth/login", data={"email": organisation["emails"]["admin"], "password": PASSWORD}
        )
        assert login.status_code == 302
    client = organisation["client"]
    method, url, kwargs = _request(route, organisation, data.draw)
    if url.startswith("/api/"):  # the API takes the admin's token, never the session
        token = organisation["tokens"]["admin"]
        kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
        if if_match := data.draw(st.one_of(st.none(), header_text, st.just('"1"'))):
            kwargs["headers"]["If-Match"] = if_match
    response = client.open(url, method=method, **kwargs)
    assert response.status_code < 500, (method, url, response.status_code)
    if url.startswith("/api/") and response.status_code >= 400:
        assert response.is_json and response.json["error"], (method, url, response.status_code)
