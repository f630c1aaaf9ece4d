"""Entry point of the ``siliconomics`` command.

User mistakes surface as :class:`~siliconomics.errors.SiliconomicsError`; they are printed
as one line on stderr with exit code 2. Each topic registers its commands from its own
module so the CLI stays a thin layer over the library.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn

import typer
from rich.text import Text

from siliconomics.errors import SiliconomicsError

app = typer.Typer(
    name="siliconomics",
    help="What one AI query costs on a given chip, and whether to buy, rent, build or acquire.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)


def _help_keeps_brackets(typer_app: typer.Typer) -> None:
    """Render help as Markdown, not Rich markup, in this app and every sub-app: Rich markup
    reads the units in brackets (``[s]``, ``[req/s]``) as style tags and drops them."""
    typer_app.rich_markup_mode = "markdown"
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _help_keeps_brackets(group.typer_instance)


def _register_all() -> None:
    from siliconomics.cli import catalog_cmds

    registrars: list[Callable[[typer.Typer], None]] = [catalog_cmds.register]
    optional = ("perf_cmds", "serving_cmds", "silicon_cmds", "economics_cmds", "measure_cmds",
                "dashboard_cmds", "explore_cmds")
    for module_name in optional:
        try:
            module = __import__(f"siliconomics.cli.{module_name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"siliconomics.cli.{module_name}":
                raise
            continue
        registrars.append(module.register)
    for register in registrars:
        register(app)
    _help_keeps_brackets(app)


_register_all()


def _click_exception_types() -> tuple[type[BaseException], ...]:
    """Usage-error classes of click and of typer's bundled copy of click (typer >= 0.25
    ships its own), whichever are installed."""
    import click

    types: list[type[BaseException]] = [click.ClickException]
    try:
        from typer._click import exceptions as bundled  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return tuple(types)
    types.append(bundled.ClickException)
    return tuple(types)


def _abort_types() -> tuple[type[BaseException], ...]:
    import click

    return (click.exceptions.Abort, typer.Abort)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for a user mistake)."""
    from siliconomics.cli.common import err_console

    try:
        result = app(args=argv, prog_name="siliconomics", standalone_mode=False)
    except SiliconomicsError as exc:
        err_console.print(Text("error: ", style="bold red") + Text(str(exc)), highlight=False,
                          soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code)
    except _abort_types():
        err_console.print("aborted")
        return 1
    except _click_exception_types() as exc:
        exc.show()  # type: ignore[attr-defined]
        return 2
    return result if isinstance(result, int) else 0


MALLOC_MMAP_THRESHOLD_BYTES = 32 * 2**20
"""Arrays up to this size [B] come from the heap, not from a fresh ``mmap`` (glibc's cap)."""
MALLOC_TRIM_THRESHOLD_BYTES = 128 * 2**20
"""Free memory [B] glibc keeps at the top of the heap before returning it to the system."""


def _keep_freed_memory() -> None:
    """Let glibc's malloc keep freed NumPy temporaries for reuse in this process.

    By default glibc returns the top of the heap to the kernel once more than about twice
    the largest freed block is free there, so the performance model's ~1 MB temporaries
    (step tables, Monte Carlo blocks) are handed back after every call and page-faulted in
    again on the next: ~260k page faults and ~0.8 s of system time in ``study``. Set for the
    command's process only (not on import); no-op on other C libraries or when the user set
    glibc's ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` themselves.
    """
    import os

    if not sys.platform.startswith("linux") or any(
            k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): leave the defaults
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc <malloc.h>
    mallopt(m_mmap_threshold, MALLOC_MMAP_THRESHOLD_BYTES)
    mallopt(m_trim_threshold, MALLOC_TRIM_THRESHOLD_BYTES)


def _exit_without_teardown(code: int) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` would, without the interpreter's teardown.

    Tearing the interpreter down frees every object of every imported module one at a time:
    with numba's typing and lowering registries and Plotly's classes loaded (every ``study``)
    that is 0.6-0.8 s after the work is done, a sixth of the command. Nothing the command
    did is lost by skipping it: its files are closed when written, the :mod:`atexit`
    handlers (logging's flush, multiprocessing's clean-up, numba's) run here, and standard
    output and error are flushed. With another thread or a child process still running, or
    an output that cannot be flushed (a closed pipe), the normal exit runs instead.
    """
    import atexit
    import multiprocessing
    import os
    import threading

    if threading.active_count() > 1 or multiprocessing.active_children():
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(code)


def entry() -> None:
    from siliconomics.serving.fleet_cache import use_disk_by_default

    _keep_freed_memory()
    use_disk_by_default()  # a second run reuses the fleets the first sized
    _exit_without_teardown(main())
