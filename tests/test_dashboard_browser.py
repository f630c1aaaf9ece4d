"""The dashboard in a real browser (Playwright on Debian's chromium), one server and one
browser for the module: the Decision page, a slider moving the cost the right way, uploads
refused inline while the app keeps working, the Chip and Performance pages, and the numbers
equal to ``siliconomics study --json``. Screenshots go to the test's temp folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import CHROMIUM_ARGS, require_chromium
from siliconomics.cli.main import main
from siliconomics.dashboard.app import create_app, warm_up
from siliconomics.dashboard.server import Running, start_in_thread
from siliconomics.dashboard.session import Session

SCENARIO = "google-tpu-partner"
DRAWS, SEED = 500, 3
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    require_chromium()
    session = Session(draws=DRAWS, seed=SEED)
    key = session.load(SCENARIO)
    warm_up(session, key)
    run = start_in_thread(create_app(session, key), host="127.0.0.1", port=0)
    assert run.url.startswith("http://127.0.0.1:")
    yield run
    run.stop()


@pytest.fixture(scope="module")
def page(running: Running) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.errors = errors
        pg.goto(running.url)
        pg.wait_for_selector("#recommendation")
        yield pg
        browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dashboard-shots")


def _usd(page: Any, element_id: str) -> float:
    return float(page.get_attribute(f"#{element_id}", "data-usd"))


def test_decision_page_shows_the_recommendation_and_charts(page: Any, shots: Path) -> None:
    text = page.inner_text("#recommendation")
    assert "best in" in text and "TPU designed" in text
    page.wait_for_selector("#decision-cost .main-svg")
    page.wait_for_selector("#decision-tornado .main-svg")
    assert page.locator("#decision-cost .main-svg .point, #decision-cost .bars path").count() > 0
    assert page.inner_text("#decision-summary").count("What would change it") == 1
    page.screenshot(path=str(shots / "decision.png"), full_page=True)
    assert page.errors == []


def test_dashboard_numbers_equal_the_cli_json(page: Any, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    assert main(["study", SCENARIO, "--json", "--no-report", "--draws", str(DRAWS),
                 "--seed", str(SEED)]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert page.get_attribute("#recommendation", "data-option") == cli["strategy"]["recommended"]
    for option, v in cli["options"].items():
        assert _usd(page, f"decision-cpq-{option}") == v["cost_per_query_usd"]
        assert _usd(page, f"decision-cpd-{option}") == v["cost_per_day_usd"]
        frac = float(page.get_attribute(f"#decision-pbest-{option}", "data-frac"))
        assert frac == v["prob_best"]


def test_higher_chip_price_raises_the_buy_cost(page: Any, shots: Path) -> None:
    page.click("#nav-what-if")
    page.wait_for_selector("#whatif-cpq-current-tpu")
    before = _usd(page, "whatif-cpq-current-tpu")
    partner_before = _usd(page, "whatif-cpq-partner-tpu")
    slider = page.locator("[id*='current-tpu.tpu-v6e.price_usd'] [role=slider]").first
    slider.focus()
    slider.press("End")  # the slider's top end: above the sourced range's high
    page.wait_for_function(
        f"document.querySelector('#whatif-cpq-current-tpu').dataset.usd !== '{before!r}'")
    after = _usd(page, "whatif-cpq-current-tpu")
    assert after > before
    assert _usd(page, "whatif-cpq-partner-tpu") == partner_before
    assert "Purchase price" in page.inner_text("#whatif-status")
    page.screenshot(path=str(shots / "what-if.png"), full_page=True)
    # the Decision page follows the what-if when opened
    page.click("#nav-decision")
    page.wait_for_function(
        f"document.querySelector('#decision-cpq-current-tpu').dataset.usd === '{after!r}'")
    page.click("#nav-what-if")
    page.click("#whatif-reset")
    page.wait_for_function(
        f"document.querySelector('#whatif-cpq-current-tpu').dataset.usd === '{before!r}'")
    assert page.errors == []


def _upload(page: Any, selector: str, name: str, content: bytes) -> None:
    page.set_input_files(f"{selector} input[type=file]",
                         files=[{"name": name, "mimeType": "application/x-yaml",
                                 "buffer": content}])


def test_invalid_uploads_show_the_error_and_the_app_keeps_working(page: Any, shots: Path
                                                                   ) -> None:
    page.click("#nav-what-if")
    err = "#scenario-upload-error"
    _upload(page, "#scenario-upload", "broken.yaml", b"id: x\noptions: []\n")
    page.wait_for_selector(f"{err}:has-text('broken.yaml')")
    assert "required but missing" in page.inner_text(err)
    _upload(page, "#scenario-upload", "evil.yaml",
            b"id: x\nboom: !!python/object/apply:os.system ['echo pwned']\n")
    page.wait_for_selector(f"{err}:has-text('evil.yaml')")
    assert "refused" in page.inner_text(err) and "python" in page.inner_text(err)
    _upload(page, "#scenario-upload", "big.yaml", b"a: 1\n" + b"#" * 1_100_000)
    page.wait_for_selector(f"{err}:has-text('big.yaml')")
    assert "limit" in page.inner_text(err)
    page.screenshot(path=str(shots / "upload-error.png"), full_page=True)
    # still working: the decision is shown and a what-if still answers
    page.click("#nav-decision")
    page.wait_for_selector("#recommendation:has-text('best in')")
    page.click("#nav-what-if")
    slider = page.locator("[id*='current-tpu.tpu-v6e.price_usd'] [role=slider]").first
    before = _usd(page, "whatif-cpq-current-tpu")
    slider.focus()
    slider.press("Home")  # the bottom end: cheaper GPUs
    page.wait_for_function(
        f"document.querySelector('#whatif-cpq-current-tpu').dataset.usd !== '{before!r}'")
    assert _usd(page, "whatif-cpq-current-tpu") < before
    page.click("#whatif-reset")
    page.wait_for_function(
        f"document.querySelector('#whatif-cpq-current-tpu').dataset.usd === '{before!r}'")
    assert page.errors == []


def test_chip_and_performance_pages(page: Any, shots: Path) -> None:
    page.click("#nav-chip")
    page.wait_for_selector("#chip-spec")
    assert "NRE" in page.inner_text("#chip-spec") and "mm²" in page.inner_text("#chip-spec")
    _upload(page, "#chip-upload", "chip.yaml", b"type: chip-design\nid: x\n")
    page.wait_for_selector("#chip-error:has-text('chip.yaml')")
    page.screenshot(path=str(shots / "chip.png"), full_page=True)
    page.click("#nav-performance")
    page.wait_for_selector("#perf-table")
    step_s = float(page.locator("#perf-step-s").text_content() or "nan")
    assert 0 < step_s < 1
    page.wait_for_selector("#perf-curve .main-svg")
    page.screenshot(path=str(shots / "performance.png"), full_page=True)
    assert page.errors == []


def test_downloads_carry_the_what_if(page: Any, tmp_path: Path) -> None:
    import yaml

    page.click("#nav-what-if")
    page.wait_for_selector("#whatif-cpq-current-tpu")
    before = _usd(page, "whatif-cpq-current-tpu")
    slider = page.locator("[id*='current-tpu.tpu-v6e.price_usd'] [role=slider]").first
    slider.focus()
    slider.press("End")
    page.wait_for_function(
        f"document.querySelector('#whatif-cpq-current-tpu').dataset.usd !== '{before!r}'")
    with page.expect_download() as scenario:
        page.click("#download-scenario-btn")
    data = yaml.safe_load(Path(scenario.value.path()).read_text())
    buy = next(o for o in data["options"] if o["id"] == "current-tpu")
    assert "what-if: central set to" in buy["roadmap"][0]["price_usd"]["source"]
    with page.expect_download() as report:
        page.click("#download-report-btn")
    text = Path(report.value.path()).read_text()
    assert "Executive summary" in text and "Plotly.newPlot" in text
    page.click("#whatif-reset")
    page.wait_for_function(
        f"document.querySelector('#whatif-cpq-current-tpu').dataset.usd === '{before!r}'")
    assert page.errors == []
