"""The design search against reality: TPU v4 vs A100 work per joule on a compute-bound,
training-like step (Jouppi et al., "TPU v4", ISCA 2023, doi:10.1145/3579371.3589350: on MLPerf
Training at similar system size, TPU v4 uses 1.3-1.9x less power than the A100), and a search
constrained to TPU v4's node and budget (docs/explore.md, "Checks against reality").

Tolerance: the paper's band itself (1.3-1.9x spans its benchmarks: BERT, ResNet, ...); the
model's one workload (a Llama-3 8B bf16 forward pass at batch 8 x 2,048 tokens) must land in
it. Where a layer does not land, the test asserts the number it gives and says why, so a
model change that moves it fails here and the docs are updated with it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO
from siliconomics.catalog.index import DATA_DIR
from siliconomics.explore.constraints import violations
from siliconomics.explore.efficiency import Efficiency, training_efficiency
from siliconomics.explore.run import ExploreResult, explore
from siliconomics.explore.space import SPACES_DIR, load_space
from siliconomics.resolve import resolve_accelerator
from siliconomics.silicon.chip import evaluate
from siliconomics.silicon.design import ChipDesign, load_design

DESIGNS = DATA_DIR / "designs"
JOUPPI_2023_BAND = (1.3, 1.9)
"""TPU v4 / A100 power at similar MLPerf Training performance (Jouppi et al., ISCA 2023,
Section 7 and abstract: "uses 1.3x-1.9x less power than the Nvidia A100")."""


def _efficiency(design_id: str) -> dict[str, Efficiency]:
    return training_efficiency(resolve_accelerator(DESIGNS / f"{design_id}.yaml"))


def _as_modelled(design_id: str) -> Any:
    """The design with the TDP the silicon model gives it (the published ``tdp_w`` dropped)."""
    doc = yaml.safe_load((DESIGNS / f"{design_id}.yaml").read_text())
    doc.pop("tdp_w")
    return evaluate(ChipDesign.model_validate(doc), f"{design_id} (modelled TDP)")


@pytest.fixture(scope="module")
def v4() -> dict[str, Efficiency]:
    return _efficiency("tpu-v4-reference")


@pytest.fixture(scope="module")
def a100() -> dict[str, Efficiency]:
    return _efficiency("a100-reference")


def test_tpu_v4_over_a100_perf_per_watt_jouppi_isca2023(v4: dict[str, Efficiency],
                                                       a100: dict[str, Efficiency]) -> None:
    # The silicon power model alone (each chip at the clock where its board draws its TDP,
    # energy per FLOP falling with clock^2.4): 885 vs 565 GFLOP/J = 1.57, inside the band.
    silicon = v4["silicon"].flops_per_j / a100["silicon"].flops_per_j
    assert JOUPPI_2023_BAND[0] <= silicon <= JOUPPI_2023_BAND[1], silicon
    # Both chips are power-limited on this step: the v4 at 62 % of its 1,050 MHz, the A100 at
    # 72 % of 1,410 MHz. The real v4 runs at its full clock within 192 W: the model's energy
    # per FLOP (fitted on the H100, a GPU) is ~4x a systolic array's, so it lands in the band
    # through voltage scaling of a throttle the real chip does not have.
    assert v4["silicon"].clock_frac == pytest.approx(0.62, abs=0.02)
    assert a100["silicon"].clock_frac == pytest.approx(0.72, abs=0.02)
    # Known miss, the full stack (performance layer's throughput, silicon power model's
    # board power): 668 vs 627 GFLOP/J = 1.06, below the band. The performance layer caps a
    # chip's matrix rate at (TDP - idle) / energy per FLOP with the H100-fitted energy, so the
    # v4 sustains 128 of its 275 TFLOP/s (the A100 251 of 312) and both draw their TDP; the
    # ratio is then about (128 / 192) / (251 / 400).
    stack = v4["stack"].flops_per_j / a100["stack"].flops_per_j
    assert 1.0 < stack < JOUPPI_2023_BAND[0], stack
    assert v4["stack"].flops_s / 275.25e12 < 0.5 < a100["stack"].flops_s / 311.87e12
    assert v4["stack"].power_w == pytest.approx(192.0) and a100["stack"].power_w == pytest.approx(400.0)


@pytest.fixture(scope="module")
def v4_budget(tmp_path_factory: pytest.TempPathFactory) -> ExploreResult:
    space = load_space(SPACES_DIR / "tpu-v4-budget.yaml")
    return explore(space, budget=4096, seed=0, candidates=6, optuna_trials=0, nsga_trials=128,
                   n_requests=300, out_dir=tmp_path_factory.mktemp("v4"))


def test_search_on_tpu_v4_budget_reaches_the_model_ceiling_not_v4(
    v4_budget: ExploreResult, v4: dict[str, Efficiency]
) -> None:
    # Issue 11: constrained to TPU v4's node (N7), die (< 600 mm2) and power (<= 192 W), the
    # search's most efficient design should be at least as efficient as the v4 on the same
    # step. It is not, and no search in this model can be: a design's TDP comes from the
    # silicon power model (flat-out bf16 throttles to the H100's 68.3 % clock at the limit),
    # about 1.00 W per peak TFLOP/s on N7, where the published v4 has 192 W / 275 TFLOP/s =
    # 0.70. So every N7 design has the same compute-bound work per joule in the silicon layer
    # (679 GFLOP/J), which the search reaches, and the published v4 is 1.30x beyond it.
    space = v4_budget.space
    found = v4_budget.best_result("power_w_per_token_s")
    report = evaluate(load_design(Path(found.design_path)), found.design_path)
    assert violations(space, report) == [] and report.design.process_node == "N7"
    assert report.die_area_mm2 < 600 and report.tdp_w <= 192
    for c in v4_budget.candidates:
        peak = resolve_accelerator(c.design_path).peak("bf16")
        assert c.tdp_w / (peak / 1e12) == pytest.approx(1.00, abs=0.01)
    mine = training_efficiency(report.accelerator)
    modelled_v4 = training_efficiency(_as_modelled("tpu-v4-reference").accelerator)
    assert mine["silicon"].flops_per_j >= 0.995 * modelled_v4["silicon"].flops_per_j
    gap = v4["silicon"].flops_per_j / mine["silicon"].flops_per_j
    assert gap == pytest.approx(1.30, abs=0.03)
    # Full stack: the found design is below the published v4 as well (known miss, same cause)
    assert mine["stack"].flops_per_j < v4["stack"].flops_per_j


def test_v4_and_a100_as_the_silicon_model_prices_them() -> None:
    # The reference designs without their published TDPs: the model gives the v4 275 W (the
    # paper: 192 W max) and the A100 312 W (datasheet: 400 W), and a v4 die of 631 mm2 against
    # the paper's "< 600 mm2" (docs/silicon.md: +5 %). The v4-class point is outside the
    # tpu-v4-budget space under the model: its modelled TDP breaks max_tdp_w.
    v4 = _as_modelled("tpu-v4-reference")
    a100 = _as_modelled("a100-reference")
    assert v4.tdp_w == pytest.approx(275, rel=0.02) and a100.tdp_w == pytest.approx(312, rel=0.02)
    space = load_space(SPACES_DIR / "tpu-v4-budget.yaml")
    assert any(v.startswith("max_tdp_w") for v in violations(space, v4))


def test_docs_quote_the_measured_ratios(v4: dict[str, Efficiency], a100: dict[str, Efficiency]) -> None:
    text = (REPO / "docs" / "explore.md").read_text()
    for layer in ("silicon", "stack"):
        ratio = v4[layer].flops_per_j / a100[layer].flops_per_j
        assert re.search(rf"\*\*{ratio:.2f}\*\*", text), (layer, ratio)
