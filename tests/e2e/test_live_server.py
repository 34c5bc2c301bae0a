"""The live server closes every response, as gunicorn does, even when the browser resets.

The app sends e-mail once a response has gone (`response.call_on_close`), so a
server that skips a response's close() loses the e-mail without a word.
"""

from __future__ import annotations

import socket
import struct
import threading
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e


def _reset(sock: socket.socket) -> None:
    """Close the connection with a reset (RST), as Chromium does when it leaves data unread."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _read_response(sock: socket.socket) -> bytes:
    """Read one response whole: its head and the Content-Length bytes of its body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head


def test_a_response_is_closed_when_the_browser_resets_the_connection(live_server):
    # Werkzeug's server reads what the browser sends after a response before closing it,
    # and skipped close() when the browser reset the connection meanwhile.
    base, app = live_server
    in_view, byte_sent, closed = threading.Event(), threading.Event(), threading.Event()

    @app.get("/test-after-response")
    def after_response():
        in_view.set()
        byte_sent.wait(10)  # the request is read: the byte stays unread in the socket
        response = app.make_response("done")
        response.call_on_close(closed.set)
        return response

    url = urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(b"GET /test-after-response HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert in_view.wait(10)
        sock.sendall(b"x")  # what the server reads, and waits on, after the response
        byte_sent.set()
        assert _read_response(sock).startswith(b"HTTP/1.1 200")
        _reset(sock)
    assert closed.wait(10), "the response was never closed: its call_on_close work never ran"
