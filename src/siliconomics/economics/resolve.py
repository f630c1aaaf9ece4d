"""From a parsed :class:`ScenarioSpec` to the strategy model: the work, done once.

Hardware ids become :class:`~siliconomics.catalog.Accelerator` objects and designs become
silicon-model evaluations (each once), fleets are sized by the serving layer with a small
response surface over token lengths, dated rental prices become per-quarter paths, and every
uncertain input becomes a named, sourced range. The result, :class:`Scenario`, is what
:func:`siliconomics.economics.study.run_study` and the report use.

Capacity per chip comes from the method in :data:`CAPACITY_METHODS`: ``serving`` (the
serving layer's fleet sizing on the performance model, :mod:`economics.capacity`; it also
gives the generation's ``utilisation_frac``), ``flops`` (the SemiAnalysis-style count: peak x
FLOP utilisation / (2 x active parameters x tokens per query); Kaplan et al. 2020, arXiv
2001.08361) or ``explicit`` (a sourced range).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siliconomics import catalog
from siliconomics.catalog.accelerator import Accelerator
from siliconomics.catalog.sourced import Range
from siliconomics.economics.capacity import (
    CapacitySurface,
    FleetRequest,
    ServingSetup,
    chosen_fleet,
    prefetch,
    served_fleet,
    setup_from_spec,
)
from siliconomics.economics.custom_chip import (
    SCALES,
    design_params,
    design_report,
    resolve_space,
    searched_design,
)
from siliconomics.economics.defaults import EconomicsDefaults, SourcedRange, default_economics
from siliconomics.economics.scenario import (
    CUSTOM_TYPE_NAMES,
    BuyGpuSpec,
    CustomSpec,
    DesignSearchSpec,
    ExplicitCapacity,
    FlopsCapacity,
    GenerationSpec,
    RentGpuSpec,
    ScenarioSpec,
    ServingCapacity,
    TrafficSpec,
    _CustomBase,
)
from siliconomics.economics.spec_types import Leaf, date_years
from siliconomics.economics.strategy import (
    OPTION_CLASSES,
    BuyGpu,
    CustomProgram,
    Generation,
    Option,
    RentGpu,
    StrategyModel,
)
from siliconomics.errors import SiliconomicsError, UnknownIdError
from siliconomics.perf.calibration import Calibration, load_calibration
from siliconomics.perf.stacks import Stack, resolve_stack
from siliconomics.registry import Registry
from siliconomics.resolve import resolve_accelerator
from siliconomics.serving.executor import MapExecutor
from siliconomics.workload.params import parameter_counts

#: Default service life when the scenario gives none: the depreciation life (econ defaults).
RESALE_DEFAULT = SourcedRange(
    Range(low=0.0, central=0.1, high=0.2),
    "(assumption) resale value of a chip at the end of its service life as a share of its "
    "price; no public secondary-market series for datacentre GPUs was found")
#: Minimum default horizon [years] and the rule for a longer one (docs/economics.md).
MIN_DEFAULT_HORIZON_YEARS = 5


def _sr(leaf: Leaf) -> SourcedRange:
    return SourcedRange(leaf.range, leaf.source)


@dataclass(frozen=True)
class OptionInfo:
    """What the summary shows about one option besides its cash flows."""

    id: str
    type: str
    label: str
    hardware: str | None
    capacity_method: str
    bridge: str | None
    serving: dict[str, Any] | None = None
    silicon: dict[str, Any] | None = None
    generations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: the strategy model plus what the report shows."""

    spec: ScenarioSpec
    id: str
    name: str
    description: str
    path: str
    model_id: str
    model_note: str
    start_years: float
    economics: EconomicsDefaults
    strategy: StrategyModel
    options: tuple[OptionInfo, ...]
    serving_setup: ServingSetup
    warnings: tuple[str, ...] = ()
    horizon_note: str = ""
    traffic: dict[str, SourcedRange] = field(default_factory=dict)

    @property
    def raw(self) -> dict[str, Any]:
        """The scenario as a plain mapping (what a scenario file holds; for writing one)."""
        data: dict[str, Any] = self.spec.model_dump(mode="json", exclude_none=True,
                                                    exclude={"source_path"})
        return data

    @property
    def queries_per_day(self) -> float:
        t = self.spec.traffic
        return t.daily_users.range.central * t.queries_per_user_per_day.range.central

    @property
    def tokens_per_query(self) -> float:
        t = self.spec.traffic
        return t.input_tokens_per_query.range.central + t.output_tokens_per_query.range.central


