"""Serve the dashboard: a Werkzeug server bound to 127.0.0.1 by default, in the foreground
(the CLI) or in a background thread (tests, benchmarks), stopped by :meth:`Running.stop`."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import dash
from werkzeug.serving import BaseWSGIServer, make_server

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


@dataclass
class Running:
    server: BaseWSGIServer
    thread: threading.Thread | None

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.server.server_close()


def make(app: dash.Dash, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> BaseWSGIServer:
    """A threaded server for ``app`` (port 0: a free port chosen by the system); request
    lines are not logged (errors are)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return make_server(host, port, app.server, threaded=True)


def start_in_thread(app: dash.Dash, host: str = DEFAULT_HOST, port: int = 0) -> Running:
    server = make(app, host, port)
    thread = threading.Thread(target=server.serve_forever, name="siliconomics-dashboard",
                              daemon=True)
    thread.start()
    return Running(server, thread)
