"""The HTML report is a self-contained briefing: executive summary first, words with units
instead of field names, tables that fit a 1400 px page, the dashboard's charts; CSVs kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from browser import CHROMIUM_ARGS, require_chromium
from siliconomics.economics.study import run_study
from siliconomics.report.html import write_report

CHARTS = ("cost", "levelised", "npv", "tornado", "vintage", "fleet")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = run_study("chatgpt-2023", draws=1000, seed=0)
    return write_report(result, tmp_path_factory.mktemp("report"))


class _Visible(HTMLParser):
    """Collects the text of headings, table headers and row labels (what a reader scans)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.labels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not self.stack or not data.strip():
            return
        tag, attrs = self.stack[-1]
        if tag in ("h1", "h2", "h3", "h4", "th", "b", "li") or (
                tag == "td" and attrs.get("class") == "label"):
            self.labels.append(data.strip())


def _without_plotlyjs(text: str) -> str:
    head, rest = text.split("<script>", 1)
    return head + rest.split("</script>", 1)[1]


def _labels(text: str) -> list[str]:
    p = _Visible()
    p.feed(text)
    return p.labels


def test_report_is_self_contained_with_the_dashboard_charts(report: Path) -> None:
    text = report.read_text()
    assert text.count("Plotly.newPlot") == len(CHARTS)
    for name in CHARTS:
        assert f"data-chart='{name}'" in text
    # plotly.js inline (the first script), nothing fetched from the network
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"(src|href)=['\"]https?:", _without_plotlyjs(text))
    for section in ("Executive summary", "Decision:", "What would change it",
                    "Steady state vs levelised", "Where building breaks even",
                    "Cost per query and per day", "of which idle capacity", "What moves the answer",
                    "Fleet over time", "Where the chips come from",
                    "Custom chips from the silicon model", "The 4-cents-per-query figure"):
        assert section in text, section
    assert text.index("Executive summary") < text.index("Cost per query and per day")
    for name in ("options", "breakdown", "tornado", "inputs", "four_cents", "capacity",
                 "silicon"):
        assert (report.parent / f"{name}.csv").stat().st_size > 50
        assert f"href='{name}.csv'" in text
    assert "gpt3-175b on 8x a100-sxm-80gb (tp8)" in text and "inference-asic-hbm3-96gb" in text


def test_no_snake_case_field_names_and_money_in_human_units(report: Path) -> None:
    text = report.read_text()
    labels = _labels(text)
    assert len(labels) > 50
    snake = [x for x in labels if re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", x)]
    assert snake == []
    body = re.sub(r"<script.*?</script>", "", _without_plotlyjs(text), flags=re.S)
    # no long raw numbers like 743,164,467 or 0.001692 USD per query in the prose and tables
    assert not re.search(r"\d{1,3},\d{3},\d{3}", body)
    assert re.search(r"\$\d+(\.\d+)?[kMB]\b", body) and re.search(r"\d\.\d\d ¢", body)
    # the recommendation is named in words in the summary
    summary = text.split("id='summary'")[1].split("</div>")[0]
    assert "Buy A100 (HGX)" in summary or "Rent" in summary or "Buy" in summary


def _study(sid: str, tmp: Path) -> str:
    return write_report(run_study(sid, draws=200, seed=0), tmp).read_text()


def test_four_cents_only_in_chatgpt_scenarios(tmp_path: Path) -> None:
    partner = _study("google-tpu-partner", tmp_path / "partner")
    assert "4-cents" not in partner and not (tmp_path / "partner" / "four_cents.csv").exists()
    assert "Partner vs in-house" in partner and "per year" in partner
    semi = _study("semianalysis-2023", tmp_path / "semi")
    assert "The 4-cents-per-query figure" in semi and "SemiAnalysis reproduction" in semi
    assert "The same traffic on siliconomics" in semi
    rows = (tmp_path / "semi" / "own_model.csv").read_text().splitlines()
    assert len(rows) == 3 and "flops" in rows[1] and "serving" in rows[2]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    exe = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_report_in_chromium_at_1400_px_fits_the_page(report: Path, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(report.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
    assert errors == []
    assert page.evaluate("document.querySelectorAll('.js-plotly-plot').length") == len(CHARTS)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    # no table needs a horizontal scroll inside its wrapper
    overflow = page.evaluate("""[...document.querySelectorAll('.tablewrap')]
        .filter(w => w.scrollWidth > w.clientWidth + 1).length""")
    assert overflow == 0
    # the P(best) column is on screen
    right = page.evaluate("""(() => { const th = [...document.querySelectorAll('th')]
        .find(t => t.textContent === 'P(best)'); return th.getBoundingClientRect().right })()""")
    assert right <= 1400
    shot = report.parent / "report-1400.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 100_000
    page.close()


def test_charts_are_drawn_with_the_template_a_figure_object_would_carry() -> None:
    """:func:`figures.themed` gives a chart the template outside the figure object (so no
    figure copies it): the result must be the JSON of the same figure given the template
    the usual way, key order included (the report's bytes depend on it)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    from siliconomics.report import figures

    fig = figures._figure()
    usual = go.Figure()  # Plotly's default template, then ours: how the charts were made
    for f in (fig, usual):
        f.add_trace(go.Bar(x=[1.0, 2.0], y=["a", "b"], orientation="h"))
        f.update_layout(height=300)
    usual.update_layout(template=figures.TEMPLATE)
    assert pio.to_json(figures.themed(fig), validate=False) == usual.to_json()
    assert figures.themed(fig)["layout"]["template"]["layout"]["plot_bgcolor"] == "white"
