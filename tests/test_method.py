"""The scoring method is data: the appendix prints it, even under `python -OO`."""

import json
import subprocess
import sys
from pathlib import Path

from markupsafe import escape

from assessment.method import METHOD_STEPS, numbered
from reports.export import to_dict
from tests.report_data import sample_scored

ROOT = Path(__file__).resolve().parents[1]

# Run in a fresh interpreter with -OO: docstrings are gone, and so are asserts,
# so the child only prints what it found and this test checks it.
RENDER_THE_APPENDIX = """
import json, sys
from assessment import create_app
from assessment.catalogue import load_catalogue
from assessment.method import METHOD_STEPS
from reports.pdf import render_html
from tests.report_data import ISSUED_AT, sample_scored

app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
catalogue = load_catalogue()
html = render_html(sample_scored("draft", catalogue=catalogue), catalogue, issued_at=ISSUED_AT)
start = html.index('<section class="flow" id="method">')
appendix = html[start : html.index("</ol>", start)]
print(json.dumps({"optimize": sys.flags.optimize, "app": app.name, "steps": list(METHOD_STEPS),
                  "appendix": appendix}))
"""


def test_the_app_imports_and_the_appendix_prints_the_method_under_python_oo():
    result = subprocess.run(
        [sys.executable, "-OO", "-c", RENDER_THE_APPENDIX],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.splitlines()[-1])
    assert found["optimize"] == 2
    assert found["app"] == "assessment.factory"
    assert found["steps"] == list(METHOD_STEPS) and len(METHOD_STEPS) == 7
    items = found["appendix"].count("<li>")
    assert items == len(METHOD_STEPS)
    for step in METHOD_STEPS:
        assert f"<li>{escape(step)}</li>" in found["appendix"]


def test_the_json_export_carries_the_method_a_numbered_step_a_line():
    method = to_dict(sample_scored("draft"))["method"]
    assert method == numbered(METHOD_STEPS)
    lines = method.splitlines()
    assert len(lines) == len(METHOD_STEPS)
    assert lines[0].startswith("1. A question's score is the score of the chosen option")
    assert lines[-1].startswith("7. A gap is an applicable scored question")
