"""Absolute links (invitations, e-mail) from the configured address, not the Host header.

A link that leaves the site is read later by someone else: built from the
request's Host header, anyone who can send a request with another Host gets
an admin to hand out a link to their own server. `EXTERNAL_URL`
(`FLASK_EXTERNAL_URL`) names the site's address; without it, only a host the
app was told to trust (`TRUSTED_HOSTS`) or a loopback address (development)
is used.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request, url_for

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class NoExternalURL(RuntimeError):
    """The site's public address is not configured and the request's host is not trusted."""


def check_external_url(app: Flask) -> None:
    """Refuse to start with an `EXTERNAL_URL` that is not an http(s) address, saying why."""
    value = app.config.get("EXTERNAL_URL")
    if not value:
        app.config["EXTERNAL_URL"] = None
        return
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SystemExit(
            f"FLASK_EXTERNAL_URL={value!r} is not the site's address: "
            "give it as https://host[:port][/prefix], e.g. https://vp.example.org"
        )
    app.config["EXTERNAL_URL"] = str(value).rstrip("/")


def trusted_hosts_setting(value: object) -> list[str] | None:
    """Return `TRUSTED_HOSTS` as a list: the environment gives JSON or comma-separated text."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return [host.strip() for host in value.split(",") if host.strip()]
    return [str(host) for host in value]


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def absolute_url_for(endpoint: str, **values: object) -> str:
    """Return an absolute link to an endpoint of this site, or raise NoExternalURL."""
    base = current_app.config.get("EXTERNAL_URL")
    if not has_request_context():
        # A command or a job (`flask send-reminders`): only the configured address will do.
        if not base:
            raise NoExternalURL(
                "Links in e-mail sent from the command line need the site's address: "
                "set FLASK_EXTERNAL_URL (for example https://vp.example.org)."
            )
        adapter = current_app.url_map.bind("localhost", script_name="/")
        anchor = values.pop("_anchor", None)
        link = base + adapter.build(endpoint, values)
        return f"{link}#{url_quote(str(anchor), safe='')}" if anchor else link
    if base:
        path = url_for(endpoint, **values)
        root = request.script_root
        if root and path.startswith(root):
            path = path[len(root) :]
        return base + path
    if current_app.config.get("TRUSTED_HOSTS") or _is_loopback(request.host):
        # Flask has already refused any host outside TRUSTED_HOSTS with a 400.
        return url_for(endpoint, _external=True, **values)
    raise NoExternalURL(
        "Links that leave this site need its address: set FLASK_EXTERNAL_URL "
        "(for example https://vp.example.org) or FLASK_TRUSTED_HOSTS, then try again."
    )
