"""Run a real `flask worker --burst` against the test database: the RQ tests' one way to do it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_burst_worker(database_url: str, redis_url: str, queue: str, **settings: str) -> None:
    """Work the queue until it is empty in a worker process of its own; fail on its error."""
    environment = {
        **os.environ,
        "FLASK_APP": "app",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "worker-test",
        **settings,
    }
    worker = subprocess.run(
        [sys.executable, "-m", "flask", "worker", "--burst", "--queue", queue],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert worker.returncode == 0, worker.stderr
