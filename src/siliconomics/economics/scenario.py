"""Scenario files: traffic, model, economic overrides and strategy options, with sources.

A scenario is a YAML file in ``catalog/data/scenarios/`` (or any path). Every number is a
sourced leaf (``{value, source}`` or ``{low, central, high, source}``); the loader refuses
one without a source, an unknown option type, a negative price or probability outside
[0, 1], and warns (does not fail) when the horizon is shorter than a custom chip's schedule:
then that chip never arrives within the horizon in some or all draws and the option reduces
to its bridge GPUs plus the NRE spent. Errors are one line naming the file and the field.

Capacity per chip (queries/s one chip carries at the SLO) comes from a method in
:data:`CAPACITY_METHODS`: ``serving`` (the serving layer's fleet sizing on the performance
model, :mod:`siliconomics.economics.capacity`; it also sets the option's own
``utilisation_frac``: mean load over the capacity of a fleet sized for the peak hour),
``flops`` (the SemiAnalysis-style count: peak x FLOP utilisation / (2 x active parameters x
tokens per query); Kaplan et al. 2020, arXiv 2001.08361, C_forward ~ 2N per token), or
``explicit`` (a sourced range) for chips the performance layer cannot model. A custom-chip
option may name a ``design`` (id or path): its unit cost, TDP, NRE, schedule and respin come
from the silicon layer (:mod:`siliconomics.economics.custom_chip`) and its capacity from the
serving layer on the derived accelerator, like a GPU's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siliconomics import catalog
from siliconomics.catalog.index import DATA_DIR
from siliconomics.catalog.sourced import Range, read_yaml
from siliconomics.economics.capacity import ServingSetup, parse_serving_setup, serving_capacity
from siliconomics.economics.custom_chip import SCALES, design_params
from siliconomics.economics.defaults import (
    EconomicsDefaults,
    SourcedRange,
    default_economics,
    parse_sourced_ranges,
)
from siliconomics.economics.strategy import (
    CUSTOM_TYPES,
    OPTION_TYPES,
    REQUIRED_PARAMS,
    OptionSpec,
    StrategyModel,
)
from siliconomics.errors import CatalogError, SiliconomicsError, UnknownIdError
from siliconomics.registry import Registry, unknown_id_message
from siliconomics.resolve import resolve_accelerator
from siliconomics.workload.params import parameter_counts

SCENARIO_DIR = DATA_DIR / "scenarios"
DEFAULT_SCENARIO = "chatgpt-2023"

TRAFFIC_FIELDS = ("daily_users", "queries_per_user_per_day", "input_tokens_per_query",
                  "output_tokens_per_query", "growth_frac_per_year")
#: Needed only by options without their own fleet utilisation (flops/explicit capacity).
UTILISATION = "utilisation_frac"


def scenario_ids() -> list[str]:
    return [p.stem for p in sorted(SCENARIO_DIR.glob("*.yaml"))]


@dataclass(frozen=True)
class OptionInfo:
    """What the summary needs about one option besides its cash-flow inputs."""

    id: str
    type: str
    label: str
    hardware: str | None
    capacity_method: str
    bridge: str | None
    serving: dict[str, Any] | None = None  # the fleet the serving layer sized (summary)
    silicon: dict[str, Any] | None = None  # the silicon layer's design evaluation (summary)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the strategy model plus what the report shows."""

    id: str
    name: str
    description: str
    path: str
    model_id: str
    model_note: str
    traffic: dict[str, SourcedRange]
    economics: EconomicsDefaults
    strategy: StrategyModel
    options: tuple[OptionInfo, ...]
    warnings: tuple[str, ...]
    raw: dict[str, Any] = field(repr=False)
    serving_setup: ServingSetup | None = None

    @property
    def queries_per_day(self) -> float:
        t = self.traffic
        return t["daily_users"].central * t["queries_per_user_per_day"].central

    @property
    def tokens_per_query(self) -> float:
        return (self.traffic["input_tokens_per_query"].central
                + self.traffic["output_tokens_per_query"].central)


@dataclass(frozen=True)
class CapacityOut:
    """What a capacity method gives an option: inputs by name (``capacity_qps_per_chip``,
    optionally its own ``utilisation_frac``) and, from the serving layer, the fleet summary."""

    params: dict[str, SourcedRange]
    serving: dict[str, Any] | None = None


CapacityFn = Callable[[dict[str, Any], str, str, dict[str, SourcedRange], str, ServingSetup],
                      CapacityOut]


