"""Responsiveness of the dashboard (plain script, not collected by pytest).

Targets (issue 12): the first page load under 5 s after the dashboard is ready; a what-if
change that does not resize fleets answers in under 2 s.

    python benchmarks/bench_dashboard.py [SCENARIO] [--draws N]

Starts ``siliconomics dashboard SCENARIO --port 0`` in a new process (it loads the scenario,
sizes the fleets with the serving model and computes the opening study before it prints its
address), then drives it with Playwright on Debian's chromium:

- start: process launch until the address is printed (includes fleet sizing);
- first page load: navigation until the recommendation and the cost chart are drawn;
- what-if: the buy option's price slider moved to its top end until the new cost per query is
  shown (a new study in the server, no fleet re-sized), three times on different values;
- the same what-if in the library alone (``Session.briefing``), without the browser.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def start(scenario: str, draws: int) -> tuple[subprocess.Popen[str], str, float]:
    t0 = time.perf_counter()
    cmd = "from siliconomics.cli.main import entry; entry()"
    proc = subprocess.Popen([sys.executable, "-c", cmd, "dashboard", scenario, "--port", "0",
                             "--draws", str(draws)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"dashboard did not start: {line!r}")
    return proc, match.group(0), time.perf_counter() - t0


def _usd(page: Any, element_id: str) -> str:
    return str(page.get_attribute(f"#{element_id}", "data-usd"))


def browser_timings(url: str, option: str) -> tuple[float, list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("#recommendation")
        page.wait_for_selector("#decision-cost .main-svg")
        first_load = time.perf_counter() - t0
        page.click("#nav-what-if")
        page.wait_for_selector(f"#whatif-cpq-{option}")
        slider = page.locator(f"[id*='\"{option}.'][id*='price_usd'] [role=slider]").first
        changes = []
        for key in ("End", "Home", "PageUp"):
            before = _usd(page, f"whatif-cpq-{option}")
            slider.focus()
            t0 = time.perf_counter()
            slider.press(key)
            page.wait_for_function(
                f"document.querySelector('#whatif-cpq-{option}').dataset.usd !== '{before}'")
            changes.append(time.perf_counter() - t0)
        browser.close()
    return first_load, changes


def library_what_if(scenario: str, draws: int, option: str) -> list[float]:
    from siliconomics.dashboard.session import Session

    session = Session(draws=draws, seed=0)
    key = session.load(scenario)
    base = session.briefing(key)
    price = next(i for i in base.inputs
                 if i.name.startswith(f"{option}.") and i.name.endswith(".price_usd"))
    out = []
    for factor in (1.1, 1.2, 0.9):
        t0 = time.perf_counter()
        session.briefing(key, {price.name: price.central * factor})
        out.append(time.perf_counter() - t0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", default="chatgpt-2023")
    parser.add_argument("--draws", type=int, default=2_000)  # the dashboard's default
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install -y chromium")
    from siliconomics.economics.scenario import load_scenario

    option = next(o.id for o in load_scenario(args.scenario).options if o.type == "buy_gpu")
    proc, url, start_s = start(args.scenario, args.draws)
    try:
        first_load, changes = browser_timings(url, option)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"{args.scenario}, {args.draws:,} draws")
    print(f"start (load scenario, size fleets, opening study): {start_s:.1f} s")
    print(f"first page load after start: {first_load:.2f} s (target < 5 s)")
    print("what-if in the browser, slider to answer: "
          + ", ".join(f"{x:.2f} s" for x in changes) + " (target < 2 s)")
    lib = library_what_if(args.scenario, args.draws, option)
    print("what-if in the library (Session.briefing, no fleet re-sized): "
          + ", ".join(f"{x:.2f} s" for x in lib))
    ok = first_load < 5 and max(changes) < 2
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
