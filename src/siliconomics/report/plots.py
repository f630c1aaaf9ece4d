"""Report plots (matplotlib, Agg), each returned as PNG bytes to embed as base64."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from siliconomics.economics.study import StudyResult


def _png(fig: object) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buf.getvalue()


def cost_per_query(r: StudyResult) -> bytes:
    """Bar chart: cost per query [cents] by option, stacked by cost category."""
    ids = [o.id for o in r.scenario.options]
    cats = sorted({c for i in ids for c in r.unit_costs[i].breakdown_usd_per_day})
    fig, ax = plt.subplots(figsize=(9, 4))
    bottom = np.zeros(len(ids))
    qpd = r.scenario.queries_per_day
    for cat in cats:
        vals = np.array([r.unit_costs[i].breakdown_usd_per_day.get(cat, 0.0) / qpd * 100
                         for i in ids])
        ax.bar(ids, vals, bottom=bottom, label=cat)
        bottom += vals
    for x, v in enumerate(bottom):
        ax.text(x, v, f"{v:.3f}", ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("cost per query [cents]")
    ax.set_title(f"Cost per query by option ({r.scenario.id}, year-0 demand)")
    ax.legend(fontsize=8)
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    return _png(fig)


def npv_distributions(r: StudyResult) -> bytes:
    """Histograms of NPV [USD bn] per option over the Monte Carlo draws."""
    fig, ax = plt.subplots(figsize=(9, 4))
    allv = np.concatenate([v for v in r.strategy.npv_usd.values()]) / 1e9
    lo, hi = np.percentile(allv, [1, 99])
    bins = [float(x) for x in np.linspace(lo, hi, 60)]
    for k, v in r.strategy.npv_usd.items():
        ax.hist(v / 1e9, bins=bins, histtype="step", linewidth=1.6,
                label=f"{k} (P best {r.strategy.prob_best[k]:.0%})")
    ax.set_xlabel("NPV of costs over the horizon [USD bn] (higher is better)")
    ax.set_ylabel("draws")
    ax.set_title(f"NPV distributions ({r.strategy.draws:,} draws, seed {r.strategy.seed})")
    ax.legend(fontsize=8)
    return _png(fig)


def tornado_chart(r: StudyResult) -> bytes:
    """Tornado: NPV difference of the top two options as each input goes low -> high."""
    bars = list(reversed(r.tornado))
    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(bars), 3) + 1.2))
    base = r.tornado_base_usd / 1e9
    for y, b in enumerate(bars):
        lo, hi = b.metric_at_low_usd / 1e9, b.metric_at_high_usd / 1e9
        ax.barh(y, lo - base, left=base, color="tab:blue")
        ax.barh(y, hi - base, left=base, color="tab:orange")
    ax.axvline(base, color="k", linewidth=0.8)
    ax.set_yticks(range(len(bars)), [b.name for b in bars], fontsize=8)
    a, b2 = r.tornado_pair
    ax.set_xlabel(f"NPV({a}) - NPV({b2}) [USD bn]; blue = input low, orange = input high")
    ax.set_title("Which inputs matter most")
    return _png(fig)


def fleet_over_time(r: StudyResult) -> bytes:
    """Mean chips in service per quarter for each option (GPUs and custom chips)."""
    fig, ax = plt.subplots(figsize=(9, 4))
    quarters = np.arange(r.scenario.strategy.horizon_quarters) / 4.0
    for k, (gpu, custom) in r.strategy.mean_chips.items():
        line = ax.plot(quarters, gpu, label=f"{k} GPUs")[0]
        if np.any(custom > 0):
            ax.plot(quarters, custom, linestyle="--", color=line.get_color(),
                    label=f"{k} custom chips")
    ax.set_xlabel("years from start")
    ax.set_ylabel("chips (mean over draws)")
    ax.set_yscale("log")
    ax.set_title("Fleet over time")
    ax.legend(fontsize=7, ncol=2)
    return _png(fig)
