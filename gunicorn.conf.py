"""gunicorn settings for `make serve` (gunicorn reads this file from the working directory).

Every value can be overridden from the environment: WEB_CONCURRENCY (workers),
GUNICORN_BIND, GUNICORN_TIMEOUT, or any flag through GUNICORN_CMD_ARGS.
"""

import multiprocessing
import os

# Sync workers: each holds one request, and a PDF render is CPU-bound, so more
# workers than cores buys only queueing. Two per core covers the time a worker
# waits on the database. On a 2-core machine: 4.
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, multiprocessing.cpu_count() * 2))
worker_class = "sync"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# A full PDF renders in about 5 s; leave room for a slow one before the worker is killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so no slow leak can grow for ever.
max_requests = 2000
max_requests_jitter = 200
# The app writes one line per request with its request id (assessment.logs);
# gunicorn's access log would say the same thing without it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a proxy the app trusts FLASK_PROXY_FIX hops itself; gunicorn need not.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No control socket (gunicorn 25.1+ opens one by default for `gunicornc`): its default path is
# shared by every gunicorn of the same user, so a second instance (`make run` beside `make serve`,
# a staging copy) takes it over, and the first to stop removes the other's. Older gunicorns
# ignore the setting.
control_socket_disable = True
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
