"""Signed values verified once per process: still refused when forged, expired or from another key."""

from __future__ import annotations

import contextlib
import time

import pytest
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from assessment.signed_values import RememberingSerializer


def remembering(secret: str = "secret") -> RememberingSerializer:
    return RememberingSerializer(URLSafeTimedSerializer(secret, salt="test"))


def test_a_value_reads_back_the_same_the_second_time_and_as_a_copy_of_its_own():
    serializer = remembering()
    value = serializer.dumps({"user": "7", "flashes": [["success", "Saved."]]})
    first = serializer.loads(value)
    first["flashes"].append("changed by the first request")
    assert serializer.loads(value) == {"user": "7", "flashes": [["success", "Saved."]]}


def test_a_forged_value_is_refused_even_next_to_a_remembered_one():
    serializer = remembering()
    value = serializer.dumps({"user": "7"})
    serializer.loads(value)
    payload, timestamp, signature = value.split(".")
    for forged in (
        f"{payload}.{timestamp}.{signature[:-2]}AA",
        f"{payload[:-2]}AA.{timestamp}.{signature}",
    ):
        if forged != value:
            with pytest.raises(BadSignature):
                serializer.loads(forged)


def test_a_remembered_value_still_expires(monkeypatch):
    serializer = remembering()
    value = serializer.dumps("token")
    assert serializer.loads(value, max_age=60) == "token"
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(SignatureExpired):
        serializer.loads(value, max_age=60)


def test_a_value_signed_with_another_key_is_refused():
    value = remembering("old secret").dumps("token")
    with pytest.raises(BadSignature):
        remembering("new secret").loads(value)


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr("assessment.signed_values.REMEMBERED", 3)
    serializer = remembering()
    for n in range(10):
        assert serializer.loads(serializer.dumps(n)) == n
    assert len(serializer._verified) <= 3


def test_only_the_exact_value_is_answered_from_memory(monkeypatch):
    serializer = remembering()
    value = serializer.dumps({"user": "7"})
    full_checks = []
    check = serializer.serializer.loads
    monkeypatch.setattr(
        serializer.serializer, "loads", lambda *a, **k: full_checks.append(a[0]) or check(*a, **k)
    )
    serializer.loads(value)
    serializer.loads(value)
    assert full_checks == [value]  # the second time from memory
    # The same payload signed again (another time, another signature) is a value of its own.
    other = remembering().serializer.dumps({"user": "7"})
    for variant in (value.encode(), f" {value}", other if other != value else value + "x"):
        with contextlib.suppress(BadSignature):
            serializer.loads(variant)
    assert len(full_checks) == 4


def test_a_session_cookie_remembered_under_one_key_is_refused_under_the_next(app):
    """A new secret key (or fallback list) builds a new serializer: nothing verified is kept."""
    interface = app.session_interface
    cookie = interface.get_signing_serializer(app).dumps({"_user_id": "7"})
    assert interface.get_signing_serializer(app).loads(cookie) == {"_user_id": "7"}
    old = app.secret_key
    app.config["SECRET_KEY"] = "a new secret key"
    with pytest.raises(BadSignature):
        interface.get_signing_serializer(app).loads(cookie)
    app.config["SECRET_KEY_FALLBACKS"] = [old]  # as Flask: a fallback key still verifies
    assert interface.get_signing_serializer(app).loads(cookie) == {"_user_id": "7"}
    app.config["SECRET_KEY_FALLBACKS"] = []
    with pytest.raises(BadSignature):
        interface.get_signing_serializer(app).loads(cookie)


def test_a_remembered_session_cookie_is_refused_by_the_app_after_a_key_change(app, client, member):
    from tests.factories import PASSWORD

    client.post("/auth/login", data={"email": member[0], "password": PASSWORD})
    assert client.get("/assessments/").status_code == 200  # remembered now
    app.config["SECRET_KEY"] = "a new secret key"
    answer = client.get("/assessments/")
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]
