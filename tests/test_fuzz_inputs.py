"""Fuzzing the input boundary with Hypothesis: random bytes, random YAML/JSON structures and
random field values through every loader, and random argument lists through the commands
that read files or take size knobs. The assertion: a clean result or a one-line
:class:`SiliconomicsError` (exit 2 on the command line) -- never another exception, never a
hang, never a NaN in the output.

Each case is cheap (tiny files, a few simulated requests). The cases run per test:
``pytest tests/test_fuzz_inputs.py --hypothesis-show-statistics``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siliconomics.catalog.accelerator import load_accelerator_file
from siliconomics.catalog.index import DATA_DIR
from siliconomics.catalog.model_arch import load_hf_config, load_model_file
from siliconomics.errors import SiliconomicsError
from siliconomics.inputs import load_json, load_yaml
from siliconomics.measure.schema import load_measurements
from siliconomics.serving.fleet import load_fleet_scenario
from siliconomics.serving.traffic import load_trace
from siliconomics.silicon.design import load_design
from siliconomics.workload.params import parameter_counts

CASE_SECONDS = 60.0
"""A case running longer than this is a hang (issue 8's definition). The slowest legitimate
case takes ~0.5 s, but the first case of a worker also pays imports and JIT compilation,
which on a loaded 2-core machine took over 20 s once."""

FAST = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CLI_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                        suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def no_hang(seconds: float = CASE_SECONDS) -> Iterator[None]:
    def _alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"case ran longer than {seconds} s (a hang)")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _scratch(name: str, content: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    path = folder / name
    path.write_bytes(content)
    return path


def _finite(value: Any) -> None:
    """No NaN or infinity anywhere in a (nested) result."""
    if isinstance(value, float):
        assert math.isfinite(value), value
    elif isinstance(value, dict):
        for v in value.values():
            _finite(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _finite(v)


def _load_clean(loader: Callable[[Path], Any], path: Path) -> Any:
    """The loader's result, or None after a SiliconomicsError of one line naming the file."""
    with no_hang():
        try:
            return loader(path)
        except SiliconomicsError as exc:
            text = str(exc)
            assert "\n" not in text and text.strip(), text
            return None


# --- strategies ---------------------------------------------------------------------------------

scalars = (st.none() | st.booleans() | st.integers(-(10**12), 10**12)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12,
)
weird_values = (st.sampled_from([0, -1, -1e9, 1e300, 1e9, 0.5, "", "8192x", None, True, [],
                                 {}, "nan", ".inf", {"value": -1, "source": "fuzz"},
                                 {"value": 0, "source": "fuzz"},
                                 {"value": 1e30, "source": "fuzz"},
                                 {"low": 5, "high": 1, "source": "fuzz"}])
                | scalars)

LOADERS: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "hardware": ("h.yaml", load_accelerator_file),
    "model": ("m.yaml", load_model_file),
    "hf-config": ("config.json", load_hf_config),
    "design": ("d.yaml", load_design),
    "fleet": ("f.yaml", load_fleet_scenario),
    "measurements": ("m.json", load_measurements),
    "trace-csv": ("t.csv", load_trace),
    "trace-jsonl": ("t.jsonl", load_trace),
}


# --- random bytes and structures through every loader ---------------------------------------------


@pytest.mark.parametrize("kind", sorted(LOADERS))
@FAST
@given(content=st.binary(max_size=400))
def test_random_bytes_never_crash_a_loader(kind: str, content: bytes) -> None:
    name, loader = LOADERS[kind]
    _load_clean(loader, _scratch(name, content))


@pytest.mark.parametrize("kind", sorted(LOADERS))
@FAST
@given(data=structures)
def test_random_structures_never_crash_a_loader(kind: str, data: Any) -> None:
    name, loader = LOADERS[kind]
    text = json.dumps(data) if name.endswith((".json", ".jsonl")) else yaml.safe_dump(data)
    _load_clean(loader, _scratch(name, text.encode()))


