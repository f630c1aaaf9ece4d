"""``siliconomics measure``: time inference building blocks on this machine's accelerator.

Writes the ground-truth format of :mod:`siliconomics.measure.schema` (the same sections and
cases as ``shared/tools/gpu_groundtruth.py``) plus a ``models`` block describing each
end-to-end model, so ``siliconomics validate`` can predict those rows. PyTorch is an
optional extra and is imported only here, when a measurement runs.

Layers: :mod:`~siliconomics.measure.timing` (how one call is timed),
:mod:`~siliconomics.measure.cases` (what is measured), the section functions below (one per
section, each appending rows), and :func:`run_measurements`, which runs them in order.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siliconomics.errors import SiliconomicsError
from siliconomics.measure.cases import FULL, SMOKE, E2eModel, Plan
from siliconomics.measure.llama import LlamaDecoder
from siliconomics.measure.timing import n_buffers, time_calls

DEFAULT_L2_BYTES = 50 * 2**20
"""L2 size assumed when the device does not report one (H100: 50 MiB) [B]."""
MAX_KV_ROTATION_BYTES = 8e9
"""Cap on KV buffers allocated for decode-attention rotation [B]."""

ProgressCallback = Callable[[str, int, int], None]
"""Called before each step with (step name, step index, number of steps)."""


def import_torch() -> Any:
    """PyTorch, or a one-line error saying how to install it."""
    try:
        import torch
    except ImportError:
        raise SiliconomicsError(
            "siliconomics measure needs PyTorch: pip install 'siliconomics[measure]'"
        ) from None
    return torch


@dataclass
class Run:
    """State of one measurement run: the device, its L2 size and the rows so far."""

    torch: Any
    device: str
    plan: Plan
    l2_bytes: int = DEFAULT_L2_BYTES
    results: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.results = {"meta": {}, "models": {}, "ceilings": {}, "gemm": [], "gemm_fp8": [],
                        "attn_prefill": [], "attn_decode": [], "elementwise": [], "e2e": [],
                        "errors": []}

    def time(self, step: Callable[..., Any], n_bufs: int = 1, target_ms: float = 30.0,
             replays: int = 7) -> float:
        return time_calls(self.torch, self.device, step, n_bufs, target_ms, replays)

    def error(self, what: str, exc: BaseException) -> None:
        self.results["errors"].append(f"{what}: {exc!r}"[:300])

    def free(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.empty_cache()

    @property
    def bf16(self) -> Any:
        return self.torch.bfloat16


def choose_device(torch: Any, smoke: bool) -> str:
    """'cpu' for a smoke run, else 'cuda'; a full run without a GPU is refused at once (it
    would time the full sizes on the CPU for hours and measure nothing the models use)."""
    if smoke:
        return "cpu"
    if not torch.cuda.is_available():
        build = getattr(getattr(torch, "version", None), "cuda", None)
        why = "this PyTorch is built without CUDA" if build is None else (
            f"PyTorch {torch.__version__} sees no CUDA device")
        raise SiliconomicsError(
            f"no GPU found ({why}); 'siliconomics measure' times a GPU. To check the harness "
            f"on the CPU, run it with --smoke")
    return "cuda"


def measure_meta(run: Run) -> None:
    """Device, software and cache size; sets the L2 size used for buffer rotation."""
    torch = run.torch
    meta: dict[str, Any] = {"torch": torch.__version__, "device": run.device,
                            "smoke": run.plan.smoke, "harness": "siliconomics measure"}
    if run.device == "cuda":
        props = torch.cuda.get_device_properties(0)
        l2 = getattr(props, "L2_cache_size", None)
        meta.update(name=props.name, sms=props.multi_processor_count,
                    total_mem=props.total_memory, l2=l2, cuda=torch.version.cuda,
                    cc=f"{props.major}.{props.minor}", nvidia_smi=_nvidia_smi())
        run.l2_bytes = int(l2 or DEFAULT_L2_BYTES)
    else:
        meta.update(name=platform.processor() or platform.machine() or "cpu")
    run.results["meta"] = meta


def _nvidia_smi() -> str:
    query = "name,driver_version,clocks.max.sm,clocks.max.mem,power.limit,memory.total"
    try:
        return subprocess.run(["nvidia-smi", f"--query-gpu={query}", "--format=csv"],
                              capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return repr(exc)


def measure_ceilings(run: Run) -> None:
    """Copy bandwidth [GB/s, read + write] and square matmul rate [TFLOP/s]."""
    torch, bf16, dev = run.torch, run.bf16, run.device
    ceilings: dict[str, float] = {}
    src = torch.empty(run.plan.copy_elements, dtype=bf16, device=dev).normal_()
    dst = torch.empty_like(src)
    ms = run.time(lambda i: dst.copy_(src), target_ms=50)
    ceilings["copy_GBps_rw"] = 2 * src.numel() * src.element_size() / ms / 1e6
    src = dst = None  # free before the matmul
    size = run.plan.mm_size
    a = torch.randn(size, size, dtype=bf16, device=dev)
    b = torch.randn(size, size, dtype=bf16, device=dev)
    ms = run.time(lambda i: torch.mm(a, b), target_ms=100)
    ceilings["bf16_mm_TFLOPs"] = 2 * size**3 / ms / 1e9
    if dev == "cuda":
        try:
            a8 = a.to(torch.float8_e4m3fn)
            b8 = b.t().contiguous().to(torch.float8_e4m3fn).t()  # column-major, as cuBLASLt wants
            one = torch.ones((), device=dev)
            ms = run.time(lambda i: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one,
                                                     out_dtype=bf16), target_ms=100)
            ceilings["fp8_mm_TFLOPs"] = 2 * size**3 / ms / 1e9
        except Exception as exc:  # a GPU without fp8 tensor cores
            run.error("fp8 ceiling", exc)
    run.results["ceilings"] = ceilings


def measure_gemm(run: Run) -> None:
    """bf16 (and on CUDA fp8) ``x @ W.T`` over the Llama projection shapes and M values."""
    torch, bf16, dev = run.torch, run.bf16, run.device
    for shape in run.plan.gemm_shapes:
        K, N = shape.K, shape.N
        nb = n_buffers(K * N * 2, run.l2_bytes)
        weights = [torch.randn(N, K, dtype=bf16, device=dev) * 0.02 for _ in range(nb)]
        for M in run.plan.gemm_m:
            x = torch.randn(M, K, dtype=bf16, device=dev)
            out = torch.empty(M, N, dtype=bf16, device=dev)
            try:
                ms = run.time(lambda i, x=x, out=out, ws=weights:
                              torch.matmul(x, ws[i].t(), out=out), nb)
                run.results["gemm"].append({"name": shape.name, "M": M, "K": K, "N": N,
                                            "dtype": "bf16", "ms": ms, "weight_buffers": nb})
            except Exception as exc:
                run.error(f"gemm {shape.name} M={M}", exc)
        if dev == "cuda" and run.plan.fp8_gemm_m:
            _fp8_gemm(run, shape.name, K, N, weights)
        weights = []
        run.free()


def _fp8_gemm(run: Run, name: str, K: int, N: int, weights: list[Any]) -> None:
    torch = run.torch
    try:
        w8 = [w.to(torch.float8_e4m3fn) for w in weights]  # (N, K) row-major -> .t() col-major
        one = torch.ones((), device=run.device)
        for M in run.plan.fp8_gemm_m:
            x8 = torch.randn(M, K, dtype=run.bf16, device=run.device).to(torch.float8_e4m3fn)
            ms = run.time(lambda i, x8=x8: torch._scaled_mm(x8, w8[i].t(), scale_a=one, scale_b=one,
                                                     out_dtype=run.bf16), len(w8))
            run.results["gemm_fp8"].append({"name": name, "M": M, "K": K, "N": N,
                                            "dtype": "fp8e4m3", "ms": ms,
                                            "weight_buffers": len(w8)})
    except Exception as exc:
        run.error(f"fp8 gemm {name}", exc)


def measure_attention(run: Run) -> None:
    """Causal prefill attention and one-token GQA decode over rotated KV caches."""
    torch, bf16, dev, hd = run.torch, run.bf16, run.device, run.plan.head_dim
    sdpa = torch.nn.functional.scaled_dot_product_attention
    if dev == "cuda":
        _sdpa_backends(run)
    for case in run.plan.attn_prefill:
        q = torch.randn(case.B, case.hq, case.tokens, hd, dtype=bf16, device=dev)
        k = torch.randn(case.B, case.hkv, case.tokens, hd, dtype=bf16, device=dev)
        v = torch.randn_like(k)
        try:
            ms = run.time(lambda i, q=q, k=k, v=v: sdpa(q, k, v, is_causal=True, enable_gqa=True))
            run.results["attn_prefill"].append({"B": case.B, "S": case.tokens, "hq": case.hq,
                                                "hkv": case.hkv, "hd": hd, "causal": True,
                                                "ms": ms})
        except Exception as exc:
            run.error(f"prefill attn {case.B},{case.tokens}", exc)
    for case in run.plan.attn_decode:
        kv_bytes = 2 * case.B * case.hkv * case.tokens * hd * 2
        nb = min(n_buffers(kv_bytes, run.l2_bytes), max(1, int(MAX_KV_ROTATION_BYTES // kv_bytes)))
        q = torch.randn(case.B, case.hq, 1, hd, dtype=bf16, device=dev)
        shape = (case.B, case.hkv, case.tokens, hd)
        ks = [torch.randn(*shape, dtype=bf16, device=dev) for _ in range(nb)]
        vs = [torch.randn(*shape, dtype=bf16, device=dev) for _ in range(nb)]
        try:
            ms = run.time(lambda i, q=q, ks=ks, vs=vs: sdpa(q, ks[i], vs[i], enable_gqa=True), nb)
            run.results["attn_decode"].append({"B": case.B, "L": case.tokens, "hq": case.hq,
                                               "hkv": case.hkv, "hd": hd, "ms": ms,
                                               "kv_buffers": nb})
        except Exception as exc:
            run.error(f"decode attn {case.B},{case.tokens}", exc)
        ks = vs = []
        run.free()


def _sdpa_backends(run: Run) -> None:
    """Which attention kernels exist here and how fast each is (prefill and decode probes)."""
    torch, bf16, dev = run.torch, run.bf16, run.device
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError as exc:
        run.error("sdpa backend probe", exc)
        return
    rows = run.results.setdefault("sdpa_backends", [])
    backends = (SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                SDPBackend.CUDNN_ATTENTION, SDPBackend.MATH)
    for phase, (B, S, q_len) in (("prefill", (1, 2048, 2048)), ("decode", (32, 2048, 1))):
        q = torch.randn(B, 32, q_len, run.plan.head_dim, dtype=bf16, device=dev)
        k = torch.randn(B, 8, S, run.plan.head_dim, dtype=bf16, device=dev)
        v = torch.randn_like(k)
        for backend in backends:
            try:
                with sdpa_kernel(backend):
                    ms = run.time(
                        lambda i, q=q, k=k, v=v, causal=q_len > 1:
                        torch.nn.functional.scaled_dot_product_attention(
                            q, k, v, is_causal=causal, enable_gqa=True))
                rows.append({"phase": phase, "backend": str(backend), "B": B, "S": S, "ms": ms})
            except Exception as exc:
                rows.append({"phase": phase, "backend": str(backend), "error": repr(exc)[:200]})


def measure_elementwise(run: Run) -> None:
    """``rms_norm`` over T x H and ``silu(gate) * up`` over T x 2F -> T x F."""
    torch, bf16, dev = run.torch, run.bf16, run.device
    fn = torch.nn.functional
    for T in run.plan.elementwise_t:
        for H, F in run.plan.elementwise_hf:
            x = torch.randn(T, H, dtype=bf16, device=dev)
            w = torch.ones(H, dtype=bf16, device=dev)
            ms = run.time(lambda i, x=x, w=w, H=H: fn.rms_norm(x, (H,), w, 1e-5))
            run.results["elementwise"].append({"op": "rms_norm", "T": T, "H": H, "ms": ms})
            gu = torch.randn(T, 2 * F, dtype=bf16, device=dev)
            ms = run.time(lambda i, gu=gu, F=F: fn.silu(gu[:, :F]) * gu[:, F:])
            run.results["elementwise"].append({"op": "silu_mul", "T": T, "F": F, "ms": ms})


def measure_e2e(run: Run, model: E2eModel) -> None:
    """Eager prefill (wall time, launch gaps included) and graph-replayed decode steps."""
    torch, dev = run.torch, run.device
    run.results["models"][model.tag] = model.spec()
    max_tokens = max([S for _, S in model.prefill] + [L for _, L in model.decode])
    net = LlamaDecoder(torch, model, max_tokens, dev)
    with torch.inference_mode():
        for B, S in model.prefill:
            try:
                ms = _eager_ms(run, net, B, S)
                run.results["e2e"].append({"model": model.tag, "phase": "prefill", "B": B,
                                           "S": S, "ms": ms, "mode": "eager"})
            except Exception as exc:
                run.error(f"e2e {model.tag} prefill {B},{S}", exc)
            run.free()
        for B, L in model.decode:
            try:
                caches = net.new_cache(B, L, dev, random=True)
                ids = torch.randint(0, model.vocab, (B, 1), device=dev)
                pos = torch.tensor([L - 1], device=dev)
                ms = run.time(lambda i, ids=ids, pos=pos, caches=caches, L=L:
                              net.forward(ids, pos, caches, L), target_ms=20, replays=9)
                run.results["e2e"].append({"model": model.tag, "phase": "decode", "B": B,
                                           "L": L, "ms": ms,
                                           "mode": "cuda_graph" if dev == "cuda" else "eager"})
                caches = []
            except Exception as exc:
                run.error(f"e2e {model.tag} decode {B},{L}", exc)
            run.free()
    run.free()


def _eager_ms(run: Run, net: LlamaDecoder, B: int, S: int, warmup: int = 2,
              repeats: int = 5) -> float:
    """Median wall time of an eager forward over B x S tokens [ms], synchronised."""
    torch, dev = run.torch, run.device
    caches = net.new_cache(B, S, dev, random=False)
    ids = torch.randint(0, net.m.vocab, (B, S), device=dev)
    pos = torch.arange(S, device=dev)

    def sync() -> None:
        if dev == "cuda":
            torch.cuda.synchronize()

    for _ in range(warmup):
        net.forward(ids, pos, caches, S)
    sync()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        net.forward(ids, pos, caches, S)
        sync()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def _ceilings_again(run: Run) -> None:
    """Repeat the ceilings at the end; the first pass is kept as ``ceilings_first``."""
    run.results["ceilings_first"] = dict(run.results["ceilings"])
    measure_ceilings(run)


def measurement_steps(run: Run) -> list[tuple[str, Callable[[], None]]]:
    """The steps of a run, in order (the first ceilings pass also warms the device)."""
    steps: list[tuple[str, Callable[[], None]]] = [
        ("ceilings", lambda: measure_ceilings(run)),
        ("gemm", lambda: measure_gemm(run)),
        ("attention", lambda: measure_attention(run)),
        ("elementwise", lambda: measure_elementwise(run)),
    ]
    for model in run.plan.e2e:
        steps.append((f"e2e {model.tag}", lambda m=model: measure_e2e(run, m)))  # type: ignore[misc]
    steps.append(("ceilings again", lambda: _ceilings_again(run)))
    return steps


def run_measurements(smoke: bool = False, progress: ProgressCallback | None = None,
                     torch: Any = None) -> dict[str, Any]:
    """Run every step and return the measurement file's content (a JSON-ready dict).

    A step that fails is recorded in ``errors`` and the run goes on, as on a GPU an
    out-of-memory case must not lose the rows already measured.
    """
    torch = torch if torch is not None else import_torch()
    plan = SMOKE if smoke else FULL
    run = Run(torch=torch, device=choose_device(torch, smoke), plan=plan)
    started = time.perf_counter()
    measure_meta(run)
    steps = measurement_steps(run)
    for index, (name, step) in enumerate(steps):
        if progress is not None:
            progress(name, index, len(steps))
        try:
            step()
        except Exception as exc:
            run.error(name, exc)
    run.results["meta"]["elapsed_s"] = time.perf_counter() - started
    return run.results


def write_measurements(path: Path, results: dict[str, Any]) -> None:
    """Write the measurement file (JSON, one space indent like the shared ground truth)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=1, allow_nan=False), encoding="utf-8")
    except OSError as exc:
        raise SiliconomicsError(
            f"{path}: cannot write the measurement file ({exc.strerror})") from None
