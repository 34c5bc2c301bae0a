"""Signed values verified once per process: still refused when forged, expired or from another key."""

from __future__ import annotations

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
