"""An app that fails on every request but its readiness URL ``/ready``, after printing why:
``500`` answers HTTP 500 (a traceback behind an error page), ``exit`` ends its process with
code 3 without answering (an app that dies mid-scenario). ``later`` and ``killed`` answer with
a page that leads nowhere, then end their process a moment later (code 3; SIGKILL), while the
browser waits for what should come next. It also prints its client secret, as a careless app
does, for the masking of what it printed. ``FAILING_WITH`` in its environment is what it prints
instead of its own words (a library's error). ``host`` and ``host-quiet`` answer every
request, ``/ready`` too, as Django does a Host header its ``ALLOWED_HOSTS`` leaves out (with
``DEBUG`` off): HTTP 400 with its own "Bad Request (400)" page, ``host`` after printing the
line Django logs, ``host-quiet`` printing nothing (an app whose logging drops it).

    OIDC_CLIENT_SECRET=... python failing_app.py PORT 500|exit|later|killed|host|host-quiet
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

MODE = sys.argv[2]
LATER_SECONDS = 0.3


def _end() -> None:
    if MODE == "killed":
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(3)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if MODE.startswith("host"):
            self._disallowed_host()
            return
        if self.path == "/ready":
            self.send_response(200)
            self.end_headers()
            return
        if MODE in ("later", "killed"):
            print(f"fatal: pid {os.getpid()}: the worker behind {self.path} died", file=sys.stderr,
                  flush=True)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<p>One moment...</p>")
            threading.Timer(LATER_SECONDS, _end).start()
            return
        print(os.environ.get("FAILING_WITH") or f"fatal: cannot serve {self.path}",
              file=sys.stderr)
        print(os.environ.get("OIDC_CLIENT_SECRET", ""), file=sys.stderr, flush=True)
        if MODE == "exit":
            os._exit(3)
        self.send_response(500)
        self.end_headers()
        self.wfile.write(b"<h1>Internal Server Error</h1>")

    def _disallowed_host(self) -> None:
        header = self.headers.get("Host", "")
        if MODE == "host":
            print(f"Invalid HTTP_HOST header: {header!r}. You may need to add "
                  f"{header.rpartition(':')[0]!r} to ALLOWED_HOSTS.", file=sys.stderr, flush=True)
        self.send_response(400)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"<html><head><title>Bad Request (400)</title></head>"
                         b"<body><h1>Bad Request (400)</h1></body></html>")

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