def _capacity_flops(cfg: dict[str, Any], hardware_id: str, model_id: str,
                    traffic: dict[str, SourcedRange], where: str,
                    setup: ServingSetup) -> CapacityOut:
    chip = resolve_accelerator(hardware_id)
    dtype = str(cfg.get("dtype", "bf16"))
    if dtype not in chip.peak_flops_s and dtype not in ("fp8", "int8", "bf16", "fp16"):
        raise CatalogError(f"{where}.capacity.dtype: unknown dtype {dtype!r}")
    mfu = parse_sourced_ranges({"mfu_frac": cfg.get("mfu_frac")}, where + ".capacity")["mfu_frac"]
    _check_bounds(where + ".capacity.mfu_frac", mfu.range, 0.0, 1.0, strict_low=True)
    active = parameter_counts(catalog.model(model_id)).active
    tokens = traffic["input_tokens_per_query"].central + traffic["output_tokens_per_query"].central
    per_mfu = chip.peak(dtype) / (2.0 * active * tokens)  # type: ignore[arg-type]
    return CapacityOut({"capacity_qps_per_chip": SourcedRange(
        mfu.range.scaled(per_mfu),
        f"flops method: {hardware_id} {dtype} peak x MFU ({mfu.source}) / (2 x {active / 1e9:.0f}B"
        f" params x {tokens:.0f} tokens per query)",
    )})


def _capacity_explicit(cfg: dict[str, Any], hardware_id: str, model_id: str,
                       traffic: dict[str, SourcedRange], where: str,
                       setup: ServingSetup) -> CapacityOut:
    leaf = {"queries_per_s_per_chip": cfg.get("queries_per_s_per_chip")}
    cap = parse_sourced_ranges(leaf, where + ".capacity")["queries_per_s_per_chip"]
    return CapacityOut({"capacity_qps_per_chip": cap})


def _capacity_serving(cfg: dict[str, Any], hardware_id: str, model_id: str,
                      traffic: dict[str, SourcedRange], where: str,
                      setup: ServingSetup) -> CapacityOut:
    served = serving_capacity(cfg, hardware_id, model_id, traffic, setup, where)
    return CapacityOut({"capacity_qps_per_chip": served.capacity_qps_per_chip,
                        "utilisation_frac": served.utilisation_frac}, served.summary())


CAPACITY_METHODS: Registry[CapacityFn] = Registry(
    "capacity method",
    {"flops": _capacity_flops, "explicit": _capacity_explicit, "serving": _capacity_serving},
)

#: Bounds per input name: (low, high); probabilities and fractions in [0, 1], prices >= 0.
_FRACTION_BOUNDS = (0.0, 1.0)


def _check_bounds(where: str, r: Range, low: float, high: float | None,
                  strict_low: bool = False) -> None:
    bad_low = r.low <= low if strict_low else r.low < low
    if bad_low or (high is not None and r.high > high):
        allowed = f"{'>' if strict_low else '>='} {low}" + (f" and <= {high}" if high else "")
        got = r.low if bad_low else r.high
        raise CatalogError(f"{where}: must be {allowed}, got {got}")


def _bounds_for(name: str) -> tuple[float, float | None, bool]:
    if name.startswith("p_") or (name.endswith("_frac") and name != "growth_frac_per_year"):
        return 0.0, 1.0, False
    if name == "growth_frac_per_year":
        return -0.99, None, False
    if name in ("capacity_qps_per_chip", "tdp_w", "perf_ratio", "schedule_months",
                "nre_scale", "schedule_scale", "unit_cost_scale",
                "cloud_usd_per_hour", "daily_users", "queries_per_user_per_day"):
        return 0.0, None, True
    return 0.0, None, False


def _sourced_block(data: Any, where: str) -> dict[str, SourcedRange]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: expected a mapping, got {type(data).__name__}")
    values = parse_sourced_ranges(data, where)
    for name, value in values.items():
        low, high, strict = _bounds_for(name)
        _check_bounds(f"{where}.{name}", value.range, low, high, strict)
    return values


def _hardware_params(hardware_id: str, where: str) -> dict[str, SourcedRange]:
    try:
        chip = resolve_accelerator(hardware_id)
    except UnknownIdError as exc:
        raise UnknownIdError(f"{where}.hardware: {exc}") from None
    out = {"tdp_w": SourcedRange(Range.point(chip.tdp_w), chip.sources.get("tdp_w", "catalog"))}
    if chip.price_usd is not None:
        out["price_usd"] = SourcedRange(chip.price_usd, chip.sources.get("price_usd", "catalog"))
    if chip.cloud_usd_per_hour is not None:
        cloud = SourcedRange(chip.cloud_usd_per_hour,
                             chip.sources.get("cloud_usd_per_hour", "catalog"))
        out["cloud_usd_per_hour"] = cloud
        out["shortfall_usd_per_hour"] = cloud
    return out


