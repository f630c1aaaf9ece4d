"""The README's two commands are what CI and users run: keep them honest."""

from __future__ import annotations

import re

from conftest import REPO


def _commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_has_exactly_two_commands() -> None:
    commands = _commands()
    assert len(commands) == 2, commands
    assert commands[0].startswith("pip install")
    assert commands[1].startswith("pip install")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert _commands()[1] in ci


def _tour() -> list[str]:
    text = (REPO / "README.md").read_text()
    return re.findall(r"^- `siliconomics ([^`]+)`", text, flags=re.MULTILINE)


def test_readme_tour_commands_run(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Examples are tests: every command of the README's tour runs and exits 0."""
    import shlex

    monkeypatch.chdir(REPO)
    commands = _tour()
    assert len(commands) >= 6
    for command in commands:
        result = cli(*shlex.split(command))
        assert result.code == 0, (command, result.err)
        assert result.out.strip(), command
