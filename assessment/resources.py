"""Where the app's files are: inside an installed package, or at the top of a checkout.

`templates/`, `migrations/` and `principles.yaml` sit at the top of the
repository. A wheel carries them in `assessment/bundled/` (see setup.py); a
checkout or an editable install reads them where they are. Pure: no Flask.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BUNDLED_DIR = PACKAGE_DIR / "bundled"
CHECKOUT_DIR = PACKAGE_DIR.parent


def resource_path(name: str) -> Path:
    """Return the path of a top-level resource: the installed copy first, else the checkout's."""
    bundled = BUNDLED_DIR / name
    return bundled if bundled.exists() else CHECKOUT_DIR / name


TEMPLATES_DIR = resource_path("templates")
MIGRATIONS_DIR = resource_path("migrations")
CATALOGUE_PATH = resource_path("principles.yaml")