@FAST
@given(data=structures, as_json=st.booleans())
def test_generic_readers_return_parsed_data_or_refuse(data: Any, as_json: bool) -> None:
    text = json.dumps(data) if as_json else yaml.safe_dump(data)
    path = _scratch("x.json" if as_json else "x.yaml", text.encode())
    with no_hang():
        try:
            got = (load_json if as_json else load_yaml)(path, what="file", expect="any")
        except SiliconomicsError as exc:
            # only NaN-free, in-limit data is accepted; dumps of ours contain neither problem
            raise AssertionError(f"valid {'JSON' if as_json else 'YAML'} refused: {exc}") from None
    assert got == data or not as_json  # YAML may retype keys (e.g. '1' vs 1) but JSON round-trips


# --- one field of a valid file set to a random value ----------------------------------------------

H100 = yaml.safe_load((DATA_DIR / "hardware" / "h100-sxm.yaml").read_text())
DESIGN = yaml.safe_load((DATA_DIR / "designs" / "inference-asic-v5e-like.yaml").read_text())
LLAMA_HF = {"model_type": "llama", "hidden_size": 512, "num_attention_heads": 8,
            "num_key_value_heads": 2, "num_hidden_layers": 4, "intermediate_size": 1024,
            "vocab_size": 1000, "max_position_embeddings": 2048}
QWEN_HF = {"model_type": "qwen2_moe", "hidden_size": 256, "intermediate_size": 512,
           "moe_intermediate_size": 64, "shared_expert_intermediate_size": 256,
           "num_experts": 8, "num_experts_per_tok": 2, "num_hidden_layers": 4,
           "num_attention_heads": 4, "vocab_size": 1000}


def _mutated(base: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(base))
    data[key] = value
    return data


@FAST
@given(key=st.sampled_from(sorted(H100)), value=weird_values)
def test_hardware_field_values(key: str, value: Any) -> None:
    accel = _load_clean(load_accelerator_file,
                        _scratch("h.yaml", yaml.safe_dump(_mutated(H100, key, value)).encode()))
    if accel is not None:
        _finite(accel.model_dump())
        assert accel.memory_bytes > 0 and accel.scaleup_domain_chips >= 1
        assert accel.price_usd is None or accel.price_usd.low > 0


@FAST
@given(key=st.sampled_from(sorted(DESIGN)), value=weird_values)
def test_design_field_values(key: str, value: Any) -> None:
    design = _load_clean(load_design,
                         _scratch("d.yaml", yaml.safe_dump(_mutated(DESIGN, key, value)).encode()))
    if design is not None:
        _finite(design.peak_flops_s())
        assert design.clock_mhz <= 10_000


@FAST
@given(base=st.sampled_from([LLAMA_HF, QWEN_HF]), key=st.sampled_from(
    sorted(set(LLAMA_HF) | set(QWEN_HF) | {"head_dim", "tie_word_embeddings", "mlp_only_layers",
                                           "decoder_sparse_step", "num_local_experts"})),
       value=weird_values)
def test_hf_config_field_values(base: dict[str, Any], key: str, value: Any) -> None:
    arch = _load_clean(load_hf_config,
                       _scratch("config.json", json.dumps(_mutated(base, key, value)).encode()))
    if arch is not None:
        counts = parameter_counts(arch)
        assert math.isfinite(counts.total) and counts.total > 0
        assert 0 < counts.active <= counts.total


@FAST
@given(rows=st.lists(st.tuples(st.one_of(st.floats(-10, 1e6), st.text(max_size=6)),
                               st.one_of(st.integers(-3, 10**9), st.text(max_size=5)),
                               st.one_of(st.integers(-3, 10**9), st.text(max_size=5))),
                     max_size=6),
       jsonl=st.booleans())
def test_trace_rows(rows: list[tuple[Any, Any, Any]], jsonl: bool) -> None:
    if jsonl:
        text = "".join(json.dumps({"arrival_time_s": t, "input_tokens": i, "output_tokens": o})
                       + "\n" for t, i, o in rows)
    else:
        text = "TIMESTAMP,ContextTokens,GeneratedTokens\n" + "".join(
            f"{t},{i},{o}\n" for t, i, o in rows)
    req = _load_clean(load_trace, _scratch("t.jsonl" if jsonl else "t.csv", text.encode()))
    if req is not None:
        assert len(req) >= 1 and req.output_tokens.min() >= 1 and req.input_tokens.min() >= 1


# --- command lines ------------------------------------------------------------------------------


