"""Playwright on Debian's chromium for the report and dashboard tests (Playwright's own
browser download is not reachable here; ``.ci/run`` installs chromium with apt)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def require_chromium() -> str:
    """The chromium binary, or skip with the reason (only when it truly is not installed)."""
    path = chromium_path()
    if path is None:
        pytest.skip("chromium not found at /usr/bin/chromium or on PATH "
                    "(install it with `apt-get install -y chromium`; .ci/run does)")
    pytest.importorskip("playwright.sync_api", reason="playwright not installed (test extra)")
    return path
