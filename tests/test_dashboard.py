"""The dashboard without a browser: uploads (size limit, safe YAML only, the CLI's
validation), what-if reruns through the library, the scenario download, default bind, and
no eval/exec/pickle of user input anywhere in the sources."""

from __future__ import annotations

import base64
import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from siliconomics.cli.dashboard_cmds import dashboard
from siliconomics.dashboard import server
from siliconomics.dashboard.chip_page import DESIGN_DIR, _load_uploaded
from siliconomics.dashboard.session import Session
from siliconomics.dashboard.uploads import MAX_UPLOAD_BYTES, UploadError, parse_upload
from siliconomics.dashboard.whatif import scenario_yaml, slider_specs
from siliconomics.economics.scenario import SCENARIO_DIR
from siliconomics.economics.study import as_scenario as load_scenario_file
from siliconomics.errors import SiliconomicsError
from siliconomics.report.briefing import with_centrals

SRC = Path(__file__).resolve().parents[1] / "src"
SCENARIO = "google-tpu-partner"  # one small serving fleet (TPU v6e): fast


def _upload(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return "data:application/x-yaml;base64," + base64.b64encode(raw).decode()


@pytest.fixture(scope="module")
def session() -> Session:
    s = Session(draws=300, seed=0)
    s.load(SCENARIO)
    return s


def test_upload_parses_into_the_clis_scenario_type() -> None:
    text = (SCENARIO_DIR / f"{SCENARIO}.yaml").read_text()
    s = parse_upload(_upload(text), "mine.yaml", load_scenario_file)
    assert s.id == SCENARIO and {o.id for o in s.options} == {"current-tpu", "partner-tpu",
                                                              "inhouse-tpu"}


def test_upload_refuses_oversized_python_tags_and_bad_fields() -> None:
    with pytest.raises(UploadError, match="limit"):
        parse_upload(_upload(b"a: 1\n" + b"#" * (MAX_UPLOAD_BYTES + 10)), "big.yaml",
                     load_scenario_file)
    with pytest.raises(UploadError, match=r"big\.yaml.*larger than"):
        parse_upload("data:x;base64," + "A" * (2 * MAX_UPLOAD_BYTES), "big.yaml", load_scenario_file)
    evil = "id: x\nboom: !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(UploadError, match=r"evil\.yaml.*not valid YAML.*python/object"):
        parse_upload(_upload(evil), "evil.yaml", load_scenario_file)
    with pytest.raises(UploadError, match=r"list\.yaml: expected a mapping"):
        parse_upload(_upload("- 1\n- 2\n"), "list.yaml", load_scenario_file)
    with pytest.raises(UploadError, match=r"bin\.yaml: not UTF-8"):
        parse_upload(_upload(b"\xff\xfe\x00bad"), "bin.yaml", load_scenario_file)
    text = (SCENARIO_DIR / f"{SCENARIO}.yaml").read_text().replace("traffic:", "trafic:")
    with pytest.raises(UploadError, match=r"mine\.yaml.*unknown field 'trafic'.*'traffic'"):
        parse_upload(_upload(text), "mine.yaml", load_scenario_file)


def test_design_upload_error_names_the_field() -> None:
    data = yaml.safe_load((DESIGN_DIR / "inference-asic-v5e-like.yaml").read_text())
    data["process_node"] = "N0"
    with pytest.raises(UploadError, match=r"chip\.yaml.*process_node"):
        parse_upload(_upload(yaml.safe_dump(data)), "chip.yaml", _load_uploaded)


def test_upload_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    text = (SCENARIO_DIR / f"{SCENARIO}.yaml").read_text()
    parse_upload(_upload(text), "../../etc/passwd", load_scenario_file)
    assert list(tmp_path.iterdir()) == []


def test_what_if_higher_gpu_price_raises_the_buy_option_cost(session: Session) -> None:
    base = session.briefing(SCENARIO)
    price = next(i for i in base.inputs if i.name == "current-tpu.tpu-v6e.price_usd")
    dearer = session.briefing(SCENARIO, {"current-tpu.tpu-v6e.price_usd": price.high * 1.2})
    assert dearer.option("current-tpu").cost_per_query_usd > base.option("current-tpu").cost_per_query_usd
    assert dearer.option("partner-tpu").cost_per_query_usd == pytest.approx(
        base.option("partner-tpu").cost_per_query_usd)
    with pytest.raises(SiliconomicsError, match="unknown input"):
        with_centrals(session.scenario(SCENARIO), {"current-tpu.tpu-v6e.price_dollars": 1.0})


def test_sliders_offer_the_buy_price_and_the_big_swings_with_sources(session: Session) -> None:
    specs = slider_specs(session.briefing(SCENARIO))
    names = [s.name for s in specs]
    assert "current-tpu.tpu-v6e.price_usd" in names and len(specs) == 8
    for s in specs:
        assert s.min <= s.low <= s.central <= s.high <= s.max and s.source
        assert not re.search(r"[a-z]_[a-z]", s.label)


def test_downloaded_scenario_keeps_sources_and_the_change(session: Session,
                                                          tmp_path: Path) -> None:
    s = session.scenario(SCENARIO)
    text = scenario_yaml(s, {"current-tpu.tpu-v6e.price_usd": 33_000.0, "econ.pue": 1.3,
                             "traffic.growth_frac_per_year": 0.7})
    path = tmp_path / "what-if.yaml"
    path.write_text(text)
    again = load_scenario_file(path)
    r = again.strategy.ranges
    assert r["current-tpu.tpu-v6e.price_usd"].central == 33_000.0
    assert r["econ.pue"].central == 1.3 and r["traffic.growth_frac_per_year"].central == 0.7
    assert "what-if: central set to 33000" in r["current-tpu.tpu-v6e.price_usd"].source
    price = "current-tpu.tpu-v6e.price_usd"
    assert s.strategy.ranges[price].source in r[price].source
    untouched = s.strategy.ranges["partner-tpu.unit_cost_usd"]
    assert r["partner-tpu.unit_cost_usd"] == untouched


def test_default_bind_is_this_machine_only() -> None:
    params = inspect.signature(dashboard).parameters
    assert params["host"].default == "127.0.0.1" and params["port"].default == 8050
    assert server.DEFAULT_HOST == "127.0.0.1"
    assert inspect.signature(server.start_in_thread).parameters["host"].default == "127.0.0.1"


def test_no_eval_exec_or_pickle_of_input_in_the_sources() -> None:
    bad = re.compile(r"\beval\(|\bexec\(|pickle\.loads?\(|yaml\.load\(|yaml\.unsafe_load|"
                     r"marshal\.loads?\(|yaml\.Loader\b|yaml\.UnsafeLoader")
    hits = [f"{p}:{n}" for p in SRC.rglob("*.py")
            for n, line in enumerate(p.read_text().splitlines(), 1) if bad.search(line)]
    assert hits == []


def test_bench_dashboard_smoke() -> None:
    """The benchmark's library part runs (the timed browser part is benchmarks/ only)."""
    import importlib.util
    import sys

    path = SRC.parent / "benchmarks" / "bench_dashboard.py"
    spec = importlib.util.spec_from_file_location("bench_dashboard", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    times = module.library_what_if(SCENARIO, 100, "current-tpu")
    assert len(times) == 3 and all(t > 0 for t in times)


def test_cli_refuses_a_busy_port_and_an_unknown_scenario_in_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("dashboard", SCENARIO, "--port", str(port))
    assert result.code == 2 and f"--port {port}: cannot listen on 127.0.0.1:{port}" in result.err
    result = cli("dashboard", "no-such-scenario", "--port", "0")
    assert result.code == 2 and "no-such-scenario" in result.err
    assert "Traceback" not in result.err
    assert cli("dashboard", "--port", "70000").code == 2


def test_fleet_power_is_finite_and_follows_the_owned_fleet(session) -> None:  # type: ignore[no-untyped-def]
    """The Fleet page's power chart: chips of each generation x that chip's TDP, never NaN
    (it once looked up a '<bridge>.tdp_w' input that no longer exists and drew nothing)."""
    from siliconomics.report import figures

    b = session.briefing(SCENARIO)
    fig = figures.fleet_power(b)
    assert len(fig.data) == len(b.options)
    for trace, option in zip(fig.data, b.options, strict=True):
        mw = np.asarray(trace.y, dtype=float)
        assert np.all(np.isfinite(mw)) and np.all(mw >= 0), option.id
        owned = sum(np.asarray(v) for k, v in option.fleet_by_vintage.items() if k != "rented")
        if np.any(np.asarray(owned) > 0):
            assert mw.max() > 0, option.id