def _run_cli(args: list[str]) -> tuple[int, str, str]:
    from siliconomics.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with no_hang(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


NAN = re.compile(r"\bnan\b|\binf\b", re.IGNORECASE)


def _check_cli(args: list[str]) -> None:
    code, out, err = _run_cli(args)
    assert "Traceback" not in err, (args, err)
    assert code in (0, 2), (args, code, err)
    if code == 2:
        assert out == "" and err.strip(), (args, out, err)
    else:
        assert not NAN.search(out), (args, out)
        if "--json" in args:
            _finite(json.loads(out))


ints = st.integers(-5, 40).map(str) | st.sampled_from(
    ["0", "-1", "100000000", "1e3", "abc", "", "2.5", "99999999999999999999"])
floats = st.floats(-10, 100).map(lambda x: f"{x:g}") | st.sampled_from(
    ["0", "-1", "nan", "inf", "-inf", "1e-300", "1e300", "x", ""])
names = st.sampled_from(["llama3-8b", "h100-sxm", "mi300x", "nope", "", "/no/such.yaml",
                         "bf16", "fp8", "int4", "poisson", "gamma", "fp99"])


def _options(spec: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[list[str]]:
    """A random subset of the options, each with a random value, in random order."""
    pairs = st.lists(st.sampled_from(sorted(spec)), unique=True, max_size=len(spec)).flatmap(
        lambda flags: st.tuples(*[spec[f].map(lambda v, f=f: [f, v]) for f in flags]))
    return pairs.map(lambda items: [x for pair in items for x in pair])


SERVE_OPTIONS = {"--tp": ints, "--pp": ints, "--dtype": names, "--kv-dtype": names,
                 "--max-batch": ints, "--token-budget": ints, "--input-tokens": ints,
                 "--output-tokens": ints, "--seed": ints, "--slo-ttft-s": floats,
                 "--slo-tpot-s": floats, "--requests": ints}


@CLI_SETTINGS
@given(load=st.sampled_from([["--rate", "5"], ["--offline"], ["--rate", "nan"], ["--rate", "-3"],
                             ["--rate", "1e9"], []]),
       hw=st.sampled_from(["h100-sxm", "mi300x", "tpu-v5e", "nope"]),
       options=_options(SERVE_OPTIONS), as_json=st.booleans())
def test_cli_serve(load: list[str], hw: str, options: list[str], as_json: bool) -> None:
    args = ["serve", "--model", "llama3-8b", "--hardware", hw, *load, *options]
    if "--requests" not in options:
        args += ["--requests", "20"]
    elif _big(options, "--requests") and "--input-tokens" not in options:
        args += ["--input-tokens", "1"]
    _check_cli([*args, "--json"] if as_json else args)


def _big(options: list[str], flag: str) -> bool:
    value = options[options.index(flag) + 1]
    return value.lstrip("-").isdigit() and int(value) > 40


TRACE_OPTIONS = {"--rate": floats, "--requests": ints, "--arrival": names, "--cv": floats,
                 "--input-median": floats, "--input-sigma": floats, "--output-median": floats,
                 "--output-sigma": floats, "--seed": ints}


@CLI_SETTINGS
@given(options=_options(TRACE_OPTIONS), suffix=st.sampled_from([".jsonl", ".csv", "/", ""]),
       as_json=st.booleans())
def test_cli_trace_generate(options: list[str], suffix: str, as_json: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
    target = str(folder) + suffix if suffix in ("/", "") else str(folder / f"t{suffix}")
    args = ["trace", "generate", "-o", target, *options]
    _check_cli([*args, "--json"] if as_json else args)


@CLI_SETTINGS
@given(command=st.sampled_from([["hardware", "show"], ["models", "show"], ["chip", "show"],
                                ["fleet", "--scenario"], ["serve", "--model", "llama3-8b",
                                                          "--offline", "--requests", "3",
                                                          "--hardware"]]),
       data=structures, raw=st.binary(max_size=200), use_raw=st.booleans(),
       name=st.sampled_from(["x.yaml", "config.json", "x.json", "x.yml"]))
def test_cli_commands_reading_a_random_file(command: list[str], data: Any, raw: bytes,
                                            use_raw: bool, name: str) -> None:
    content = raw if use_raw else (json.dumps(data) if name.endswith(".json")
                                   else yaml.safe_dump(data)).encode()
    _check_cli([*command, str(_scratch(name, content))])
