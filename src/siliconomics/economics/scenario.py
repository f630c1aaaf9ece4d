"""Scenario files: a pure parse into a typed, frozen :class:`ScenarioSpec`.

A scenario is a YAML file in ``catalog/data/scenarios/`` (or any path): the date it is set
at (``as_of``), traffic, the model, economic overrides, the fleet policy (service life,
resale, an optional data-centre power budget), dated rental prices, and the strategy
options. Loading only parses and validates (no serving simulation, no silicon model):
:func:`siliconomics.economics.study.run_study` resolves hardware and designs and does the
work, once. Every number is a sourced :class:`~siliconomics.economics.spec_types.Leaf` with
declared bounds; unknown keys are refused with the closest valid name; every error is one
line naming the file and the field.

Option types (one class each in :mod:`siliconomics.economics.strategy`):

* ``buy_gpu``: a ``roadmap`` of merchant generations (A100 -> H100 -> B200 ...), each with
  its availability date, launch price, price decline and supply cap per quarter; new
  capacity goes to the newest available generation, a capped shortfall to the older ones,
  then rented (``shortfall: rent``) or left unserved (``shortfall: unserved``).
* ``rent_gpu``: rent the newest available generation at its dated price path.
* ``build_asic`` / ``acquire`` / ``partner``: a custom-chip programme (``design`` from the
  silicon model or explicit ``params``) with a ``bridge`` merchant option serving until the
  chip arrives, and serving what the chip cannot (supply cap) or everything if it fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from siliconomics.catalog.index import DATA_DIR
from siliconomics.economics.spec_types import (
    DateText,
    Fraction,
    Leaf,
    NonNegative,
    Positive,
    Probability,
    Strict,
    bounds,
    check_economics_name_and_bounds,
    date_years,
)
from siliconomics.errors import UnknownIdError
from siliconomics.inputs import load_yaml, parse_model
from siliconomics.registry import unknown_id_message

SCENARIO_DIR = DATA_DIR / "scenarios"
DEFAULT_SCENARIO = "chatgpt-2023"
OptionId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]


def scenario_ids() -> list[str]:
    return [p.stem for p in sorted(SCENARIO_DIR.glob("*.yaml"))]


class TrafficSpec(Strict):
    """Demand at the scenario date and how it grows (every field a sourced range)."""

    daily_users: Annotated[Leaf, Positive]
    queries_per_user_per_day: Annotated[Leaf, Positive]
    input_tokens_per_query: Annotated[Leaf, NonNegative]
    output_tokens_per_query: Annotated[Leaf, Positive]
    growth_frac_per_year: Annotated[Leaf, bounds(ge=-0.99, le=100)]
    #: Average busy share of a fleet not sized by the serving layer (flops/explicit capacity).
    utilisation_frac: Annotated[Leaf, bounds(gt=0, le=1)] | None = None


class SloSpec(Strict):
    ttft_s: float = Field(gt=0, le=600)
    tpot_s: float = Field(gt=0, le=60)
    percentile: float = Field(default=99.0, gt=0, le=100)
    source: str = Field(min_length=3)


class ServingSpec(Strict):
    """How fleets are sized by the serving layer (see :mod:`economics.capacity`)."""

    slo: SloSpec | None = None
    peak_to_mean: Annotated[Leaf, bounds(ge=1, lt=2)] | None = None
    headroom_frac: Annotated[Leaf, bounds(ge=0, lt=1)] | None = None
    capacity_scale: Annotated[Leaf, Positive] | None = None
    lengths: Literal["lognormal", "fixed"] = "lognormal"
    n_requests: int = Field(default=1500, ge=200, le=100_000)
    capacity_seeds: int = Field(default=2, ge=1, le=16)
    sample_replicas: int = Field(default=1, ge=0, le=16)
    seed: int = Field(default=0, ge=0)


WeightDtype = Literal["fp4", "int4", "fp8", "int8", "bf16", "fp16", "fp32"]


class ServingCapacity(Strict):
    method: Literal["serving"] = "serving"
    weight_dtype: WeightDtype | None = None
    kv_dtype: WeightDtype | None = None
    tp: list[Annotated[int, Field(ge=1, le=4096)]] | None = Field(default=None, min_length=1)


class FlopsCapacity(Strict):
    method: Literal["flops"]
    dtype: Literal["bf16", "fp16", "fp8", "int8", "fp4", "int4"] = "bf16"
    mfu_frac: Annotated[Leaf, bounds(gt=0, le=1)]


class ExplicitCapacity(Strict):
    method: Literal["explicit"]
    queries_per_s_per_chip: Annotated[Leaf, Positive]


CapacitySpec = Annotated[ServingCapacity | FlopsCapacity | ExplicitCapacity,
                         Field(discriminator="method")]


class PricePoint(Strict):
    """One dated price [USD per chip-hour] with its source."""

    date: Annotated[str, DateText]
    usd_per_hour: float = Field(gt=0)
    source: str = Field(min_length=3)


class GenerationSpec(Strict):
    """One merchant hardware generation of an option's roadmap.

    ``available``: first quarter it can be bought or rented (default: at the scenario date);
    ``available_until``: end of sale (default: never);
    ``price_usd``: launch price (default: the catalog's); ``price_decline_frac_per_year``:
    price path after launch; ``supply_cap_chips_per_quarter``: most one buyer gets a quarter.
    """

    hardware: str = Field(min_length=1)
    available: Annotated[str, DateText] | None = None
    #: Last month it can be bought (end of sale); installed chips keep serving.
    available_until: Annotated[str, DateText] | None = None
    capacity: CapacitySpec = Field(default_factory=ServingCapacity)
    price_usd: Annotated[Leaf, Positive] | None = None
    price_decline_frac_per_year: Annotated[Leaf, bounds(ge=0, lt=1)] | None = None
    supply_cap_chips_per_quarter: Annotated[Leaf, NonNegative] | None = None
    cloud_usd_per_hour: Annotated[Leaf, Positive] | None = None
    stack: str | None = None
    calibration: str | None = None


class _OptionBase(Strict):
    id: OptionId
    label: str | None = None


class BuyGpuSpec(_OptionBase):
    type: Literal["buy_gpu"]
    roadmap: list[GenerationSpec] = Field(min_length=1, max_length=8)
    shortfall: Literal["rent", "unserved"] = "rent"


class RentGpuSpec(_OptionBase):
    type: Literal["rent_gpu"]
    roadmap: list[GenerationSpec] = Field(min_length=1, max_length=8)
    committed_discount_frac: Annotated[Leaf, bounds(ge=0, lt=1)] | None = None


class CustomParams(Strict):
    """A custom-chip programme's inputs. With a ``design``, unit cost, TDP, NRE, schedule and
    respin come from the silicon model (scaled by the ``*_scale`` ranges); without one they
    are given here, with ``perf_ratio`` (capacity per chip over the bridge's first GPU)."""

    nre_scale: Annotated[Leaf, Positive] | None = None
    schedule_scale: Annotated[Leaf, Positive] | None = None
    unit_cost_scale: Annotated[Leaf, Positive] | None = None
    nre_usd: Annotated[Leaf, NonNegative] | None = None
    schedule_months: Annotated[Leaf, bounds(gt=0, le=240)] | None = None
    respin_delay_months: Annotated[Leaf, bounds(ge=0, le=120)] | None = None
    respin_cost_usd: Annotated[Leaf, NonNegative] | None = None
    unit_cost_usd: Annotated[Leaf, Positive] | None = None
    tdp_w: Annotated[Leaf, Positive] | None = None
    perf_ratio: Annotated[Leaf, Positive] | None = None
    p_first_pass: Annotated[Leaf, Probability]
    p_respin_success: Annotated[Leaf, Probability]
    sustaining_usd_per_year: Annotated[Leaf, NonNegative] | None = None
    generation_months: Annotated[Leaf, bounds(ge=3, le=240)] | None = None
    next_gen_nre_usd: Annotated[Leaf, NonNegative] | None = None
    next_gen_capacity_gain_frac: Annotated[Leaf, bounds(ge=0, le=20)] | None = None
    price_decline_frac_per_year: Annotated[Leaf, bounds(ge=0, lt=1)] | None = None
    supply_cap_chips_per_quarter: Annotated[Leaf, NonNegative] | None = None
    acquisition_usd: Annotated[Leaf, NonNegative] | None = None
    time_saved_months: Annotated[Leaf, bounds(ge=0, le=120)] | None = None
    partner_margin_frac: Annotated[Leaf, bounds(ge=0, le=10)] | None = None
    partner_nre_share_frac: Annotated[Leaf, Fraction] | None = None


SearchObjective = Literal["cost_per_million_tokens", "tpot_s", "power_w_per_token_s", "nre_usd"]
DEFAULT_SEARCH_BUDGET = 1024
MAX_SEARCH_BUDGET = 100_000


class DesignSearchSpec(Strict):
    """``design: {search: SPACE}``: the build option uses the best design the design search
    (:mod:`siliconomics.explore`) finds in ``SPACE`` for ``objective``. The search runs once,
    when the scenario is resolved (not when it is parsed), serially, with ``budget`` screened
    designs (a small default keeps ``siliconomics study`` quick) and ``seed``. ``SPACE`` is a
    design-space YAML path (relative to the scenario's folder, then the working directory) or
    a shipped space id (``siliconomics/explore/spaces``)."""

    search: str = Field(min_length=1, max_length=4096)
    objective: SearchObjective = "cost_per_million_tokens"
    budget: int = Field(DEFAULT_SEARCH_BUDGET, ge=16, le=MAX_SEARCH_BUDGET)
    seed: int = Field(0, ge=0, le=2**32 - 1)


def _design_kind(value: object) -> str:
    """A mapping under ``design`` is a search, anything else a design id or file."""
    return "search mapping" if isinstance(value, dict | DesignSearchSpec) else "id or path"


class _CustomBase(_OptionBase):
    bridge: str
    design: Annotated[
        Annotated[str, Tag("id or path")] | Annotated[DesignSearchSpec, Tag("search mapping")],
        Discriminator(_design_kind)] | None = None
    capacity: CapacitySpec = Field(default_factory=ServingCapacity)
    params: CustomParams
    stack: str | None = None
    calibration: str | None = None
    #: The custom stack's maturity range in (0, 1] (immature .. mature): the fleet is sized
    #: at each end and the capacity range spans them (docs/economics.md).
    stack_maturity: Annotated[Leaf, bounds(gt=0, le=1)] | None = None

    @model_validator(mode="after")
    def _explicit_without_design(self) -> _CustomBase:
        if self.stack_maturity is not None and (
                self.stack is None or self.design is None
                or not isinstance(self.capacity, ServingCapacity)):
            raise ValueError("stack_maturity: needs a design, capacity method 'serving' and a "
                             "stack with an immature end (e.g. stack: inhouse)")
        if self.design is None:
            need = ("nre_usd", "schedule_months", "respin_delay_months", "respin_cost_usd",
                    "unit_cost_usd", "tdp_w", "perf_ratio")
            missing = [n for n in need if getattr(self.params, n) is None]
            if missing:
                raise ValueError(f"params: missing {', '.join(missing)} (a custom option "
                                 f"without a design gives them, each with a source)")
        if self.params.generation_months is not None and self.params.next_gen_nre_usd is None:
            raise ValueError("params.next_gen_nre_usd: needed with generation_months (the "
                             "sustaining cost of each next generation)")
        return self


class BuildAsicSpec(_CustomBase):
    type: Literal["build_asic"]


class AcquireSpec(_CustomBase):
    type: Literal["acquire"]

    @model_validator(mode="after")
    def _acquisition(self) -> AcquireSpec:
        if self.params.acquisition_usd is None or self.params.time_saved_months is None:
            raise ValueError("params: an acquire option needs acquisition_usd and "
                             "time_saved_months")
        return self


class PartnerSpec(_CustomBase):
    type: Literal["partner"]

    @model_validator(mode="after")
    def _margin(self) -> PartnerSpec:
        if self.params.partner_margin_frac is None:
            raise ValueError("params: a partner option needs partner_margin_frac")
        return self


CustomSpec = BuildAsicSpec | AcquireSpec | PartnerSpec
OptionSpec = Annotated[BuyGpuSpec | RentGpuSpec | BuildAsicSpec | AcquireSpec | PartnerSpec,
                       Field(discriminator="type")]
OPTION_TYPE_NAMES = ("buy_gpu", "rent_gpu", "build_asic", "acquire", "partner")
CUSTOM_TYPE_NAMES = frozenset({"build_asic", "acquire", "partner"})


class FleetSpec(Strict):
    """How owned fleets age: chips serve ``service_life_years`` and are then sold at
    ``resale_frac`` of their price; an optional shared data-centre power budget [MW of
    facility power] grows by ``power_build_out_mw_per_quarter``."""

    service_life_years: Annotated[Leaf, bounds(gt=0, le=20)] | None = None
    resale_frac: Annotated[Leaf, Fraction] | None = None
    power_budget_mw: Annotated[Leaf, Positive] | None = None
    power_build_out_mw_per_quarter: Annotated[Leaf, NonNegative] | None = None


class ReproductionSpec(Strict):
    option: str
    own_model_option: str | None = None
    gpus_per_server: Annotated[Leaf, Positive] | None = None


class FourCentsStep(Strict):
    label: str
    source: str = Field(min_length=3)
    set: dict[str, float] = Field(default_factory=dict)
    scale: dict[str, float] = Field(default_factory=dict)


class FourCentsSpec(Strict):
    target_usd_per_query: Annotated[Leaf, Positive]
    steps: list[FourCentsStep] = Field(default_factory=list)


class ScenarioSpec(Strict):
    """A whole scenario, validated (frozen). ``source_path`` is set by the loader."""

    id: OptionId
    name: str | None = None
    description: str = ""
    as_of: Annotated[str, DateText]
    model: str = Field(min_length=1)
    model_note: str = ""
    horizon_years: Annotated[Leaf, bounds(ge=0.25, le=30)] | None = None
    traffic: TrafficSpec
    economics: dict[str, Leaf] = Field(default_factory=dict)
    serving: ServingSpec = Field(default_factory=ServingSpec)
    fleet: FleetSpec = Field(default_factory=FleetSpec)
    unserved_usd_per_query: Annotated[Leaf, NonNegative] | None = None
    rental_prices: dict[str, list[PricePoint]] = Field(default_factory=dict)
    options: list[OptionSpec] = Field(min_length=1, max_length=32)
    reproduction: ReproductionSpec | None = None
    four_cents: FourCentsSpec | None = None
    #: Show another scenario's ``four_cents`` explanation with this one (its reproduction
    #: option alone is resolved: no fleets sized for it).
    explain_with: str | None = None
    savings_compare: tuple[str, str] | None = None
    source_path: str = ""

    @model_validator(mode="before")
    @classmethod
    def _option_types(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("options"), list):
            for i, o in enumerate(data["options"]):
                if isinstance(o, dict) and o.get("type") not in OPTION_TYPE_NAMES:
                    raise ValueError(f"options[{i}].type: " + unknown_id_message(
                        "option type", str(o.get("type")), OPTION_TYPE_NAMES))
        return data

    @model_validator(mode="after")
    def _cross_checks(self) -> ScenarioSpec:
        from siliconomics.economics.defaults import default_economics

        valid = list(default_economics().values)
        for name, leaf in self.economics.items():
            check_economics_name_and_bounds(name, leaf, valid)
        ids = [o.id for o in self.options]
        for i, oid in enumerate(ids):
            if oid in ids[:i]:
                raise ValueError(f"options[{i}].id: duplicate id '{oid}'")
        merchant = [o.id for o in self.options if o.type not in CUSTOM_TYPE_NAMES]
        start = date_years(self.as_of)
        for i, o in enumerate(self.options):
            where = f"options[{i}] ({o.id})"
            if isinstance(o, _CustomBase):
                if o.bridge not in merchant:
                    raise ValueError(f"{where}.bridge: must name a buy_gpu or rent_gpu option "
                                     f"of this scenario ({', '.join(merchant) or 'none'}), "
                                     f"got {o.bridge!r}")
                cap = o.params.supply_cap_chips_per_quarter
                if cap is not None and cap.range.high == 0:
                    raise ValueError(f"{where}.params.supply_cap_chips_per_quarter: 0 means the "
                                     f"custom chip never serves; give a cap > 0 or drop it")
                continue
            assert isinstance(o, BuyGpuSpec | RentGpuSpec)
            for g, gen in enumerate(o.roadmap):
                if gen.available is not None and date_years(gen.available) > start and \
                        isinstance(o, BuyGpuSpec) and gen.price_usd is None:
                    raise ValueError(f"{where}.roadmap[{g}].price_usd: a generation available "
                                     f"after the scenario date ({gen.available} > {self.as_of}) "
                                     f"needs its launch price (with a source)")
                if gen.available is not None and date_years(gen.available) < start and \
                        isinstance(o, BuyGpuSpec) and gen.price_usd is None and g > 0:
                    raise ValueError(f"{where}.roadmap[{g}].price_usd: a roadmap generation "
                                     f"dated before the scenario ({gen.available} < "
                                     f"{self.as_of}) needs its price at the scenario date")
            if isinstance(o, BuyGpuSpec) and o.shortfall == "unserved":
                caps = [g.supply_cap_chips_per_quarter for g in o.roadmap]
                if all(c is not None and c.range.high == 0 for c in caps):
                    raise ValueError(f"{where}.roadmap.supply_cap_chips_per_quarter: 0 for every "
                                     f"generation with shortfall 'unserved': nothing serves the "
                                     f"demand; give a cap > 0 or shortfall: rent")
            if isinstance(o, BuyGpuSpec | RentGpuSpec):
                needs_util = any(not isinstance(g.capacity, ServingCapacity) for g in o.roadmap)
                if needs_util and self.traffic.utilisation_frac is None:
                    raise ValueError(f"traffic.utilisation_frac: missing (with a source), needed "
                                     f"by option '{o.id}' whose capacity is not sized by the "
                                     f"serving layer")
        for key in ("option", "own_model_option"):
            ref = getattr(self.reproduction, key, None) if self.reproduction else None
            if ref is not None and ref not in ids:
                raise ValueError(f"reproduction.{key}: must name an option of this scenario "
                                 f"({', '.join(ids)}), got {ref!r}")
        if self.savings_compare is not None:
            for ref in self.savings_compare:
                if ref not in ids:
                    raise ValueError(f"savings_compare: '{ref}' is not an option of this "
                                     f"scenario ({', '.join(ids)})")
        return self

    @property
    def start_years(self) -> float:
        return date_years(self.as_of)

    @property
    def display_name(self) -> str:
        return self.name or self.id


def scenario_from_dict(data: Any, *, where: str = "<scenario>") -> ScenarioSpec:
    """Validate a scenario mapping into a frozen :class:`ScenarioSpec` (one-line errors)."""
    spec = parse_model(ScenarioSpec, data, where=where)
    return spec.model_copy(update={"source_path": where})


def load_scenario(ref: str | Path = DEFAULT_SCENARIO) -> ScenarioSpec:
    """A scenario by id (``chatgpt-2023``) or by path to a YAML file: parse only."""
    text = str(ref)
    if isinstance(ref, Path) or text.endswith((".yaml", ".yml")) or "/" in text:
        path = Path(ref)
    else:
        known = scenario_ids()
        if text not in known:
            raise UnknownIdError(unknown_id_message("scenario", text, known))
        path = SCENARIO_DIR / f"{text}.yaml"
    return scenario_from_dict(load_yaml(path, what="scenario"), where=str(path))
