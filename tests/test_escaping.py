"""User text is never trusted: `<script>` in every text field is shown as text, on the web and in the PDF."""

import io
import re

import pytest

from tests.factories import SUBMIT_ANYWAY, register
from tests.pdf_text import page_texts

SCRIPT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"


@pytest.fixture
def hostile(app, client):
    """An organisation where every text field a person can type into holds a script tag."""
    register(
        client,
        app,
        organisation=f"Org {SCRIPT}",
        name=f"Name {SCRIPT}",
        email="lead@example.org",
        password="a long enough password",
    )
    profile = {
        f"q_{k}": "no"
        for k in (
            "user_interaction",
            "hosts_media",
            "file_storage",
            "private_messaging",
            "e2ee_messaging",
            "groups_communities",
            "livestreaming",
            "search",
            "recommends_contacts",
            "gaming_virtual_worlds",
            "generative_images",
            "under_18s",
            "anonymous_accounts",
        )
    }
    profile["q_hosts_media"] = "yes"  # so that P1.1 applies
    created = client.post(
        "/assessments/new",
        data={"service_name": f"Service {SCRIPT}", "q_mau_band": "lt_100k", **profile},
    )
    aid = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    base = f"/assessments/{aid}"
    saved = client.post(
        f"{base}/principles/P1", data={"q_P1_1-answer": "3", "q_P1_1-comment": f"Comment {SCRIPT}"}
    )
    assert saved.status_code == 302
    assert "Saved: 1 answer changed." in client.get(saved.headers["Location"]).text
    client.post(
        f"{base}/questions/P1.1/evidence/link",
        data={"title": f"Link {SCRIPT}", "url": "https://example.org/?q=<script>"},
    )
    client.post(
        f"{base}/questions/P1.1/evidence/upload",
        data={"file": (io.BytesIO(b"plain text"), f"file{SCRIPT}.txt")},
    )
    client.post(f"{base}/narrative", data={"narrative": f"Narrative {SCRIPT}"})
    client.post("/members/invite", data={"role": "reviewer"})
    link = client.get("/members/").text.split('<code class="link">')[1].split("</code>")[0]
    reviewer = app.test_client()
    reviewer.post(
        link.replace("http://localhost", ""),
        data={
            "name": f"Reviewer {SCRIPT}",
            "email": "rev@example.org",
            "password": "a long enough password",
        },
    )
    client.post(f"{base}/submit", data=SUBMIT_ANYWAY)
    reviewer.post(f"{base}/request-changes", data={"comment": f"Review {SCRIPT}"})
    return base


PAGES = [
    "/assessments/",
    "{base}/",
    "{base}/principles/P1",
    "{base}/history",
    "/members/",
    "{base}/assignments",
]


@pytest.mark.parametrize("page", PAGES)
def test_script_tags_come_back_escaped_in_html(client, hostile, page):
    html = client.get(page.format(base=hostile)).text
    # The principle page loads its own scripts from /static (issue 9); nothing else may.
    html = re.sub(r'<script src="/static/[a-z/.]+" defer></script>', "", html)
    assert "<script" not in html
    assert ESCAPED in html or "&lt;script&gt;" in html


def test_every_field_is_escaped_somewhere_it_is_shown(client, hostile):
    html = "".join(client.get(page.format(base=hostile)).text for page in PAGES)
    for label in ("Org", "Name", "Service", "Comment", "Link", "Narrative", "Review", "Reviewer"):
        assert f"{label} {ESCAPED}" in html or f"{label} &lt;script&gt;" in html, label


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page_texts(pdf)))


@pytest.mark.real_pdf
def test_script_tags_are_literal_text_in_the_pdfs(client, hostile):
    full = _text(client.get(f"{hostile}/report.pdf").data)
    for label in ("Org", "Service", "Comment", "Link"):
        assert f"{label} {SCRIPT}" in full, label
    public = _text(client.get(f"{hostile}/summary.pdf").data)
    assert f"Narrative {SCRIPT}" in public
    assert "Comment" not in public or f"Comment {SCRIPT}" not in public