@dataclass(frozen=True)
class CapacityOut:
    """A generation's capacity inputs by name, its response surface and the fleet summary."""

    params: dict[str, SourcedRange]
    surface: CapacitySurface
    serving: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Ctx:
    spec: ScenarioSpec
    setup: ServingSetup
    where: str


@dataclass(frozen=True)
class Software:
    """The software stack and kernel calibration an option's fleet is sized with, resolved
    once from the scenario's ``stack:`` / ``calibration:`` (None: the serving defaults)."""

    stack: Stack | None = None
    calibration: Calibration | None = None

    @classmethod
    def of(cls, stack: str | None, calibration: str | None, where: str,
           base: Path | None) -> Software:
        out_stack = None
        out_cal = None
        try:
            if stack is not None:
                out_stack = resolve_stack(stack)
            if calibration is not None:
                path = Path(calibration)
                if not path.is_absolute() and base is not None and (base / path).is_file():
                    path = base / path
                out_cal = load_calibration(path)
        except SiliconomicsError as exc:
            raise type(exc)(f"{where}: {exc}") from None
        return cls(out_stack, out_cal)


CapacityFn = Callable[[Any, str, _Ctx, str, Software], CapacityOut]


def _request(cfg: ServingCapacity, hardware: str, sw: Software, surface: bool = True
             ) -> FleetRequest:
    """The sizing question of a serving capacity on ``hardware`` with ``sw``: asked by the
    resolver (:func:`_capacity_serving`, :meth:`_Builder._capacity_only`) and in advance by
    :meth:`_Builder.prefetch`, so both ask the same."""
    return FleetRequest(hardware, cfg.weight_dtype, cfg.kv_dtype,
                        tuple(cfg.tp) if cfg.tp else None, sw.stack, sw.calibration, surface)


def _maturities(sw: Software, maturity: Leaf, where: str
                ) -> tuple[Software, Software, Software]:
    """``sw``'s stack at the low, central and high ends of a ``stack_maturity`` range; an
    error naming the field when the stack has no immature end to range over."""
    stack = sw.stack
    if stack is None or stack.immature is None:
        name = "none" if stack is None else f"'{stack.id}'"
        raise SiliconomicsError(f"{where}.stack_maturity: stack {name} has no immature end "
                                f"to range over; use a stack with one (e.g. inhouse)")
    r = maturity.range
    low, central, high = (Software(stack.at_maturity(f), sw.calibration)
                          for f in (r.low, r.central, r.high))
    return low, central, high


def _capacity_serving(cfg: ServingCapacity, hardware: str, c: _Ctx, where: str,
                      sw: Software) -> CapacityOut:
    served = served_fleet(c.spec.model, _request(cfg, hardware, sw), c.spec.traffic, c.setup,
                          where)
    return CapacityOut({"capacity_qps_per_chip": served.capacity_qps_per_chip,
                        "utilisation_frac": served.utilisation_frac}, served.surface,
                       served.summary())


def _capacity_flops(cfg: FlopsCapacity, hardware: str, c: _Ctx, where: str,
                    sw: Software) -> CapacityOut:
    chip = resolve_accelerator(hardware)
    active = parameter_counts(catalog.model(c.spec.model)).active
    t = c.spec.traffic
    tokens = t.input_tokens_per_query.range.central + t.output_tokens_per_query.range.central
    per_mfu = chip.peak(cfg.dtype) / (2.0 * active * max(tokens, 1.0))
    cap = SourcedRange(cfg.mfu_frac.range.scaled(per_mfu),
                       f"flops method: {hardware} {cfg.dtype} peak x MFU ({cfg.mfu_frac.source}) "
                       f"/ (2 x {active / 1e9:.0f}B params x {tokens:.0f} tokens per query)")
    return CapacityOut({"capacity_qps_per_chip": cap},
                       CapacitySurface.proportional(cap.central, t))


def _capacity_explicit(cfg: ExplicitCapacity, hardware: str, c: _Ctx, where: str,
                       sw: Software) -> CapacityOut:
    cap = _sr(cfg.queries_per_s_per_chip)
    return CapacityOut({"capacity_qps_per_chip": cap}, CapacitySurface.flat(cap.central,
                                                                             c.spec.traffic))


