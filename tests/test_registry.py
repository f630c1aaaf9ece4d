"""Registries: unknown names explain themselves; membership tests do not raise."""

from __future__ import annotations

import pytest

from siliconomics.errors import UnknownIdError
from siliconomics.registry import Registry


def test_unknown_name_lists_valid_and_closest() -> None:
    reg = Registry("stack", {"production": 1, "eager-pytorch": 2})
    with pytest.raises(UnknownIdError, match="Did you mean 'production'"):
        reg["prodution"]
    assert "production" in reg
    assert "nope" not in reg
    assert sorted(reg) == ["eager-pytorch", "production"]
