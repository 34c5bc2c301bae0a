"""Benchmark: does asking for a password reset take as long for an unknown address?

Not a test: run it (`.venv/bin/python bench/reset_timing.py`) and read the
ratio. The same app answers "Forgot your password?" for an address with an
account and one without, interleaved in rounds so that neither gets a warmer
cache, through the Flask test client without reading the response to the
end: the e-mail is sent after the response has gone, as with a real server.
A mail server is configured (nothing listens on it), so the known address
queues a real e-mail.

Prints both medians in milliseconds and `reset_timing_ratio` (known /
unknown; 1.0 means the time says nothing about whether an account exists).
"""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assessment import create_app  # noqa: E402
from assessment.extensions import db  # noqa: E402
from tests.factories import make_user  # noqa: E402

ROUNDS = 300


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(folder) / 'bench.db'}",
                "WTF_CSRF_ENABLED": False,
                "EXTERNAL_URL": "https://vp.example.org",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": _unused_port(),
                "MAIL_DEFAULT_SENDER": "vp@example.org",
                "PASSWORD_RESET_MAX_PER_EMAIL": 10 * ROUNDS,
                "PASSWORD_RESET_MAX_PER_ADDRESS": 10 * ROUNDS,
                "LOG_LEVEL": "ERROR",
            }
        )
        with app.app_context():
            db.create_all()
            make_user(email="known@example.org")
            db.session.commit()
        client = app.test_client()
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for n in range(ROUNDS + 20):
            order = ("known", "unknown") if n % 2 else ("unknown", "known")
            for which in order:
                started = time.perf_counter()
                response = client.post("/auth/forgot", data={"email": f"{which}@example.org"})
                elapsed = time.perf_counter() - started
                assert response.status_code == 302, response.status_code
                if n >= 20:  # warm-up rounds are not counted
                    times[which].append(elapsed * 1000)
        known, unknown = (statistics.median(times[k]) for k in ("known", "unknown"))
        print(f"reset_known_median_ms: {known:.2f}")
        print(f"reset_unknown_median_ms: {unknown:.2f}")
        print(f"reset_timing_ratio: {known / unknown:.3f}")


if __name__ == "__main__":
    main()
