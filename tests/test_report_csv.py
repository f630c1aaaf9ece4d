"""The report's CSV writer gives the bytes pandas' ``DataFrame(rows).to_csv(index=False)``
gives (it replaced it so that ``siliconomics study`` does not import pandas)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from siliconomics.economics.export import write_table

CASES = {
    "empty": [],
    "ints": [{"a": 1, "b": 2}, {"a": 3, "b": -4}],
    "ints with a gap": [{"a": 1}, {"a": None}, {"b": 2}],
    "floats": [{"x": 0.1 + 0.2, "y": 1e16, "z": 1e-5}, {"x": -0.0, "y": 123456789.0, "z": 2.5}],
    "int and float": [{"x": 3}, {"x": 2.5}],
    "nan and inf": [{"x": float("nan")}, {"x": float("inf")}, {"x": -float("inf")}],
    "numpy scalars": [{"x": np.float64(0.3), "n": np.int64(7)}, {"x": np.float64(1e-7),
                                                                   "n": np.int64(8)}],
    "bools": [{"ok": True}, {"ok": False}],
    "bool with a gap": [{"ok": True}, {"ok": None}],
    "text": [{"s": "a,b", "t": 'say "hi"', "u": "line\nbreak"}, {"s": None, "t": "", "u": "é"}],
    "mixed": [{"m": "x"}, {"m": 1.5}, {"m": 2}, {"m": True}, {"m": None}],
    "lists": [{"l": [1, 2]}, {"l": (3,)}],
    "columns in order of first appearance": [{"b": 1}, {"a": 2, "b": 3}, {"c": "x"}],
    "rows without columns": [{}, {}],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_write_table_matches_pandas(name: str, tmp_path: Path) -> None:
    rows = CASES[name]
    path = tmp_path / "t.csv"
    write_table(rows, path)
    assert path.read_text(encoding="utf-8") == pd.DataFrame(rows).to_csv(index=False)
