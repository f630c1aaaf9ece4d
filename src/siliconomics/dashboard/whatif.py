"""Which inputs the What-if page offers, with their range, source and slider bounds, and the
current scenario written back as YAML with the user's changes (sources kept)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from siliconomics.economics.resolve import Scenario
from siliconomics.report import fmt
from siliconomics.report.briefing import Briefing

#: Inputs derived from the serving model's fleet: changing them here would contradict the
#: fleet (they move with the Performance page's model, not with a slider).
FLEET_DERIVED = ("capacity_qps_per_chip", "utilisation_frac")
#: How many inputs the page offers (the largest tornado swings, plus every bought chip's price
#: and the starting demand).
SLIDERS = 8


@dataclass(frozen=True)
class SliderSpec:
    name: str
    label: str
    source: str
    low: float
    central: float
    high: float
    min: float
    max: float
    step: float

    def describe_range(self) -> str:
        return (f"range {fmt.value(self.name, self.low)} to {fmt.value(self.name, self.high)}, "
                f"central {fmt.value(self.name, self.central)}")


def _bounds(name: str, low: float, high: float, central: float) -> tuple[float, float]:
    field = name.rpartition(".")[2]
    span = high - low if high > low else abs(central) or 1.0
    lo, hi = low - 0.5 * span, high + 0.5 * span
    if field.endswith("_frac") or field.startswith("p_"):
        return max(lo, 0.0), min(hi, 1.0)
    if "growth" in field:
        return max(lo, -0.9), hi
    return max(lo, 0.0), hi


def slider_specs(b: Briefing, n: int = SLIDERS) -> list[SliderSpec]:
    """The inputs that matter most (largest tornado swing first), always including each
    bought GPU's price and the number of daily users; fleet-derived inputs excluded."""
    inputs = {i.name: i for i in b.inputs}
    bought = {o.id for o in b.options if o.type == "buy_gpu"}
    names = [n for n in inputs if n.endswith(".price_usd") and n.partition(".")[0] in bought]
    names += ["traffic.daily_users"]
    names += [t.name for t in sorted(b.tornado, key=lambda t: t.swing_usd, reverse=True)]
    chosen: list[str] = []
    for name in names:
        field = name.rpartition(".")[2]
        if name in inputs and name not in chosen and field not in FLEET_DERIVED:
            chosen.append(name)
    out = []
    for name in chosen[:max(n, 1)]:
        i = inputs[name]
        lo, hi = _bounds(name, i.low, i.high, i.central)
        out.append(SliderSpec(name, fmt.label(name), i.source, i.low, i.central, i.high, lo, hi,
                              (hi - lo) / 100 if hi > lo else 1.0))
    return out


def _leaf(value: Any, central: float, note: str) -> dict[str, Any]:
    source = str(value.get("source", "")) if isinstance(value, dict) else ""
    if isinstance(value, dict) and "low" in value:
        low, high = float(value["low"]), float(value["high"])
    elif isinstance(value, dict) and "value" in value:
        low = high = float(value["value"])
    else:
        low = high = central
    return {"low": min(low, central), "central": central, "high": max(high, central),
            "source": f"{source}; {note}" if source else note}


def scenario_yaml(s: Scenario, centrals: Mapping[str, float]) -> str:
    """The scenario file with the user's central values written in (every other value and
    every source as loaded; a changed value says so in its source)."""
    raw: dict[str, Any] = yaml.safe_load(yaml.safe_dump(s.raw, sort_keys=False))
    for name, x in sorted(centrals.items()):
        scope, _, field = name.rpartition(".")
        src = s.strategy.ranges[name].source
        note = f"what-if: central set to {x:g} in the siliconomics dashboard"
        if scope in ("traffic", "econ", "fleet"):
            block = raw.setdefault({"econ": "economics"}.get(scope, scope), {})
            block[field] = _leaf(block.get(field, {"source": src, "value": x}), x, note)
            continue
        opt_id, _, gen = scope.partition(".")
        option = next(o for o in raw["options"] if str(o.get("id")) == opt_id)
        params = next((g for g in option.get("roadmap", []) if g.get("hardware") == gen),
                      None) if gen else option.setdefault("params", {})
        if params is None:
            continue
        r = s.strategy.ranges[name].range
        current = params.get(field, {"low": r.low, "central": r.central, "high": r.high,
                                     "source": src})
        params[field] = _leaf(current, x, note)
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
