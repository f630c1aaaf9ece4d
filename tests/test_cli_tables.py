"""Every table the CLI prints goes through ``cli.common.print_table``, whose id and number
columns are never cut: checked structurally over the sources and on the commands whose
tables are widest, at 80 columns (the width Rich assumes for a pipe)."""

from __future__ import annotations

import re

import pytest

from conftest import REPO
from siliconomics.cli import common

CLI_DIR = REPO / "src" / "siliconomics" / "cli"


def test_no_cli_module_builds_its_own_rich_table() -> None:
    offenders = [path.name for path in CLI_DIR.glob("*.py")
                 if path.name != "common.py" and re.search(r"\bTable\(", path.read_text())]
    assert not offenders, f"use cli.common.print_table/print_pairs in {offenders}"


@pytest.mark.parametrize("args", [
    ("predict", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "4", "--phase",
     "decode", "--batch", "64", "--context", "2048"),
    ("serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--requests", "200",
     "--rate", "2"),
    ("study", "semianalysis-2023", "--no-report", "--draws", "200"),
])
def test_wide_tables_keep_numbers_whole_at_80_columns(cli, monkeypatch, args) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(common.console, "width", 80)
    monkeypatch.chdir(REPO)
    res = cli(*args)
    assert res.code == 0, res.err
    assert "…" not in res.out, res.out


def test_study_rows_keep_every_cell_and_header_at_80_columns(cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Multi-word headers of number columns wrap between words instead of cutting the column
    (a no-wrap column's header used to crop '$ per M output tokens' and the numbers under it)."""
    monkeypatch.setattr(common.console, "width", 80)
    res = cli("study", "semianalysis-2023", "--no-report", "--json")
    options = res.json()["options"]
    res = cli("study", "semianalysis-2023", "--no-report", "--draws", "200")
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    for option_id in options:
        row = next(line for line in lines if line.startswith(option_id + " "))
        assert len(row.split()) == 8, row
    for word in ("steady", "levelised", "output", "tokens", "P(best)"):
        assert word in res.out, word
