"""Capacity at an SLO, deployment search and fleet sizing, on the explicit linear step model."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from serving_doubles import LinearStep
from siliconomics.serving.capacity import (
    SloUnreachableError,
    chip_hours_per_million_tokens,
    max_rate_at_slo,
)
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.fleet import replicas_needed, size_fleet
from siliconomics.serving.sim import SchedulerConfig
from siliconomics.serving.traffic import LengthDist, Traffic

STEP = LinearStep()
DEP = Deployment(model="llama3-70b", hardware="h100-sxm", tp=8)
TRAFFIC = Traffic(daily_users=13e6, queries_per_user_per_day=15, peak_to_mean=1.5)


def test_capacity_meets_slo_just_below_and_fails_just_above() -> None:
    slo = Slo(ttft_s=2.0, tpot_s=0.1)
    cap = max_rate_at_slo(DEP, TRAFFIC, slo, step=STEP, n_requests=2000, rel_tol=0.02)
    assert cap.ttft_s <= slo.ttft_s and cap.tpot_s <= slo.tpot_s
    rates = sorted(c.rate_per_s for c in cap.checks if not c.meets)
    assert rates and rates[0] <= cap.rate_per_s * 1.03  # a failing rate within the tolerance
    assert cap.chips == 8
    assert cap.chip_hours_per_million_tokens == pytest.approx(
        chip_hours_per_million_tokens(8, cap.output_tokens_s))


def test_tighter_ttft_gives_lower_capacity() -> None:
    loose = max_rate_at_slo(DEP, TRAFFIC, Slo(ttft_s=2.0), step=STEP, n_requests=1500)
    tight = max_rate_at_slo(DEP, TRAFFIC, Slo(ttft_s=0.2), step=STEP, n_requests=1500)
    assert tight.rate_per_s < loose.rate_per_s


def test_unreachable_slo_says_best_achievable_latency() -> None:
    # The linear model's idle decode step is >= a_s = 20 ms, so TPOT <= 10 ms is impossible.
    with pytest.raises(SloUnreachableError, match=r"TPOT is 0\.0[2-3]\d* s") as info:
        max_rate_at_slo(DEP, TRAFFIC, Slo(tpot_s=0.01), step=STEP, n_requests=500)
    assert info.value.tpot_s > 0.02


def test_replicas_needed_rounds_up_with_headroom() -> None:
    assert replicas_needed(100.0, 10.0, 0.0) == 10
    assert replicas_needed(100.0, 10.0, 0.1) == 11
    assert replicas_needed(0.01, 10.0, 0.1) == 1


def test_fleet_sizing_is_consistent() -> None:
    fleet = size_fleet(TRAFFIC, DEP, seed=1, step=STEP, capacity_seeds=2, sample_replicas=2,
                       n_requests=1500)
    assert fleet.chips == fleet.replicas * 8
    assert fleet.replicas * fleet.replica_capacity_per_s >= fleet.peak_rate_per_s * 1.1 - 1e-9
    assert fleet.replicas_low <= fleet.replicas <= fleet.replicas_high
    assert 0 < fleet.utilisation_frac < 1 / 1.5  # mean/peak = 1/1.5, and headroom on top
    assert fleet.chip_hours_per_day_autoscaled < fleet.chip_hours_per_day
    assert fleet.peak_rate_per_s == pytest.approx(1.5 * fleet.mean_rate_per_s)
    assert fleet.sample_slo_met_frac == 1.0
    assert math.isfinite(fleet.to_dict()["sample_ttft_p99_s"][0])


def test_fleet_same_seed_same_result() -> None:
    kw = dict(step=STEP, capacity_seeds=2, sample_replicas=1, n_requests=800)
    a = size_fleet(TRAFFIC, DEP, seed=3, **kw)  # type: ignore[arg-type]
    b = size_fleet(TRAFFIC, DEP, seed=3, **kw)  # type: ignore[arg-type]
    assert a == b


def test_fixed_lengths_traffic_capacity_scales_with_batch() -> None:
    fixed = TRAFFIC.model_copy(update={"input_tokens": LengthDist(kind="fixed", median=500),
                                       "output_tokens": LengthDist(kind="fixed", median=200)})
    small = DEP.model_copy(update={"scheduler": SchedulerConfig(max_batch=16)})
    big = DEP.model_copy(update={"scheduler": SchedulerConfig(max_batch=128)})
    slo = Slo(ttft_s=5.0, tpot_s=0.2)
    assert (max_rate_at_slo(big, fixed, slo, step=STEP, n_requests=1500).rate_per_s
            > 2 * max_rate_at_slo(small, fixed, slo, step=STEP, n_requests=1500).rate_per_s)


def test_slo_met_by_treats_missing_tpot_as_met_and_missing_ttft_as_failed() -> None:
    from siliconomics.serving.deployment import Slo

    slo = Slo(ttft_s=2.0, tpot_s=0.1)
    assert slo.met_by(2.0, 0.1) and not slo.met_by(2.01, 0.05) and not slo.met_by(1.0, 0.11)
    assert slo.met_by(1.0, float("nan"))  # only 1-token answers: no TPOT to miss
    assert not slo.met_by(float("nan"), 0.05)  # no request got a first token


def test_disaggregated_without_any_link_is_a_user_error(tmp_path: Path) -> None:
    # review pass: a chip with no links gave a zero bandwidth and infinite KV transfer times
    import yaml

    from siliconomics import catalog
    from siliconomics.errors import SiliconomicsError

    data = yaml.safe_load((catalog.DATA_DIR / "hardware" / "h100-sxm.yaml").read_text())
    for key in ("scaleup_bidirectional_gb_s", "scaleout_gb_s", "scaleup_domain_chips"):
        data.pop(key)
    path = tmp_path / "nolink.yaml"
    path.write_text(yaml.safe_dump(data))
    dep = Deployment(model="llama3-8b", hardware=str(path), mode="disaggregated")
    with pytest.raises(SiliconomicsError, match="no scale-out or scale-up bandwidth"):
        dep.kv_link_bytes_s(1)
