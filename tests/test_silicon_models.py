"""Reference and property tests of the silicon model's pure functions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siliconomics.silicon import area, calibrate, cost, wafer, yield_models
from siliconomics.silicon.power_fit import fit_power

POWER = Path(__file__).resolve().parents[1].parent / "shared" / "groundtruth" / "h100_power.json"


# --- reference points: economics-sources.md s.2c worked check (814 mm2, D0 = 0.1/cm2) ----
def test_dies_per_wafer_814mm2_matches_usual_formula() -> None:
    # economics-sources.md s.2c: pi(d/2)^2/A - pi d/sqrt(2A) = 63.5 for 814 mm2; brief: within 5 % of 63
    assert wafer.dies_per_wafer(814.0) == pytest.approx(63.0, rel=0.05)
    # Chiplet Actuary variant with 5 mm edge and 0.2 mm scribe: 57.6 (same worked check)
    assert wafer.dies_per_wafer(814.0, 300.0, 5.0, 0.2) == pytest.approx(57.6, abs=0.1)


@pytest.mark.parametrize(
    ("model", "expected"),
    [("poisson", 0.443), ("murphy", 0.468), ("seeds", 0.551)],
)
def test_yield_models_worked_check(model: str, expected: float) -> None:
    # economics-sources.md s.2c worked check, 3 significant digits quoted -> abs 1e-3
    assert yield_models.die_yield(model, 814.0, 0.1) == pytest.approx(expected, abs=1e-3)


def test_negative_binomial_worked_check_and_limits() -> None:
    # economics-sources.md s.2c: NB(alpha=3) 0.487, NB(alpha=10) 0.457
    assert yield_models.negative_binomial(814.0, 0.1, 3.0) == pytest.approx(0.487, abs=1e-3)
    assert yield_models.negative_binomial(814.0, 0.1, 10.0) == pytest.approx(0.457, abs=1e-3)
    # alpha -> infinity is Poisson, alpha = 1 is Seeds (textbook identities)
    assert yield_models.negative_binomial(814.0, 0.1, 1e7) == pytest.approx(
        yield_models.poisson(814.0, 0.1), rel=1e-5)
    assert yield_models.negative_binomial(814.0, 0.1, 1.0) == pytest.approx(
        yield_models.seeds(814.0, 0.1), rel=1e-12)


def test_unknown_yield_model_lists_valid() -> None:
    from siliconomics.errors import UnknownIdError

    with pytest.raises(UnknownIdError, match="negative_binomial"):
        yield_models.die_yield("poison", 100.0, 0.1)


def test_harvesting_raises_yield_h100_132_of_144() -> None:
    whole = yield_models.die_yield("negative_binomial", 814.0, 0.1)
    unit = 700.0 / 144
    harvested = yield_models.harvested_yield("negative_binomial", 114.0, unit, 144, 132, 0.1)
    all_units = yield_models.harvested_yield("negative_binomial", 114.0, unit, 144, 144, 0.1)
    assert harvested > 1.5 * whole  # 12 spare SMs rescue most defective dies
    assert all_units < harvested


def test_known_good_die_cost_worked_check() -> None:
    # economics-sources.md s.2c: ~31 good dies -> $434-647 per good die at $13.4-20k wafers
    assert cost.known_good_die_usd(13_400.0, 63.5, 0.487) == pytest.approx(434, rel=0.02)
    assert cost.known_good_die_usd(20_000.0, 63.5, 0.487) == pytest.approx(647, rel=0.02)


# --- area model: reference dies, fit reproducibility, held-out dies ---------------------
@pytest.mark.parametrize("die", [calibrate.A100, calibrate.H100], ids=lambda d: d.name)
def test_area_reproduces_a100_h100(die: calibrate.ReferenceDie) -> None:
    # A100 826 mm2 N7, H100 814 mm2 4N (Epoch chip dataset; economics-sources.md s.2d).
    # Both are in the fit (weight 3); 5 % is the bar for the reference designs.
    assert float(die.area().total_mm2) == pytest.approx(die.published_area_mm2, rel=0.05)


def test_stored_area_coefficients_match_a_fresh_fit() -> None:
    fit = calibrate.fit_area_coefficients()
    c = area.coefficients()
    assert c.mac_area_um2_n7 == pytest.approx(fit.mac_area_um2_n7, rel=0.01)
    assert c.unit_area_mm2_n7 == pytest.approx(fit.unit_area_mm2_n7, abs=1e-3)
    assert c.gpu_unit_extra_mm2_n7 == pytest.approx(fit.gpu_unit_extra_mm2_n7, rel=0.01)
    assert c.sram_array_efficiency_frac == pytest.approx(fit.sram_array_efficiency_frac, rel=0.01)


def test_stored_held_out_error_is_the_measured_one() -> None:
    # area_model.yaml held_out_error_frac: the extremes of the relative error over the 15
    # dies not used in the fit, which the unit cost's low and high cases carry.
    low, high = calibrate.held_out_error_range()
    e = area.coefficients().held_out_error_frac
    assert (e.low, e.high) == (pytest.approx(low, abs=5e-4), pytest.approx(high, abs=5e-4))
    assert e.low < 0 < e.high


@pytest.mark.parametrize("die", [*calibrate.HELD_OUT_DIES, *calibrate.FRESH_HELD_OUT_DIES],
                         ids=lambda d: d.name)
def test_true_area_band_holds_every_die_not_in_the_fit(die: calibrate.ReferenceDie) -> None:
    # The band a design report gives (predicted x true_area_factor low..high) contains the
    # published area of every die the model was not fitted to.
    c = area.coefficients()
    predicted = float(die.area().total_mm2)
    lo, hi = predicted * c.true_area_factor("low"), predicted * c.true_area_factor("high")
    assert lo <= die.published_area_mm2 * (1 + 1e-3) and die.published_area_mm2 <= hi * (1 + 1e-3)


def test_fit_and_held_out_dies_are_disjoint_and_enough() -> None:
    fit = {d.name for d in calibrate.FIT_DIES}
    held = {d.name for d in calibrate.HELD_OUT_DIES}
    assert not fit & held
    assert len(held) >= 5
    fresh = {d.name for d in calibrate.FRESH_HELD_OUT_DIES}
    assert not fresh & (fit | held)
    assert len(fresh) >= 5


# Held-out dies: published area (source in each ReferenceDie.source) and the model's error
# when it was fitted (docs/silicon.md table). Each row asserts the prediction stays within
# 10 points of the documented error, so a change to the model or its data that moves a
# held-out die shows up here and in the docs together.
HELD_OUT_ERRORS = {
    "TPU v4": +0.053,  # Jouppi et al. ISCA 2023 Table 2: < 600 mm2, N7
    "TPU v4i": -0.097,  # Jouppi et al. ISCA 2021 Table 1: < 400 mm2, N7
    "V100 (GV100)": +0.232,  # NVIDIA V100 whitepaper 2017: 815 mm2, 12FFN
    "MI100 (Arcturus)": -0.282,  # AMD CDNA whitepaper 2020: 750 mm2, N7
    "MI300X XCD": +0.087,  # AMD ISSCC 2024: ~115 mm2 compute die, N5
    "Groq LPU v1": +0.384,  # Abts et al. ISCA 2020: 725 mm2, GF 14nm
    # added later by a stated rule, before the model was evaluated on them (calibrate.py doc)
    "P100 (GP100)": -0.379,  # NVIDIA P100 whitepaper 2016: 610 mm2, 16FF+
    "MTIA v1": -0.383,  # Meta 2023 / Firoozshahian et al. ISCA 2023: 373 mm2, N7
    "TPU v2": -0.209,  # Jouppi et al. CACM 2020 Table 3: < 611 mm2, 16 nm
    "TPU v3": +0.314,  # Jouppi et al. CACM 2020 Table 3: < 648 mm2, 16 nm
}


@pytest.mark.parametrize("name", sorted(HELD_OUT_ERRORS))
def test_held_out_die_error_is_the_documented_one(name: str) -> None:
    rows = {r["chip"]: r for r in calibrate.area_table()}
    assert rows[name]["role"] == "held out"
    assert float(rows[name]["error_frac"]) == pytest.approx(HELD_OUT_ERRORS[name], abs=0.10)


# Fresh held-out dies: chosen by the rule in calibrate.py (above NNP_T) and committed before
# the model was evaluated on them; nothing was refitted or changed after. These errors are
# the first evaluation of the shipped model on them (docs/silicon.md table).
FRESH_HELD_OUT_ERRORS = {
    "Intel NNP-T (Spring Crest)": +0.078,  # Intel Hot Chips 31: 680 mm2, TSMC 16FF+
    "FuriosaAI RNGD": -0.342,  # FuriosaAI Hot Chips 2024 / ISCA 2024: 653 mm2, TSMC 5nm
    "IBM NorthPole": -0.048,  # Modha et al. Science 2023: 800 mm2, 12 nm
    "Ascend 910 (Vitruvian)": +0.240,  # Huawei HC31; die shot 14.6 x 31.25 mm, TSMC N7+
    "AD102 (L40S)": -0.368,  # NVIDIA Ada whitepaper 2022: 608.5 mm2, 4N
}


@pytest.mark.parametrize("name", sorted(FRESH_HELD_OUT_ERRORS))
def test_fresh_held_out_die_error_is_the_documented_one(name: str) -> None:
    rows = {r["chip"]: r for r in calibrate.area_table()}
    assert rows[name]["role"] == "held out (fresh)"
    assert float(rows[name]["error_frac"]) == pytest.approx(FRESH_HELD_OUT_ERRORS[name], abs=0.01)


def test_fresh_held_out_mape_misses_the_15_percent_target() -> None:
    # docs/silicon.md: 21.5 % over the five fresh dies. The must-show is <= 15 % over
    # at least five dies not used in the fit: not met. The pin is tight (+-0.5 point) so any
    # change to the model or its data must update this number and the docs together.
    mape = calibrate.held_out_mape(calibrate.FRESH_HELD_OUT_DIES)
    assert len(calibrate.FRESH_HELD_OUT_DIES) >= 5
    assert mape == pytest.approx(0.215, abs=0.005)
    assert mape > 0.15


def test_held_out_mape_is_the_documented_one() -> None:
    # docs/silicon.md: 24.2 % over the ten held-out dies (18.9 % over the first six; the
    # issue's target is 15 %: not met, see the docs). The bound catches a regression.
    assert calibrate.held_out_mape() < 0.25


def test_leave_one_out_error_of_the_model_form() -> None:
    # docs/silicon.md: fitting on the other 15 dies and predicting the 16th gives 23.9 %
    # MAPE; the shipped coefficients do no better on their held-out dies (24.2 %), so the
    # miss is the model form, not the choice of split. The reference GPUs stay within 5 %.
    errors = calibrate.leave_one_out_errors()
    assert len(errors) == len(calibrate.FIT_DIES) + len(calibrate.HELD_OUT_DIES)
    assert float(np.mean(np.abs(list(errors.values())))) == pytest.approx(0.239, abs=0.02)
    assert abs(errors["A100 (GA100)"]) < 0.05 and abs(errors["H100 (GH100)"]) < 0.05


def test_leave_one_out_over_all_21_dies() -> None:
    # docs/silicon.md: with the five fresh dies added, leave-one-out over all 21 gives
    # 20.6 % MAPE (16.6 % on the five fresh ones): more dies in the fit do not bring this
    # model form to 15 %.
    errors = calibrate.leave_one_out_errors(calibrate.ALL_DIES)
    assert len(errors) == 21
    assert float(np.mean(np.abs(list(errors.values())))) == pytest.approx(0.206, abs=0.01)


def test_fitting_on_all_sixteen_earlier_dies_still_misses_on_the_fresh_five() -> None:
    # docs/silicon.md: 17.4 % over the five fresh dies with the coefficients fitted on the 16
    # fit and held-out dies, still above the 15 %.
    mape = calibrate.fresh_mape_fitted_on((*calibrate.FIT_DIES, *calibrate.HELD_OUT_DIES))
    assert mape == pytest.approx(0.174, abs=0.005)
    with pytest.raises(ValueError, match="fresh held-out"):
        calibrate.fresh_mape_fitted_on(calibrate.ALL_DIES)


# --- power model fitted on the H100 ground truth ------------------------------------------
def test_power_fit_reproduces_h100_measurements_and_stored_coefficients() -> None:
    if not POWER.exists():
        pytest.skip("shared/groundtruth/h100_power.json not present")
    fit = fit_power(POWER)
    for point, predicted in zip(fit.points, fit.predicted_w, strict=True):
        assert predicted == pytest.approx(point.power_w, rel=0.05), point.work
    from siliconomics.silicon import power

    c = power.coefficients()
    assert c.e_flop_bf16_pj_ref == pytest.approx(fit.e_flop_bf16_pj, rel=0.01)
    assert c.e_byte_pj_ref == pytest.approx(fit.e_byte_pj, rel=0.01)
    assert c.clock_exponent == pytest.approx(fit.clock_exponent, rel=0.01)
    assert c.awake_frac * (700 - fit.idle_w) == pytest.approx(fit.awake_w, rel=0.01)


def test_h100_matmul_throttles_to_measured_clock() -> None:
    # h100_power.json: 653 TFLOP/s bf16 at 695.6 W with the SM clock at 1352 of 1980 MHz.
    from siliconomics import catalog
    from siliconomics.silicon.power import workload_power

    h100 = catalog.hardware("h100-sxm")
    clock_measured = 1352 / 1980
    r = workload_power(h100, 653e12 / clock_measured, 0.24e12 / clock_measured)
    assert r.throttled
    assert r.power_w == pytest.approx(700.0, rel=1e-6)
    assert r.clock_frac == pytest.approx(clock_measured, rel=0.05)


def test_h100_decode_energy_per_token() -> None:
    # h100_power.json: Llama-3-8B decode B=32 L=2048: 2,873 tok/s, 0.1596 J/token (458.5 W)
    from siliconomics import catalog
    from siliconomics.silicon.power import energy_per_token_j, workload_power
    from siliconomics.silicon.power_fit import llama_rates

    f, b = llama_rates(32, 2048, 2872.9, decode=True)
    r = workload_power(catalog.hardware("h100-sxm"), f, b)
    assert not r.throttled
    assert energy_per_token_j(r.power_w, 2872.9) == pytest.approx(0.1596, rel=0.05)


# --- properties -------------------------------------------------------------------------
areas = st.floats(1.0, 3000.0)
d0s = st.floats(0.001, 1.0)
models = st.sampled_from(["poisson", "murphy", "seeds", "negative_binomial"])


@given(models, areas, areas, d0s, d0s)
def test_yield_in_unit_interval_and_monotone(m: str, a1: float, a2: float, d1: float,
                                             d2: float) -> None:
    lo_a, hi_a = sorted((a1, a2))
    lo_d, hi_d = sorted((d1, d2))
    y = yield_models.die_yield(m, lo_a, lo_d)
    assert 0.0 < y <= 1.0
    assert yield_models.die_yield(m, hi_a, lo_d) <= y + 1e-15
    assert yield_models.die_yield(m, lo_a, hi_d) <= y + 1e-15


@given(models, st.floats(10.0, 850.0), st.floats(1.0, 200.0), d0s)
def test_cost_per_good_die_never_falls_with_area(m: str, a: float, extra: float,
                                                 d0: float) -> None:
    def per_die(x: float) -> float:
        dpw = wafer.dies_per_wafer(x)
        return float(cost.known_good_die_usd(10_000.0, dpw, yield_models.die_yield(m, x, d0)))

    assert per_die(a + extra) >= per_die(a) * (1 - 1e-12)


AREA_FIELDS = ("units", "macs_bf16eq_per_unit", "vector_lanes_per_unit",
               "local_sram_bytes_per_unit", "global_sram_bytes", "memory_phy_mm2",
               "serdes_lanes", "host_lanes")


@settings(max_examples=60)
@given(st.sampled_from(AREA_FIELDS), st.floats(1.01, 4.0), st.integers(0, 2**31))
def test_area_monotone_in_every_resource(field: str, factor: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = {
        "units": float(rng.integers(1, 200)), "macs_bf16eq_per_unit": rng.uniform(64, 1e5),
        "vector_lanes_per_unit": rng.uniform(1, 512),
        "local_sram_bytes_per_unit": rng.uniform(1, 1e6),
        "global_sram_bytes": rng.uniform(1, 5e8), "memory_phy_mm2": rng.uniform(1, 100),
        "serdes_lanes": float(rng.integers(1, 100)), "host_lanes": float(rng.integers(1, 32)),
    }
    node = {"logic_density_mtr_mm2": rng.uniform(28, 250), "sram_bitcell_um2": rng.uniform(0.017, 0.08)}
    before = area.die_area(**base, **node).total_mm2
    after = area.die_area(**(base | {field: base[field] * factor}), **node).total_mm2
    assert after > before
    # and a denser node never makes the same design larger
    denser = area.die_area(**base, logic_density_mtr_mm2=node["logic_density_mtr_mm2"] * factor,
                           sram_bitcell_um2=node["sram_bitcell_um2"]).total_mm2
    assert denser <= before


# --- memory kinds the power model understands --------------------------------------------
@pytest.mark.parametrize(
    ("kind", "expected"),
    [("HBM3", "HBM3"), ("HBM2E", "HBM2e"), ("HBM3E", "HBM3e"), ("LPDDR5X", "LPDDR5"),
     ("SRAM", "none"), ("HBM", "HBM3"), ("gddr6", "GDDR6")],
)
def test_memory_kind_mapping(kind: str, expected: str) -> None:
    from siliconomics.silicon.power import _memory_kind

    assert _memory_kind(kind) == expected


def test_unknown_memory_kind_is_an_error_not_hbm3() -> None:
    from siliconomics.errors import UnknownIdError
    from siliconomics.silicon.power import energy_per_byte_j

    with pytest.raises(UnknownIdError, match=r"unknown memory kind 'DDR4'.*Valid:"):
        energy_per_byte_j("DDR4")


def test_every_catalog_memory_kind_maps() -> None:
    from siliconomics import catalog
    from siliconomics.silicon.power import energy_per_byte_j

    for hw in catalog.hardware_ids():
        assert energy_per_byte_j(catalog.hardware(hw).memory_kind) >= 0.0


def test_cli_import_does_not_load_scipy_optimize() -> None:
    # scipy.optimize costs ~0.35 s of import; it must load only when a chip throttles.
    import subprocess
    import sys

    code = ("import sys, siliconomics.cli.main; "
            "print('scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_harvested_yield_is_scipy_binomial_survival_bit_for_bit() -> None:
    """harvested_yield computes P(X >= k) as betainc (no scipy.stats import); it must give
    the very doubles of scipy.stats.binom.sf(k - 1, n, y), edges included (k = 0: certain;
    k > n: impossible; y = 0 or 1)."""
    from scipy.stats import binom

    rng = np.random.default_rng(7)
    n = rng.integers(1, 5000, 4000).astype(float)
    k = np.floor(rng.uniform(0.0, 1.0, n.size) * (n + 2.0))  # 0 .. n + 1
    unit = rng.uniform(0.01, 400.0, n.size)
    got = yield_models.harvested_yield("poisson", 0.0, unit, n, k, 0.1)
    y = yield_models.die_yield("poisson", unit, 0.1)
    expected = binom.sf(k - 1.0, n, y)
    assert np.array_equal(got, expected)
    for y_edge in (0.0, 1.0):
        for kk, nn in ((0.0, 5.0), (1.0, 5.0), (5.0, 5.0), (6.0, 5.0)):
            unit_area = 0.0 if y_edge == 1.0 else 1e9
            got_e = yield_models.harvested_yield("poisson", 0.0, unit_area, nn, kk, 0.1)
            y_e = float(yield_models.die_yield("poisson", unit_area, 0.1))
            assert y_e == y_edge
            assert float(got_e) == float(binom.sf(kk - 1.0, nn, y_e))
