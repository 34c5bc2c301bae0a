"""The wheel is enough to run the app: built, installed into a fresh venv outside the checkout.

Slow (about a minute: a build, a venv, the dependencies from the package index),
so it is this one test. There, away from the checkout, it migrates a database,
seeds the demo, writes the PDF report and serves pages through gunicorn.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "instance", "build", "dist", "*.egg-info", "__pycache__", ".*cache",
    ".hypothesis", "tests", "bench",
)  # fmt: skip


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}"
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, response.read()


def wait_until_serving(server: subprocess.Popen, base: str) -> None:
    """Wait until gunicorn answers /healthz; fail with its output if it exits, or after 60 s."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if _get(base + "/healthz")[0] == 200:
                return
        except OSError:
            assert server.poll() is None, server.stdout.read()
            assert time.monotonic() < deadline, "gunicorn did not start within 60 s"
            time.sleep(0.3)


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    source, dist, venv, work = (tmp_path / name for name in ("src", "dist", "venv", "work"))
    shutil.copytree(ROOT, source, ignore=IGNORED)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)])
    (wheel,) = dist.glob("vp_assessment-*.whl")

    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    # --no-compile: the commands below compile what they import (a tenth of the packages).
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-compile",
            str(wheel),
        ]
    )

    work.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "PYTHON", "VIRTUAL_ENV", "DATABASE_URL"))
    }
    env.update(
        PATH=f"{venv / 'bin'}:{env.get('PATH', '')}",
        FLASK_APP="assessment.wsgi",
        DATABASE_URL=f"sqlite:///{work / 'vp.db'}",
        SECRET_KEY="wheel-test",
    )
    run = {"cwd": work, "env": env}
    where = _run([str(python), "-c", "import assessment; print(assessment.__file__)"], **run)
    assert str(venv) in where.stdout and str(ROOT) not in where.stdout

    flask = str(venv / "bin" / "flask")
    _run([flask, "db", "upgrade"], **run)
    assert "Seeded assessment 1" in _run([flask, "demo"], **run).stdout
    _run([flask, "report", "1", "--format", "pdf", "--output", "report.pdf"], **run)
    pdf = (work / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 50_000
    assert "OK, catalogue" in _run([flask, "catalogue", "check"], **run).stdout

    port = _free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "assessment.wsgi:app"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **run,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(server, base)
        status, page = _get(base + "/auth/login")
        assert status == 200 and b"Log in" in page
        status, page = _get(base + "/catalogue/")
        assert status == 200 and b"P11" in page
        assert _get(base + "/static/style.css")[0] == 200
        assert _get(base + "/static/answering.js")[0] == 200
        assert _get(base + "/static/vendor/htmx/htmx.min.js")[0] == 200
        assert _get(base + "/readyz")[0] == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "GET /auth/login 200" in output  # the app's request log, on stdout