CAPACITY_METHODS: Registry[CapacityFn] = Registry(
    "capacity method",
    {"serving": _capacity_serving, "flops": _capacity_flops, "explicit": _capacity_explicit})


def _capacity(cfg: Any, hardware: str, c: _Ctx, where: str, sw: Software) -> CapacityOut:
    try:
        return CAPACITY_METHODS[cfg.method](cfg, hardware, c, where, sw)
    except SiliconomicsError as exc:
        msg = str(exc)
        raise type(exc)(msg if msg.startswith(c.where) else f"{where}: {msg}") from None


def _as_of_warning(what: str, as_of: Any, start: float, scenario: str) -> list[str]:
    if as_of is None:
        return []
    when = date_years(as_of)
    if when >= math.floor(start) + 1:
        return [f"scenario '{scenario}' is dated {start:.0f} but uses {what} as of {as_of}"]
    return []


def _hardware(ref: str, where: str) -> Accelerator:
    try:
        return resolve_accelerator(ref)
    except UnknownIdError as exc:
        raise UnknownIdError(f"{where}.hardware: {exc}") from None


class _Builder:
    """Collects ranges and warnings while resolving the options."""

    def __init__(self, spec: ScenarioSpec, setup: ServingSetup, econ: EconomicsDefaults
                 ) -> None:
        self.spec = spec
        self.c = _Ctx(spec, setup, spec.source_path or spec.id)
        self.econ = econ
        self.base = Path(spec.source_path).parent if spec.source_path else None
        self.ranges: dict[str, SourcedRange] = {}
        self.warnings: list[str] = []
        self.paths: dict[str, tuple[tuple[float, float], ...]] = {}
        for hw, pts in spec.rental_prices.items():
            self.paths[hw] = tuple(sorted(((date_years(x.date) - spec.start_years) * 4.0,
                                           x.usd_per_hour) for x in pts))

    def warn_as_of(self, what: str, as_of: Any) -> None:
        self.warnings += _as_of_warning(what, as_of, self.spec.start_years, self.spec.id)

    def generation(self, opt_id: str, gen: GenerationSpec, where: str, owned: bool
                   ) -> tuple[Generation, dict[str, Any] | None, str]:
        acc = _hardware(gen.hardware, where)
        key = f"{opt_id}.{gen.hardware}"
        avail = 0.0 if gen.available is None else (date_years(gen.available)
                                                    - self.spec.start_years) * 4.0
        sw = Software.of(gen.stack, gen.calibration, where, self.base)
        cap = _capacity(gen.capacity, gen.hardware, self.c, where, sw)
        for name, value in cap.params.items():
            self.ranges[f"{key}.{name}"] = value
        self.ranges[f"{key}.tdp_w"] = SourcedRange(Range.point(acc.tdp_w),
                                                   acc.sources.get("tdp_w", "catalog"))
        if owned:
            if gen.price_usd is not None:
                self.ranges[f"{key}.price_usd"] = _sr(gen.price_usd)
            elif acc.price_usd is not None:
                src = acc.sources.get("price_usd", "catalog")
                self.ranges[f"{key}.price_usd"] = SourcedRange(acc.price_usd, src)
                self._catalog_as_of(gen.hardware, "price_usd")
            else:
                raise SiliconomicsError(f"{where}.price_usd: hardware '{gen.hardware}' has no "
                                        f"catalog price; give price_usd with a source")
            if gen.price_decline_frac_per_year is not None:
                self.ranges[f"{key}.price_decline_frac_per_year"] = _sr(
                    gen.price_decline_frac_per_year)
            if gen.supply_cap_chips_per_quarter is not None:
                self.ranges[f"{key}.supply_cap_chips_per_quarter"] = _sr(
                    gen.supply_cap_chips_per_quarter)
        path = self.paths.get(gen.hardware)
        if path is None:
            if gen.cloud_usd_per_hour is not None:
                self.ranges[f"{key}.cloud_usd_per_hour"] = _sr(gen.cloud_usd_per_hour)
                self.warn_as_of(f"{key}.cloud_usd_per_hour", gen.cloud_usd_per_hour.as_of)
            elif acc.cloud_usd_per_hour is not None:
                self.ranges[f"{key}.cloud_usd_per_hour"] = SourcedRange(
                    acc.cloud_usd_per_hour, acc.sources.get("cloud_usd_per_hour", "catalog"))
                self._catalog_as_of(gen.hardware, "cloud_usd_per_hour",
                                    f"{key}.cloud_usd_per_hour")
            elif not owned:
                raise SiliconomicsError(f"{where}: hardware '{gen.hardware}' has no rental "
                                        f"price; give cloud_usd_per_hour or rental_prices")
        method = gen.capacity.method
        until = float("inf") if gen.available_until is None else (
            date_years(gen.available_until) - self.spec.start_years) * 4.0
        g = Generation(key, gen.hardware, acc, avail, cap.surface, until, path, method,
                       cap.serving)
        return g, cap.serving, method

    def _catalog_as_of(self, hw: str, name: str, what: str | None = None) -> None:
        from siliconomics.catalog.index import DATA_DIR
        from siliconomics.catalog.sourced import read_yaml

        path = DATA_DIR / "hardware" / f"{hw}.yaml"
        if not path.is_file():
            return
        leaf = read_yaml(path).get(name)
        if isinstance(leaf, dict):
            self.warn_as_of(what or f"{hw} {name}", leaf.get("as_of"))

    def merchant(self, i: int, o: BuyGpuSpec | RentGpuSpec) -> tuple[Option, OptionInfo]:
        where = f"{self.c.where}: options[{i}] ({o.id})"
        owned = isinstance(o, BuyGpuSpec)
        gens = []
        serving = None
        method = ""
        for j, gen in enumerate(o.roadmap):
            g, sv, m = self.generation(o.id, gen, f"{where}.roadmap[{j}]", owned)
            gens.append(g)
            serving = serving or sv
            method = method or m
        label = o.label or o.id
        opt: Option
        if isinstance(o, BuyGpuSpec):
            opt = BuyGpu(o.id, label, tuple(gens), o.shortfall)
        else:
            if o.committed_discount_frac is not None:
                self.ranges[f"{o.id}.committed_discount_frac"] = _sr(o.committed_discount_frac)
            opt = RentGpu(o.id, label, tuple(gens))
        hw = " -> ".join(x.hardware for x in o.roadmap)
        info = OptionInfo(o.id, o.type, label, hw, method, None, serving, None,
                          tuple(x.hardware for x in o.roadmap))
        return opt, info

    def custom(self, i: int, o: CustomSpec, bridge: Option) -> tuple[Option, OptionInfo]:
        where = f"{self.c.where}: options[{i}] ({o.id})"
        params: dict[str, SourcedRange] = {}
        silicon = None
        serving = None
        surface: CapacitySurface
        acc: Accelerator
        own: dict[str, SourcedRange] = {}
        for name in type(o.params).model_fields:
            leaf = getattr(o.params, name)
            if leaf is not None:
                own[name] = _sr(leaf)
        method = "relative"
        if o.design is not None:
            scales = {k: own.pop(k) for k in SCALES if k in own}
            folder = Path(self.c.where).parent
            found_by = None
            search = o.design
            if isinstance(search, DesignSearchSpec):
                space = resolve_space(search.search, where, folder)
                found_by = (f"found by design search: space {space.name}, objective "
                            f"{search.objective}, budget {search.budget}, seed {search.seed}")
                design_ref = str(searched_design(space, search.objective, search.budget,
                                                 search.seed, where))
            else:
                design_ref = search
            derived = design_params(design_ref, where, scales, folder, found_by)
            params |= derived.params
            silicon = derived.summary
            acc = design_report(Path(derived.path)).accelerator
            sw = Software.of(o.stack, o.calibration, where, self.base)
            if o.stack_maturity is not None:
                assert isinstance(o.capacity, ServingCapacity)  # checked when parsed
                cap = self._matured(o.stack_maturity, o.capacity, derived.path, where, sw)
            else:
                cap = _capacity(o.capacity, derived.path, self.c, where, sw)
            params |= cap.params
            surface = cap.surface
            serving = cap.serving
            method = o.capacity.method
            hw_label = derived.design_id
        else:
            ref = bridge.generations[-1]  # the bridge's first (oldest) generation
            ratio = own.pop("perf_ratio")
            base = self.ranges[f"{ref.key}.capacity_qps_per_chip"]
            params["capacity_qps_per_chip"] = SourcedRange(
                Range(low=base.central * ratio.range.low, central=base.central * ratio.central,
                      high=base.central * ratio.range.high),
                f"{ref.label} capacity x perf_ratio ({ratio.source})")
            util = self.ranges.get(f"{ref.key}.utilisation_frac")
            if util is not None:
                params["utilisation_frac"] = util
            surface = ref.surface
            acc = ref.accelerator
            hw_label = f"{o.id}-chip"
        for k in [k for k in own if k in SCALES]:
            own.pop(k)
        params |= own
        chip_key = f"{o.id}"
        for name, value in params.items():
            self.ranges[f"{chip_key}.{name}"] = value
        chip = Generation(chip_key, hw_label, acc, 0.0, surface, float("inf"), None, method,
                          serving)
        cls = OPTION_CLASSES[o.type]
        assert issubclass(cls, CustomProgram)
        label = o.label or o.id
        opt = cls(o.id, label, chip, o.bridge)
        info = OptionInfo(o.id, o.type, label, hw_label, method, o.bridge, serving, silicon,
                          (hw_label,))
        return opt, info


    def _matured(self, maturity: Leaf, cfg: ServingCapacity, hardware: str, where: str,
                 sw: Software) -> CapacityOut:
        """The custom chip's capacity over its stack's maturity range: the fleet sized at the
        low, central and high maturity; low from the immature sizing's low end, high from the
        mature sizing's high end, the surface and fleet summary at central maturity."""
        r = maturity.range
        low, central, high = _maturities(sw, maturity, where)
        assert sw.stack is not None  # (_maturities refuses a stack without an immature end)
        # The ends give only their capacity per chip: no response surface (two bisections
        # each) for them.
        lo = self._capacity_only(cfg, hardware, where, low)
        mid = _capacity(cfg, hardware, self.c, where, central)
        hi = self._capacity_only(cfg, hardware, where, high)
        cap = SourcedRange(
            Range(low=lo.range.low, central=mid.params["capacity_qps_per_chip"].central,
                  high=hi.range.high),
            f"serving layer at stack '{sw.stack.id}' maturity {r.low:g} (low) / {r.central:g} "
            f"(central) / {r.high:g} (high), stack_maturity ({maturity.source}); central: "
            f"{mid.params['capacity_qps_per_chip'].source}")
        return CapacityOut(mid.params | {"capacity_qps_per_chip": cap}, mid.surface,
                           mid.serving)


    def prefetch(self, executor: MapExecutor) -> None:
        """Size every serving fleet the options will ask for through ``executor`` first
        (:func:`~siliconomics.economics.capacity.prefetch`), so that the options, resolved
        in order afterwards, find them in the fleet cache. Questions it cannot work out in
        advance (a design search, an invalid option) are left to the options themselves."""
        requests: list[FleetRequest] = []
        for i, o in enumerate(self.spec.options):
            where = f"{self.c.where}: options[{i}] ({o.id})"
            try:
                requests += self._requests(o, where)
            except (SiliconomicsError, ValueError):
                continue  # reported when the option is resolved
        prefetch(self.spec.model, requests, self.spec.traffic, self.c.setup, executor)

    def _requests(self, o: Any, where: str) -> list[FleetRequest]:
        """The serving-capacity questions option ``o`` will ask (:meth:`prefetch`): built
        by :func:`_request` and :func:`_maturities` as its resolution builds them."""
        if isinstance(o, BuyGpuSpec | RentGpuSpec):
            return [_request(gen.capacity, gen.hardware,
                             Software.of(gen.stack, gen.calibration, where, self.base))
                    for gen in o.roadmap if isinstance(gen.capacity, ServingCapacity)]
        if not isinstance(o, _CustomBase) or o.design is None or isinstance(
                o.design, DesignSearchSpec) or not isinstance(o.capacity, ServingCapacity):
            return []
        cfg = o.capacity
        path = design_params(o.design, where, {}, Path(self.c.where).parent).path
        sw = Software.of(o.stack, o.calibration, where, self.base)
        if o.stack_maturity is None:
            return [_request(cfg, path, sw)]
        low, central, high = _maturities(sw, o.stack_maturity, where)
        return [_request(cfg, path, low, surface=False), _request(cfg, path, central),
                _request(cfg, path, high, surface=False)]

    def _capacity_only(self, cfg: ServingCapacity, hardware: str, where: str,
                       sw: Software) -> SourcedRange:
        """Capacity per chip [queries/s] of the serving fleet sized with ``sw`` (as
        :func:`_capacity_serving`, without the response surface)."""
        c = self.c
        try:
            chosen = chosen_fleet(c.spec.model, _request(cfg, hardware, sw, surface=False),
                                  c.spec.traffic, c.setup, where)
        except SiliconomicsError as exc:
            msg = str(exc)
            raise type(exc)(msg if msg.startswith(c.where) else f"{where}: {msg}") from None
        return chosen.capacity_qps_per_chip


