"""``siliconomics serve | capacity | fleet | trace generate``: the serving layer's commands."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from siliconomics.catalog.accelerator import Dtype
from siliconomics.catalog.sourced import validation_message
from siliconomics.cli.common import console, err_console, print_json, print_pairs
from siliconomics.errors import SiliconomicsError
from siliconomics.inputs import check_output_path
from siliconomics.resolve import is_study_scenario, resolve_accelerator, resolve_fleet_scenario
from siliconomics.serving.capacity import (
    CapacityResult,
    candidate_deployments,
    max_rate_at_slo,
    search_deployments,
)
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.fleet import FleetResult, load_fleet_scenario, size_fleet
from siliconomics.serving.metrics import ServingMetrics, summarize
from siliconomics.serving.replica import run_replica
from siliconomics.serving.sim import SchedulerConfig, SimResult
from siliconomics.serving.traffic import (
    AZURE_CONV_INPUT,
    AZURE_CONV_OUTPUT,
    MAX_CAPACITY_REQUESTS,
    MAX_GENERATED_REQUESTS,
    MAX_SIMULATED_REQUESTS,
    LengthDist,
    Traffic,
    load_trace,
    offline_requests,
    synthetic_requests,
    write_trace,
)

trace_app = typer.Typer(help="Request traces for the serving simulator.", no_args_is_help=True)

Model = Annotated[str, typer.Option("--model", help="Model catalog id or path.")]
Hardware = Annotated[str, typer.Option("--hardware", help="Accelerator catalog id or path.")]
Tp = Annotated[int, typer.Option("--tp", help="Tensor-parallel degree (chips).")]
Pp = Annotated[int, typer.Option("--pp", help="Pipeline stages.")]
Ep = Annotated[int, typer.Option("--ep", help="Expert-parallel degree, MoE models (1 or --tp).")]
DEFAULT_DTYPE = "bf16"
"""Default weight and KV dtype, as ``predict``: every chip in the catalog runs bf16 natively
and published weights ship in it; 8-bit formats are an accuracy trade-off the user opts into."""
DtypeOpt = Annotated[str, typer.Option("--dtype", help="Weight dtype (bf16, fp8, int8, ...).")]
KvDtype = Annotated[str, typer.Option("--kv-dtype", help="KV cache dtype.")]
MaxBatch = Annotated[int, typer.Option("--max-batch", help="Max sequences per step.")]
Budget = Annotated[int, typer.Option("--token-budget", help="Max tokens per step.")]
NoChunk = Annotated[bool, typer.Option("--no-chunked-prefill", help="Whole prompts only.")]
Disagg = Annotated[bool, typer.Option("--disaggregated", help="Separate prefill/decode pools.")]
PreInst = Annotated[int, typer.Option("--prefill-instances")]
DecInst = Annotated[int, typer.Option("--decode-instances")]
SloTtft = Annotated[float, typer.Option("--slo-ttft-s", help="p99 TTFT target [s].")]
SloTpot = Annotated[float, typer.Option("--slo-tpot-s", help="p99 TPOT target [s].")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed (runs are reproducible).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
PlotOpt = Annotated[Path | None, typer.Option("--plot", help="Write a PNG plot here.")]
InTok = Annotated[int | None, typer.Option("--input-tokens", help="Fixed prompt length.")]
OutTok = Annotated[int | None, typer.Option("--output-tokens",
                                            help="Fixed answer length.")]
NReq = Annotated[int, typer.Option(
    "--requests", help=f"Requests to simulate (at most {MAX_SIMULATED_REQUESTS:,}).")]
CapReq = Annotated[int, typer.Option(
    "--requests", help=f"Requests per bisection step (at most {MAX_CAPACITY_REQUESTS:,}).")]
GenReq = Annotated[int, typer.Option(
    "--requests", help=f"Requests to write (at most {MAX_GENERATED_REQUESTS:,}).")]
StackFlag = Annotated[str, typer.Option(
    "--stack", help="Software stack: 'auto' (the chip vendor's default, e.g. tensorrt-llm, "
    "vllm-rocm), a stack id (inhouse@0.3 for a maturity) or a stack YAML.")]
CalibrationFlag = Annotated[Path | None, typer.Option(
    "--calibration", help="Kernel calibration YAML (default: the shipped H100 fit).")]


def _at_least_one(**options: int | None) -> None:
    """Whole-number options that must be >= 1 (``requests=0`` -> ``--requests``)."""
    for name, value in options.items():
        if value is not None and value < 1:
            flag = "--" + name.replace("_", "-")
            raise SiliconomicsError(f"{flag} must be a whole number >= 1, got {value}")


def _at_most(flag: str, value: int, limit: int, why: str) -> None:
    if value > limit:
        raise SiliconomicsError(f"{flag} {value:,} exceeds the limit of {limit:,} ({why})")


def _seed(seed: int | None) -> None:
    if seed is not None and seed < 0:
        raise SiliconomicsError(f"--seed must be a whole number >= 0, got {seed}")


def _slo(ttft_s: float, tpot_s: float) -> Slo:
    if not (ttft_s > 0 and math.isfinite(ttft_s)):
        raise SiliconomicsError(f"--slo-ttft-s must be a finite number > 0 (seconds), got {ttft_s}")
    if not (tpot_s > 0 and math.isfinite(tpot_s)):
        raise SiliconomicsError(f"--slo-tpot-s must be a finite number > 0 (seconds), got {tpot_s}")
    return Slo(ttft_s=ttft_s, tpot_s=tpot_s)


def _plot_target(plot: Path | None) -> None:
    """Refuse a plot path that cannot be written, before any simulation runs."""
    if plot is not None:
        check_output_path(plot, what="--plot")


def _warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False,
                      soft_wrap=True)


def _sec(value: float) -> str:
    """A latency [s] for a table; n/a when undefined (never 'nan')."""
    return f"{value:.3f}" if math.isfinite(value) else "n/a"


def _save(fig: Any, path: Path) -> None:
    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise SiliconomicsError(f"--plot {path}: cannot write ({exc.strerror})") from None


def _dtype(name: str, option: str) -> Dtype:
    from siliconomics.catalog.accelerator import DTYPES

    if name not in DTYPES:
        raise SiliconomicsError(f"{option} '{name}' is not a dtype; valid: {', '.join(DTYPES)}")
    return name


def _deployment(model: str, hardware: str, tp: int, pp: int, dtype: str, kv_dtype: str,
                max_batch: int, token_budget: int, no_chunk: bool, disagg: bool,
                pre: int, dec: int, ep: int = 1) -> Deployment:
    _at_least_one(tp=tp, pp=pp, ep=ep, max_batch=max_batch, token_budget=token_budget,
                  prefill_instances=pre, decode_instances=dec)
    weights, kv = _dtype(dtype, "--dtype"), _dtype(kv_dtype, "--kv-dtype")
    try:
        scheduler = SchedulerConfig(max_batch=max_batch, token_budget=token_budget,
                                    chunked_prefill=not no_chunk)
        return Deployment(
            model=model, hardware=hardware, tp=tp, pp=pp, ep=ep, weight_dtype=weights, kv_dtype=kv,
            scheduler=scheduler, mode="disaggregated" if disagg else "aggregated",
            prefill_instances=pre, decode_instances=dec)
    except ValidationError as exc:
        raise SiliconomicsError(validation_message("options", exc).replace(
            "field '", "option '--").replace("_", "-")) from None


def _software(dep: Deployment, stack: str | None, calibration: Path | None) -> Deployment:
    """``--stack``/``--calibration`` resolved once into objects on the deployment (i10)."""
    from siliconomics.cli.perf_cmds import cli_stack, load_cli_calibration, warn_scaleup

    chip = resolve_accelerator(dep.hardware)
    warn_scaleup(chip, dep.tp)
    update: dict[str, Any] = {}
    if stack is not None:
        update["stack"] = cli_stack(stack, chip)
    if calibration is not None:
        update["calibration"] = load_cli_calibration(calibration, chip)
    return dep.model_copy(update=update) if update else dep


def _lengths(input_tokens: int | None, output_tokens: int | None) -> tuple[LengthDist, LengthDist]:
    inp = (LengthDist(kind="fixed", median=input_tokens) if input_tokens else AZURE_CONV_INPUT)
    out = (LengthDist(kind="fixed", median=output_tokens) if output_tokens
           else AZURE_CONV_OUTPUT)
    return inp, out


@contextmanager
def _progress(label: str, total: int | None, enabled: bool = True
              ) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr (never on stdout, which carries the JSON)."""
    if not enabled:
        yield lambda done, tot: None
        return
    bar = Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), console=err_console, transient=True)
    with bar:
        task = bar.add_task(label, total=total)

        def update(done: int, tot: int) -> None:
            bar.update(task, completed=done, total=tot or None)

        yield update


