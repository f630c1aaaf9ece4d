"""Entry point of the ``siliconomics`` command.

User mistakes surface as :class:`~siliconomics.errors.SiliconomicsError`; they are printed
as one line on stderr with exit code 2. Each topic registers its commands from its own
module so the CLI stays a thin layer over the library.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer

from siliconomics.errors import SiliconomicsError

app = typer.Typer(
    name="siliconomics",
    help="What one AI query costs on a given chip, and whether to buy, rent, build or acquire.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_all() -> None:
    from siliconomics.cli import catalog_cmds

    registrars: list[Callable[[typer.Typer], None]] = [catalog_cmds.register]
    optional = ("perf_cmds", "serving_cmds", "silicon_cmds", "economics_cmds", "measure_cmds",
                "dashboard_cmds")
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
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
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


def entry() -> None:
    sys.exit(main())