def default_horizon_years(spec: ScenarioSpec, ranges: dict[str, SourcedRange]
                          ) -> tuple[float, str]:
    """The horizon: the scenario's, or long enough for two custom generations after the
    latest central arrival (schedule - time saved + two generation intervals, 24 months
    when the option has no next generation), at least 5 years (docs/economics.md)."""
    if spec.horizon_years is not None:
        return spec.horizon_years.range.central, f"scenario horizon ({spec.horizon_years.source})"
    need = float(MIN_DEFAULT_HORIZON_YEARS)
    for o in spec.options:
        if not isinstance(o, _CustomBase):
            continue
        sched = ranges[f"{o.id}.schedule_months"].central
        saved = ranges.get(f"{o.id}.time_saved_months")
        every = ranges.get(f"{o.id}.generation_months")
        months = sched - (saved.central if saved else 0.0) + 2 * (every.central if every else 24.0)
        need = max(need, math.ceil(months / 12.0))
    need = min(need, 30.0)
    return need, (f"default: {need:.0f} years, long enough for the custom chip and two "
                  f"generations after it (at least {MIN_DEFAULT_HORIZON_YEARS})")


def resolve(spec: ScenarioSpec, only: tuple[str, ...] | None = None,
            executor: MapExecutor | None = None) -> Scenario:
    """Resolve a parsed scenario into the strategy model (the expensive step, done once).

    ``only``: resolve just these options (and their bridges), e.g. a reproduction option.
    ``executor`` (e.g. ``siliconomics.explore.executors.LocalExecutor()``): size the serving
    fleets in parallel first (:meth:`_Builder.prefetch`); the result does not depend on it."""
    where = spec.source_path or spec.id
    if only is not None:
        keep = set(only) | {o.bridge for o in spec.options
                            if o.id in only and isinstance(o, _CustomBase)}
        spec = spec.model_copy(update={"options": [o for o in spec.options if o.id in keep]})
    try:
        catalog.model(spec.model)
    except UnknownIdError as exc:
        raise UnknownIdError(f"{where}: model: {exc}") from None
    econ = default_economics().with_overrides({k: _sr(v) for k, v in spec.economics.items()})
    setup = setup_from_spec(spec.serving)
    b = _Builder(spec, setup, econ)
    if executor is not None:
        b.prefetch(executor)
    t: TrafficSpec = spec.traffic
    traffic = {name: _sr(getattr(t, name)) for name in type(t).model_fields
               if getattr(t, name) is not None}
    b.ranges |= {f"traffic.{k}": v for k, v in traffic.items()}
    b.ranges |= {f"econ.{k}": v for k, v in econ.values.items()}
    as_of = _econ_as_of(econ)
    for name in econ.values:
        b.warn_as_of(f"econ.{name}", as_of.get(name))
    life = spec.fleet.service_life_years
    b.ranges["fleet.service_life_years"] = _sr(life) if life else econ["depreciation_years"]
    b.ranges["fleet.resale_frac"] = _sr(spec.fleet.resale_frac) if spec.fleet.resale_frac \
        else RESALE_DEFAULT
    if spec.fleet.power_budget_mw is not None:
        b.ranges["fleet.power_budget_mw"] = _sr(spec.fleet.power_budget_mw)
        if spec.fleet.power_build_out_mw_per_quarter is not None:
            b.ranges["fleet.power_build_out_mw_per_quarter"] = _sr(
                spec.fleet.power_build_out_mw_per_quarter)
    options: list[Option] = []
    infos: list[OptionInfo] = []
    by_id: dict[str, Option] = {}
    for i, o in enumerate(spec.options):
        if isinstance(o, BuyGpuSpec | RentGpuSpec):
            opt, info = b.merchant(i, o)
            by_id[o.id] = opt
    for i, o in enumerate(spec.options):
        if isinstance(o, BuyGpuSpec | RentGpuSpec):
            opt = by_id[o.id]
            info = _merchant_info(o, opt)
        else:
            opt, info = b.custom(i, o, by_id[o.bridge])
        options.append(opt)
        infos.append(info)
    years, note = default_horizon_years(spec, b.ranges)
    quarters = max(1, round(years * 4))
    b.warnings += _horizon_warnings(spec, infos, b.ranges, years * 12.0)
    unserved = spec.unserved_usd_per_query
    if unserved is not None:
        b.ranges["scenario.unserved_usd_per_query"] = _sr(unserved)
    qpd = traffic["daily_users"].central * traffic["queries_per_user_per_day"].central
    strategy = StrategyModel(spec.id, quarters, qpd, tuple(options), b.ranges,
                             None if unserved is None else unserved.range.central,
                             spec.fleet.power_budget_mw is not None)
    return Scenario(spec=spec, id=spec.id, name=spec.display_name,
                    description=spec.description, path=where, model_id=spec.model,
                    model_note=spec.model_note, start_years=spec.start_years, economics=econ,
                    strategy=strategy, options=tuple(infos), serving_setup=setup,
                    warnings=tuple(dict.fromkeys(b.warnings)), horizon_note=note,
                    traffic=traffic)