def _capacity(cap: Any, hardware: str, model_id: str, traffic: dict[str, SourcedRange],
              where: str, setup: ServingSetup) -> tuple[str, CapacityOut]:
    if not isinstance(cap, dict) or "method" not in cap:
        raise CatalogError(
            f"{where}.capacity: needs {{method: {'|'.join(CAPACITY_METHODS)}, ...}}"
        )
    method = str(cap["method"])
    try:
        fn = CAPACITY_METHODS[method]
    except UnknownIdError as exc:
        raise UnknownIdError(f"{where}.capacity.method: {exc}") from None
    return method, fn(cap, hardware, model_id, traffic, where, setup)


def _parse_option(raw: Any, i: int, path: Path, model_id: str,
                  traffic: dict[str, SourcedRange],
                  setup: ServingSetup) -> tuple[OptionSpec, OptionInfo]:
    where = f"{path}: options[{i}]"
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: expected a mapping")
    opt_id = str(raw.get("id", ""))
    if not opt_id:
        raise CatalogError(f"{where}.id: missing")
    opt_type = str(raw.get("type", ""))
    if opt_type not in list(OPTION_TYPES):
        raise UnknownIdError(f"{where}.type: " + unknown_id_message("option type", opt_type,
                                                                     OPTION_TYPES))
    where = f"{path}: options[{i}] ({opt_id})"
    params: dict[str, SourcedRange] = {}
    hardware_id = raw.get("hardware")
    capacity_method = "relative" if opt_type in CUSTOM_TYPES else ""
    serving: dict[str, Any] | None = None
    silicon: dict[str, Any] | None = None
    if hardware_id is not None:
        params |= _hardware_params(str(hardware_id), where)
    own = _sourced_block(raw.get("params"), f"{where}.params")
    design = raw.get("design")
    if design is not None:
        if opt_type not in CUSTOM_TYPES:
            raise CatalogError(f"{where}.design: only build_asic, acquire and partner options "
                               f"take a design; a {opt_type} option names its hardware")
        scales = {k: own.pop(k) for k in SCALES if k in own}
        derived = design_params(str(design), where, scales, path.parent)
        params |= derived.params
        silicon = derived.summary
        hardware_id = derived.path
        cap_cfg = raw.get("capacity", {"method": "serving"})
        capacity_method, cap_out = _capacity(cap_cfg, derived.path, model_id, traffic, where,
                                             setup)
        params |= cap_out.params
        serving = cap_out.serving
    params |= own
    if opt_type not in CUSTOM_TYPES:
        if hardware_id is None:
            raise CatalogError(f"{where}.hardware: a {opt_type} option needs a hardware id")
        capacity_method, cap_out = _capacity(raw.get("capacity"), str(hardware_id), model_id,
                                             traffic, where, setup)
        params |= cap_out.params
        serving = cap_out.serving
    needed = REQUIRED_PARAMS[opt_type]
    if "capacity_qps_per_chip" in params:  # a custom chip with its own capacity
        needed = tuple(n for n in needed if n != "perf_ratio")
    missing = [n for n in needed if n not in params]
    if missing:
        raise CatalogError(f"{where}.params: missing {', '.join(missing)} (with a source each)")
    for name, value in params.items():
        low, high, strict = _bounds_for(name)
        _check_bounds(f"{where}.params.{name}", value.range, low, high, strict)
    bridge = raw.get("bridge")
    hw_label = silicon["design"] if silicon else (str(hardware_id) if hardware_id else None)
    spec = OptionSpec(id=opt_id, type=opt_type, label=str(raw.get("label", opt_id)),
                      params=params, hardware=hw_label,
                      bridge=str(bridge) if bridge else None)
    info = OptionInfo(opt_id, opt_type, spec.label, spec.hardware, capacity_method, spec.bridge,
                      serving, silicon)
    return spec, info


def _horizon_warnings(specs: list[OptionSpec], horizon_months: float) -> list[str]:
    warnings = []
    for o in specs:
        if o.type not in CUSTOM_TYPES:
            continue
        sched = o.params["schedule_months"].range
        saved = o.params.get("time_saved_months")
        saved_hi = saved.range.high if saved else 0.0
        saved_lo = saved.range.low if saved else 0.0
        earliest = max(sched.low - saved_hi, 1.0)
        central = max(sched.central - (saved.central if saved else 0.0), 1.0)
        if earliest >= horizon_months:
            warnings.append(
                f"option '{o.id}': its schedule ({earliest:.0f}+ months) is not shorter than the "
                f"horizon ({horizon_months:.0f} months): the chip never arrives, the option "
                f"reduces to its bridge '{o.bridge}' plus the NRE spent"
            )
        elif max(sched.high - saved_lo, 1.0) >= horizon_months or central >= horizon_months:
            warnings.append(
                f"option '{o.id}': in some draws its schedule exceeds the horizon "
                f"({horizon_months:.0f} months); then the chip never arrives and the option "
                f"is its bridge '{o.bridge}' plus the NRE spent"
            )
    return warnings


