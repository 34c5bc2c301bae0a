"""The app factory, configuration and the catalogue it refuses to start without."""

import re

import pytest

from assessment import create_app
from assessment.db import database_url


def test_database_url_defaults_to_sqlite_in_instance(tmp_path):
    assert database_url(None, str(tmp_path)) == f"sqlite:///{tmp_path / 'assessment.db'}"


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://"])
def test_postgres_urls_use_psycopg3(scheme):
    assert database_url(f"{scheme}u@h/db", "/x") == "postgresql+psycopg://u@h/db"


def test_app_refuses_to_start_with_a_broken_catalogue(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("catalogue: [unclosed\n")
    with pytest.raises(SystemExit) as excinfo:
        create_app({"CATALOGUE_PATH": str(broken), "SECRET_KEY": "x"})
    message = str(excinfo.value.code)
    assert "will not start" in message
    assert "YAML syntax: line 2" in message


def test_secret_key_is_generated_into_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    first = create_app()
    key_file = first.instance_path + "/secret_key"
    second = create_app()
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    import os
    import stat

    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_secret_key_from_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"


def test_catalogue_page_is_public_and_lists_every_statement(client, app):
    from assessment.extensions import current_catalogue

    response = client.get("/catalogue/")
    assert response.status_code == 200
    with app.app_context():
        catalogue = current_catalogue()
    for principle in catalogue.principles.values():
        assert principle.statement in response.text
    assert catalogue.fingerprint[:16] in response.text


def test_front_page_explains_the_tool(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Voluntary Principles" in response.text


def test_every_page_names_an_icon_the_site_serves(client):
    """Else each browser asks for /favicon.ico on its first visit, and gets (and logs) a 404."""
    page = client.get("/auth/login").text
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert icon, "no icon link"
    served = client.get(icon.group(1))
    assert served.status_code == 200
    assert served.mimetype == "image/svg+xml"
