"""The session cookie's serializer, built once per keys: a key change is seen at once."""

from __future__ import annotations

import pytest
from itsdangerous import BadSignature


def test_a_session_cookie_is_refused_under_the_next_key_unless_it_is_a_fallback(app):
    """The serializer is built once per keys: a new key (or fallback list) builds a new one."""
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


def test_a_signed_in_session_ends_when_the_secret_key_changes(app, client, member):
    from tests.factories import PASSWORD

    client.post("/auth/login", data={"email": member[0], "password": PASSWORD})
    assert client.get("/assessments/").status_code == 200
    app.config["SECRET_KEY"] = "a new secret key"
    answer = client.get("/assessments/")
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]
