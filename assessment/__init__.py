"""The Voluntary Principles self-assessment web app.

The factory is imported on first use so that the pure domain modules
(`assessment.catalogue`, `assessment.scoring`) load without Flask, and the
reports package can use them in a batch job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app (see `assessment.factory.create_app`)."""
    from assessment.factory import create_app as build

    return build(test_config)
