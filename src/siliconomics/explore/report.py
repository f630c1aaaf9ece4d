"""What a search leaves on disk: ``result.json``, the best design per objective as design
files, and ``index.html`` with the Pareto fronts (matplotlib figures embedded as PNG)."""

from __future__ import annotations

import base64
import html
import io
import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from siliconomics.explore.evaluate import CandidateResult
from siliconomics.explore.run import OBJECTIVES, ExploreResult

LABELS = {
    "cost_per_million_tokens": "cost [USD per million output tokens]",
    "tpot_s": "p99 TPOT [s/token]",
    "power_w_per_token_s": "power per throughput [W per token/s = J/token]",
    "nre_usd": "NRE [USD]",
}


def cost_with_range(c: CandidateResult) -> str:
    """Cost per Mtok with its range at the unit cost's low and high cases, e.g.
    '1.94 (1.71-2.4)'."""
    return (f"{c.cost_per_million_tokens:.4g} ({c.cost_per_million_tokens_low:.3g}-"
            f"{c.cost_per_million_tokens_high:.3g})")


def result_dict(found: ExploreResult) -> dict[str, Any]:
    """A JSON-ready summary of a search."""
    return {
        "space": found.space.id,
        "objective": found.space.objective,
        "seed": found.seed,
        "screened": found.screened,
        "feasible": found.feasible,
        "best_screen_value": found.best_screen_value,
        "stage1_front": found.stage1_front,
        "candidates": [asdict(c) for c in found.candidates],
        "fronts": {k: [found.candidates[i].design_id for i in v] for k, v in found.fronts.items()},
        "best": {o: found.candidates[i].design_id for o, i in found.best.items()},
    }


def write_outputs(found: ExploreResult, out_dir: Path) -> dict[str, Path]:
    """Write result.json, best-<objective>.yaml and index.html into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for objective in OBJECTIVES:
        src = Path(found.best_result(objective).design_path)
        dst = out_dir / f"best-{objective}.yaml"
        shutil.copyfile(src, dst)
        paths[f"best-{objective}"] = dst
    result = out_dir / "result.json"
    result.write_text(json.dumps(result_dict(found), indent=2, default=float), encoding="utf-8")
    paths["result"] = result
    page = out_dir / "index.html"
    page.write_text(html_page(found), encoding="utf-8")
    paths["html"] = page
    return paths


def _figure(found: ExploreResult, x: str, y: str, front: tuple[int, ...]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [c for c in found.candidates if c.ok]
    fig, ax = plt.subplots(figsize=(6.0, 4.0), dpi=100)
    ax.scatter([getattr(c, x) for c in ok], [getattr(c, y) for c in ok], s=14, color="#9aa5b1",
               label="simulated designs")
    on = sorted((found.candidates[i] for i in front), key=lambda c: getattr(c, x))
    ax.plot([getattr(c, x) for c in on], [getattr(c, y) for c in on], "o-", color="#c2410c",
            label="Pareto front")
    ax.set_xlabel(LABELS[x])
    ax.set_ylabel(LABELS[y])
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def html_page(found: ExploreResult) -> str:
    """A small self-contained page: the fronts and the best design per objective."""
    pairs = [("cost_per_million_tokens", "tpot_s", "cost_tpot_power"),
             ("cost_per_million_tokens", "power_w_per_token_s", "cost_tpot_power"),
             ("cost_per_million_tokens", "nre_usd", "cost_nre")]
    images = "".join(
        f'<figure><img alt="{html.escape(LABELS[y])} vs {html.escape(LABELS[x])}" '
        f'src="data:image/png;base64,{_figure(found, x, y, found.fronts[f])}"></figure>'
        for x, y, f in pairs)
    rows = "".join(
        f"<tr><td>{html.escape(o)}</td><td>{html.escape(found.best_result(o).design_id)}</td>"
        f"<td>{html.escape(cost_with_range(found.best_result(o)))}</td>"
        f"<td>{found.best_result(o).tpot_s:.4g}</td>"
        f"<td>{found.best_result(o).power_w_per_token_s:.4g}</td>"
        f"<td>{found.best_result(o).nre_usd / 1e6:,.0f}</td>"
        f"<td>{found.best_result(o).chips_per_replica}</td></tr>" for o in OBJECTIVES)
    fronts = ", ".join(f"{k}: {len(v)} designs" for k, v in found.fronts.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>siliconomics explore: {html.escape(found.space.id)}</title>
<style>body{{font-family:sans-serif;max-width:1300px;margin:1em auto}}
figure{{display:inline-block;margin:0.5em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}</style></head>
<body><h1>Design search: {html.escape(found.space.id)}</h1>
<p>Workload {html.escape(found.space.workload.model)}; {found.screened:,} designs screened, {found.feasible:,}
feasible; {len(found.candidates)} simulated at the SLO (seed {found.seed}). Fronts: {html.escape(fronts)}.</p>
<table><tr><th>objective</th><th>best design</th><th>USD/Mtok (unit cost low-high)</th>
<th>p99 TPOT [s]</th><th>J/token</th><th>NRE [M USD]</th><th>chips/replica</th></tr>{rows}</table>
{images}
</body></html>
"""