def _latency_dict(m: ServingMetrics) -> dict[str, Any]:
    def pct(p: Any) -> dict[str, float]:
        return {"mean": p.mean, "p50": p.p50, "p90": p.p90, "p99": p.p99}

    return {"ttft_s": pct(m.ttft_s), "tpot_s": pct(m.tpot_s), "e2e_s": pct(m.e2e_s),
            "queue_s": pct(m.queue_s)}


def _plot_cdfs(result: SimResult, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, values, name in ((axes[0], result.ttft_s, "TTFT [s]"),
                             (axes[1], result.tpot_s, "TPOT [s/token]")):
        v = np.sort(values[np.isfinite(values)])
        ax.plot(v, np.arange(1, len(v) + 1) / max(len(v), 1))
        ax.set_xlabel(name)
        ax.set_ylabel("fraction of requests")
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def serve(
    model: Model, hardware: Hardware, tp: Tp = 1, pp: Pp = 1, ep: Ep = 1,
    dtype: DtypeOpt = DEFAULT_DTYPE, kv_dtype: KvDtype = DEFAULT_DTYPE,
    rate: Annotated[float | None, typer.Option("--rate", help="Poisson arrivals [req/s].")] = None,
    trace: Annotated[Path | None, typer.Option("--trace", help="CSV or JSONL trace.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="All requests at t = 0.")] = False,
    requests: NReq = 2000, input_tokens: InTok = None, output_tokens: OutTok = None,
    max_batch: MaxBatch = 256, token_budget: Budget = 8192, no_chunked_prefill: NoChunk = False,
    disaggregated: Disagg = False, prefill_instances: PreInst = 1, decode_instances: DecInst = 1,
    slo_ttft_s: SloTtft = 2.0, slo_tpot_s: SloTpot = 0.1, seed: Seed = 0,
    as_json: JsonFlag = False, plot: PlotOpt = None, stack: StackFlag = "auto",
    calibration: CalibrationFlag = None,
) -> None:
    """Simulate one replica serving a load: a Poisson rate, a trace, or an offline batch."""
    _at_least_one(requests=requests, input_tokens=input_tokens, output_tokens=output_tokens)
    _at_most("--requests", requests, MAX_SIMULATED_REQUESTS, "about a minute of simulation; "
             "size a day of traffic with 'fleet'")
    _seed(seed)
    slo = _slo(slo_ttft_s, slo_tpot_s)
    _plot_target(plot)
    modes = sum([rate is not None, trace is not None, offline])
    if modes != 1:
        raise SiliconomicsError(f"give exactly one of --rate, --trace, --offline (got {modes})")
    if trace is not None:
        req = load_trace(trace, limit=requests, on_warning=_warn)
    elif offline:
        req = offline_requests(requests, input_tokens or 1000, output_tokens or 1000)
    else:
        if rate is None or not rate > 0:
            raise SiliconomicsError(f"--rate must be > 0, got {rate}")
        inp, out = _lengths(input_tokens, output_tokens)
        req = synthetic_requests(rate, requests, inp, out, np.random.default_rng(seed))
    dep = _deployment(model, hardware, tp, pp, dtype, kv_dtype, max_batch, token_budget,
                      no_chunked_prefill, disaggregated, prefill_instances, decode_instances, ep)
    dep = _software(dep, stack, calibration)
    step = dep.step_model()
    with _progress("simulating", None, enabled=not as_json) as _:
        result = run_replica(dep, req, step)
    metrics = summarize(result, warmup_frac=0.0 if offline else 0.1)
    chips = dep.chips(step)
    meets = slo.met_by(metrics.ttft_s.p99, metrics.tpot_s.p99)
    tpot_undefined = not math.isfinite(metrics.tpot_s.p99)
    if tpot_undefined:
        _warn("TPOT is undefined: no measured answer is longer than 1 token, so the SLO is "
              "judged on TTFT only")
    data: dict[str, Any] = {
        "deployment": dep.model_dump(mode="json"), "chips": chips,
        "mode": "offline" if offline else ("trace" if trace else "poisson"),
        "requests": len(req), "duration_s": metrics.window_s,
        "throughput": {"output_tokens_s": metrics.output_tokens_s,
                       "input_tokens_s": metrics.input_tokens_s,
                       "requests_s": metrics.requests_s,
                       "output_tokens_s_per_chip": metrics.output_tokens_s / chips},
        "latency": _latency_dict(metrics),
        "slo": slo.model_dump(mode="json"), "meets_slo": meets,
        "preemptions": metrics.preemptions, "step_model_error_frac": metrics.step_error_frac,
    }
    if req.attribution:
        data["attribution"] = req.attribution
    if plot is not None:
        _plot_cdfs(result, plot, dep.label() + (f"\n{req.attribution}" if req.attribution else ""))
        data["plot"] = str(plot)
    if as_json:
        print_json(data)
        return
    rows = [("chips", str(chips)),
            ("output tokens/s", f"{metrics.output_tokens_s:,.0f}"),
            ("output tokens/s per chip", f"{metrics.output_tokens_s / chips:,.0f}"),
            ("requests/s", f"{metrics.requests_s:,.2f}")]
    rows += [(f"{name} p50 / p99 [s]", f"{_sec(p.p50)} / {_sec(p.p99)}")
             for name, p in (("TTFT", metrics.ttft_s), ("TPOT", metrics.tpot_s),
                             ("e2e", metrics.e2e_s), ("queue", metrics.queue_s))]
    rows += [("meets SLO", ("yes" if meets else "no") + (" (TTFT only)" if tpot_undefined else "")),
             ("preemptions", str(metrics.preemptions))]
    print_pairs(f"{dep.label()} — {data['mode']}, {len(req)} requests", rows, ("metric", "value"))
    if req.attribution:
        console.print(f"Data: {req.attribution}")


def _capacity_dict(c: CapacityResult) -> dict[str, Any]:
    return {"deployment": c.deployment.model_dump(mode="json"), "label": c.deployment.label(),
            "chips": c.chips, "rate_per_s": c.rate_per_s,
            "throughput": {"requests_s": c.rate_per_s, "output_tokens_s": c.output_tokens_s,
                           "output_tokens_s_per_chip": c.output_tokens_s / c.chips},
            "chip_hours_per_million_tokens": c.chip_hours_per_million_tokens,
            "latency_at_capacity": {"ttft_p99_s": c.ttft_s, "tpot_p99_s": c.tpot_s},
            "step_model_error_frac": c.step_error_frac}


def _plot_capacity(c: CapacityResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    checks = sorted(c.checks, key=lambda k: k.rate_per_s)
    rates = [k.rate_per_s for k in checks]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(rates, [k.ttft_s for k in checks], "o-", label="p99 TTFT [s]")
    ax.plot(rates, [k.tpot_s * 10 for k in checks], "s-", label="p99 TPOT x10 [s]")
    ax.axvline(c.rate_per_s, color="k", ls="--", label=f"capacity {c.rate_per_s:.3g} req/s")
    ax.set_xlabel("arrival rate [requests/s]")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title(c.deployment.label(), fontsize=8)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def capacity(
    model: Model, hardware: Hardware, tp: Tp = 1, pp: Pp = 1, ep: Ep = 1,
    dtype: DtypeOpt = DEFAULT_DTYPE, kv_dtype: KvDtype = DEFAULT_DTYPE,
    input_tokens: InTok = None, output_tokens: OutTok = None,
    max_batch: MaxBatch = 256, token_budget: Budget = 8192, no_chunked_prefill: NoChunk = False,
    disaggregated: Disagg = False, prefill_instances: PreInst = 1, decode_instances: DecInst = 1,
    slo_ttft_s: SloTtft = 2.0, slo_tpot_s: SloTpot = 0.1, requests: CapReq = 3000,
    search: Annotated[bool, typer.Option("--search", help="Search tp, batch, budget, "
                                         "aggregated/disaggregated for the cheapest.")] = False,
    seed: Seed = 0, as_json: JsonFlag = False, plot: PlotOpt = None, stack: StackFlag = "auto",
    calibration: CalibrationFlag = None,
) -> None:
    """Highest request rate one replica sustains at the p99 TTFT/TPOT SLO (or --search)."""
    _at_least_one(requests=requests, input_tokens=input_tokens, output_tokens=output_tokens)
    _at_most("--requests", requests, MAX_CAPACITY_REQUESTS, "each bisection step simulates "
             "them all")
    _seed(seed)
    slo = _slo(slo_ttft_s, slo_tpot_s)
    _plot_target(plot)
    inp, out = _lengths(input_tokens, output_tokens)
    traffic = Traffic(daily_users=1, queries_per_user_per_day=1, input_tokens=inp,
                      output_tokens=out)
    dep = _deployment(model, hardware, tp, pp, dtype, kv_dtype, max_batch, token_budget,
                      no_chunked_prefill, disaggregated, prefill_instances, decode_instances, ep)
    dep = _software(dep, stack, calibration)
    data: dict[str, Any]
    if search:
        cands = candidate_deployments(dep)
        with _progress("searching", len(cands), enabled=True) as update:
            found = search_deployments(cands, traffic, slo, seed=seed,
                                       n_requests=min(requests, 2000), progress=update)
        best = found.best
        data = {"best": _capacity_dict(best), "slo": slo.model_dump(mode="json"),
                "candidates": [_capacity_dict(r) for r in found.results],
                "unreachable": len(found.unreachable)}
    else:
        step = dep.step_model()
        with _progress("bisecting", None, enabled=True) as update:
            best = max_rate_at_slo(dep, traffic, slo, seed=seed, n_requests=requests,
                                   step=step, progress=update)
        data = _capacity_dict(best) | {"slo": slo.model_dump(mode="json")}
    if plot is not None:
        _plot_capacity(best, plot)
        data["plot"] = str(plot)
    if as_json:
        print_json(data)
        return
    console.print(best.deployment.label(), style="bold")
    console.print(f"capacity at p99 TTFT <= {slo.ttft_s:g} s, TPOT <= {slo.tpot_s:g} s: "
                  f"{best.rate_per_s:.3g} req/s = {best.output_tokens_s:,.0f} output tokens/s "
                  f"on {best.chips} chips ({best.chip_hours_per_million_tokens:.3g} chip-h per "
                  f"million output tokens)")


def fleet(
    scenario: Annotated[str, typer.Option("--scenario", help="Fleet scenario id (e.g. "
                                          "chat-llama3-70b-h100) or YAML (traffic, deployment, "
                                          "slo), or a study scenario id (e.g. chatgpt-2023: "
                                          "the fleet of each option it sizes).")],
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    as_json: JsonFlag = False,
    stack: Annotated[str | None, typer.Option(
        "--stack", help="Software stack, overriding the scenario's deployment.stack: 'auto', "
        "a stack id or a stack YAML.")] = None,
    calibration: CalibrationFlag = None,
) -> None:
    """Chips and replicas a daily load needs at its peak hour within the SLO."""
    if is_study_scenario(scenario):
        if stack is not None or calibration is not None or seed is not None:
            raise SiliconomicsError(f"--stack, --calibration and --seed apply to a fleet "
                                    f"scenario; study scenario '{scenario}' sets its own")
        _study_fleets(scenario, as_json)
        return
    sc = load_fleet_scenario(resolve_fleet_scenario(scenario))
    traffic, dep = sc.traffic, _software(sc.deployment, stack, calibration)
    if seed is not None and seed < 0:
        raise SiliconomicsError(f"--seed must be >= 0, got {seed}")
    with _progress("sizing", None, enabled=True) as update:
        result: FleetResult = size_fleet(traffic, dep, sc.slo,
                                         seed if seed is not None else sc.seed,
                                         headroom_frac=sc.headroom_frac, progress=update)
    data = result.to_dict()
    if as_json:
        print_json(data)
        return
    rows = [
        ("peak / mean rate [req/s]", f"{result.peak_rate_per_s:,.1f} / {result.mean_rate_per_s:,.1f}"),
        ("replica capacity [req/s]", f"{result.replica_capacity_per_s:.3g} ± "
                                     f"{result.replica_capacity_std_per_s:.2g}"),
        ("replicas (range)", f"{result.replicas:,} ({result.replicas_low:,}–{result.replicas_high:,})"),
        ("chips", f"{result.chips:,}"),
        ("utilisation over the day", f"{result.utilisation_frac:.1%}"),
        ("chip-hours/day (static, autoscaled)",
         f"{result.chip_hours_per_day:,.0f} / {result.chip_hours_per_day_autoscaled:,.0f}"),
        ("chip-h per million output tokens", f"{result.chip_hours_per_million_tokens:.3g}"),
        ("sampled p99 TTFT / TPOT [s]", f"{result.sample_ttft_p99_s[0]:.3f} / "
                                        f"{result.sample_tpot_p99_s[0]:.4f}"),
    ]
    print_pairs(f"Fleet for {traffic.queries_per_day:,.0f} queries/day — {dep.label()}", rows)


def _study_fleets(scenario_id: str, as_json: bool) -> None:
    """The fleets a study scenario sizes with the serving layer, one per option (the same
    sizing the study runs, shared through the fleet cache)."""
    from siliconomics.cli.common import Column, fmt, print_table
    from siliconomics.economics.study import as_scenario

    with _progress("sizing", None, enabled=not as_json):
        s = as_scenario(scenario_id)
    fleets = {o.id: o.serving for o in s.options if o.serving}
    if not fleets:
        methods = sorted({o.capacity_method for o in s.options})
        raise SiliconomicsError(f"study scenario '{scenario_id}' sizes no fleet with the serving "
                                f"layer (its capacity methods: {', '.join(methods)})")
    if as_json:
        print_json({"scenario": s.id, "queries_per_day": s.queries_per_day, "fleets": fleets})
        return
    columns = [Column("option", "id"), Column("replicas"), Column("chips\nat peak"),
               Column("utilisation\n%"), Column("chip-h\nper day"), Column("deployment", "text")]
    print_table(f"{s.name}: {s.queries_per_day:,.0f} queries/day", columns, [
        (option, fmt(f["replicas"]), fmt(f["chips_at_peak"]),
         fmt(f["utilisation_frac"], 0.01, 1), fmt(f["chip_hours_per_day"]), str(f["deployment"]))
        for option, f in fleets.items()])


@trace_app.command("generate")
def trace_generate(
    output: Annotated[Path, typer.Option("-o", "--output", help="File (.jsonl or .csv).")],
    rate: Annotated[float, typer.Option("--rate", help="Mean arrival rate [req/s].")] = 5.0,
    requests: GenReq = 1000,
    arrival: Annotated[str, typer.Option("--arrival", help="poisson or gamma.")] = "poisson",
    cv: Annotated[float, typer.Option("--cv", help="Gamma gaps' coefficient of variation.")] = 1.0,
    input_median: Annotated[float, typer.Option("--input-median")] = AZURE_CONV_INPUT.median,
    input_sigma: Annotated[float, typer.Option("--input-sigma")] = AZURE_CONV_INPUT.sigma,
    output_median: Annotated[float, typer.Option("--output-median")] = AZURE_CONV_OUTPUT.median,
    output_sigma: Annotated[float, typer.Option("--output-sigma")] = AZURE_CONV_OUTPUT.sigma,
    seed: Seed = 0, as_json: JsonFlag = False,
) -> None:
    """Write a synthetic trace (lognormal lengths; defaults fitted to the Azure conv trace)."""
    _at_least_one(requests=requests)
    _at_most("--requests", requests, MAX_GENERATED_REQUESTS, "a ~0.6 GB file")
    _seed(seed)
    check_output_path(output, what="-o/--output")
    if arrival not in ("poisson", "gamma"):
        raise SiliconomicsError(f"--arrival must be poisson or gamma, got '{arrival}'")
    kind: Literal["poisson", "gamma"] = "poisson" if arrival == "poisson" else "gamma"
    try:
        inp = LengthDist(median=input_median, sigma=input_sigma)
        out = LengthDist(median=output_median, sigma=output_sigma)
    except ValidationError as exc:
        raise SiliconomicsError(validation_message("trace generate options", exc)) from None
    req = synthetic_requests(rate, requests, inp, out, np.random.default_rng(seed), kind, cv)
    path = write_trace(req, output)
    summary = {"path": str(path), "requests": len(req), "rate_per_s": req.rate_per_s,
               "mean_input_tokens": float(req.input_tokens.mean()),
               "mean_output_tokens": float(req.output_tokens.mean())}
    if as_json:
        print_json(summary)
    else:
        console.print(f"wrote {len(req)} requests to {path}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("capacity")(capacity)
    app.command("fleet")(fleet)
    app.add_typer(trace_app, name="trace")