def _merchant_info(o: BuyGpuSpec | RentGpuSpec, opt: Option) -> OptionInfo:
    gens = opt.generations
    first = gens[-1] if gens else None
    return OptionInfo(o.id, o.type, o.label or o.id, " -> ".join(x.hardware for x in o.roadmap),
                      first.capacity_method if first else "", None,
                      first.serving if first else None, None,
                      tuple(x.hardware for x in o.roadmap))


def _econ_as_of(econ: EconomicsDefaults) -> dict[str, Any]:
    """The ``as_of`` date of each economics default that has one (the file read once)."""
    from siliconomics.catalog.sourced import read_yaml

    data = read_yaml(Path(econ.path))
    return {name: leaf["as_of"] for name, leaf in data.items()
            if isinstance(leaf, dict) and leaf.get("as_of") is not None}


def _horizon_warnings(spec: ScenarioSpec, infos: list[OptionInfo],
                      ranges: dict[str, SourcedRange], horizon_months: float) -> list[str]:
    warnings = []
    for info in infos:
        if info.type not in CUSTOM_TYPE_NAMES:
            continue
        sched = ranges[f"{info.id}.schedule_months"].range
        saved = ranges.get(f"{info.id}.time_saved_months")
        earliest = max(sched.low - (saved.range.high if saved else 0.0), 1.0)
        central = max(sched.central - (saved.central if saved else 0.0), 1.0)
        if earliest >= horizon_months:
            warnings.append(
                f"option '{info.id}': its schedule ({earliest:.0f}+ months) is not shorter than "
                f"the horizon ({horizon_months:.0f} months): the chip never arrives, the option "
                f"reduces to its bridge '{info.bridge}' plus the NRE spent")
        elif max(sched.high - (saved.range.low if saved else 0.0), 1.0) >= horizon_months or \
                central >= horizon_months:
            warnings.append(
                f"option '{info.id}': in some draws its schedule exceeds the horizon "
                f"({horizon_months:.0f} months); then the chip never arrives and the option "
                f"is its bridge '{info.bridge}' plus the NRE spent")
    return warnings


def with_ranges(s: Scenario, changes: dict[str, Range]) -> Scenario:
    """A copy of the resolved scenario with some inputs replaced by name (tests,
    sensitivity, the design search): no re-resolution, the sources are kept."""
    from dataclasses import replace

    from siliconomics.registry import unknown_id_message

    for k in changes:
        if k not in s.strategy.ranges:
            raise SiliconomicsError(unknown_id_message("input", k, s.strategy.ranges))
    ranges = dict(s.strategy.ranges)
    for k, r in changes.items():
        ranges[k] = SourcedRange(r, ranges[k].source)
    return replace(s, strategy=replace(s.strategy, ranges=ranges))
