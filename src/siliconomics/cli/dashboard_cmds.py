"""``siliconomics dashboard``: the local what-if dashboard in the browser."""

from __future__ import annotations

import socket
import time
from typing import Annotated

import typer

from siliconomics.cli.common import console, err_console
from siliconomics.errors import SiliconomicsError


def check_free(host: str, port: int) -> None:
    """Refuse an address we cannot listen on before any slow work starts (one line, naming
    the option and the reason)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise SiliconomicsError(f"--host {host}: not an address of this machine "
                                f"({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise SiliconomicsError(f"--port {port}: cannot listen on {host}:{port} "
                                    f"({exc.strerror})") from None


def dashboard(
    scenario: Annotated[str, typer.Argument(help="Scenario id or path to a scenario YAML.")
                        ] = "chatgpt-2023",
    port: Annotated[int, typer.Option("--port", min=0, max=65535,
                                      help="Port to listen on (0: any free port).")] = 8050,
    host: Annotated[str, typer.Option("--host", help="Address to bind; the default is this "
                                      "machine only. Anything else exposes the dashboard to "
                                      "your network.")] = "127.0.0.1",
    draws: Annotated[int, typer.Option("--draws", min=1, help="Monte Carlo draws per study "
                                       "(fewer than the study command's 10,000 so a what-if "
                                       "answers in about a second).")] = 2_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")
                    ] = 0,
) -> None:
    """Start the what-if dashboard (Decision, What-if, Fleet, Chip, Performance pages) on
    http://HOST:PORT; stop it with Ctrl+C."""
    from siliconomics.dashboard.app import create_app, warm_up
    from siliconomics.dashboard.server import make
    from siliconomics.dashboard.session import Session

    check_free(host, port)
    start = time.perf_counter()
    session = Session(draws=draws, seed=seed)
    with err_console.status(f"loading {scenario} (sizing fleets with the serving model)"):
        key = session.load(scenario)
        warm_up(session, key)
    server = make(create_app(session, key), host, port)
    url = f"http://{host}:{server.server_port}"
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"[yellow]warning:[/] listening on {host}: anyone who can reach this "
                          "address can use the dashboard")
    console.print(f"siliconomics dashboard: {url} (ready in {time.perf_counter() - start:.1f} s; "
                  "Ctrl+C stops it)", highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def register(app: typer.Typer) -> None:
    app.command("dashboard")(dashboard)
