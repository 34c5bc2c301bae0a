"""The WSGI app for servers of an installed copy: `gunicorn assessment.wsgi:app`.

A checkout serves `app:app` (the top-level `app.py`); both build the same app.
"""

from assessment import create_app

app = create_app()