def load_scenario_file(path: Path) -> Scenario:
    """Load and validate one scenario file."""
    data = read_yaml(path)
    for key in ("id", "traffic", "model", "options", "horizon_years"):
        if key not in data:
            raise CatalogError(f"{path}: missing top-level field '{key}'")
    traffic = _sourced_block(data["traffic"], f"{path}: traffic")
    missing = [f for f in TRAFFIC_FIELDS if f not in traffic]
    if missing:
        raise CatalogError(f"{path}: traffic: missing {', '.join(missing)} (with a source each)")
    horizon = _sourced_block({"horizon_years": data["horizon_years"]}, f"{path}:")
    horizon_years = horizon["horizon_years"].central
    if not 0.25 <= horizon_years <= 30:
        raise CatalogError(f"{path}: field 'horizon_years': must be in [0.25, 30], got "
                           f"{horizon_years}")
    model_id = str(data["model"])
    try:
        catalog.model(model_id)
    except UnknownIdError as exc:
        raise UnknownIdError(f"{path}: model: {exc}") from None
    econ_over = _sourced_block(data.get("economics"), f"{path}: economics")
    try:
        econ = default_economics().with_overrides(econ_over)
    except CatalogError as exc:
        raise CatalogError(f"{path}: economics: {exc}") from None
    setup = parse_serving_setup(data.get("serving"), f"{path}: serving")
    raw_options = data["options"]
    if not isinstance(raw_options, list) or not raw_options:
        raise CatalogError(f"{path}: options: expected a non-empty list")
    specs: list[OptionSpec] = []
    infos: list[OptionInfo] = []
    for i, raw in enumerate(raw_options):
        spec, info = _parse_option(raw, i, path, model_id, traffic, setup)
        if spec.id in {s.id for s in specs}:
            raise CatalogError(f"{path}: options[{i}].id: duplicate id '{spec.id}'")
        specs.append(spec)
        infos.append(info)
    merchant = [s.id for s in specs if s.type not in CUSTOM_TYPES]
    if UTILISATION not in traffic:
        lacking = [s.id for s in specs if UTILISATION not in s.params]
        if lacking:
            raise CatalogError(
                f"{path}: traffic: missing {UTILISATION} (with a source), needed by option(s) "
                f"{', '.join(lacking)} whose capacity is not sized by the serving layer")
    for i, s in enumerate(specs):
        if s.type in CUSTOM_TYPES and s.bridge not in merchant:
            raise CatalogError(
                f"{path}: options[{i}] ({s.id}).bridge: must name a buy_gpu or rent_gpu "
                f"option of this scenario ({', '.join(merchant) or 'none'}), got {s.bridge!r}"
            )
    ranges: dict[str, SourcedRange] = {f"traffic.{k}": v for k, v in traffic.items()}
    ranges |= {f"econ.{k}": v for k, v in econ.values.items()}
    for s in specs:
        ranges |= {s.key(k): v for k, v in s.params.items()}
    qpd = traffic["daily_users"].central * traffic["queries_per_user_per_day"].central
    strategy = StrategyModel(str(data["id"]), max(1, round(horizon_years * 4)), qpd,
                             tuple(specs), ranges)
    return Scenario(
        id=str(data["id"]), name=str(data.get("name", data["id"])),
        description=str(data.get("description", "")), path=str(path), model_id=model_id,
        model_note=str(data.get("model_note", "")), traffic=traffic, economics=econ,
        strategy=strategy, options=tuple(infos),
        warnings=tuple(_horizon_warnings(specs, horizon_years * 12.0)), raw=data,
        serving_setup=setup,
    )


def load_scenario(ref: str | Path = DEFAULT_SCENARIO) -> Scenario:
    """A scenario by id (``chatgpt-2023``) or by path to a YAML file."""
    text = str(ref)
    if isinstance(ref, Path) or text.endswith((".yaml", ".yml")) or "/" in text:
        return load_scenario_file(Path(ref))
    known = scenario_ids()
    if text not in known:
        raise UnknownIdError(unknown_id_message("scenario", text, known))
    return load_scenario_file(SCENARIO_DIR / f"{text}.yaml")


def replace_ranges(s: Scenario, changes: dict[str, Range]) -> Scenario:
    """A copy of the scenario with some global inputs replaced (tests, sensitivity)."""
    for k in changes:
        if k not in s.strategy.ranges:
            raise SiliconomicsError(unknown_id_message("input", k, s.strategy.ranges))
    ranges = dict(s.strategy.ranges)
    for k, r in changes.items():
        ranges[k] = SourcedRange(r, ranges[k].source)
    from dataclasses import replace

    return replace(s, strategy=replace(s.strategy, ranges=ranges))
