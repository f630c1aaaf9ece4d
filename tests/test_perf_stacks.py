"""Software stacks and per-chip sustained rates: bounds, invariants, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from siliconomics import catalog
from siliconomics.errors import SiliconomicsError
from siliconomics.perf.calibration import default_calibration
from siliconomics.perf.chip import chip_rates, fabric_for, scaleup_warning
from siliconomics.perf.predict import predict_step
from siliconomics.perf.stacks import (
    FRACTION_FIELDS,
    PARAMETER_FIELDS,
    STACK_DIR,
    load_stack,
    resolve_stack,
    shipped_stacks,
    stack_for_chip,
    stack_for_vendor,
)

H100 = catalog.hardware("h100-sxm")
MI300X = catalog.hardware("mi300x")


@pytest.mark.parametrize("stack_id", sorted(shipped_stacks()))
def test_every_shipped_stack_is_bounded_sourced_and_predicts(stack_id: str) -> None:
    stack = shipped_stacks()[stack_id]
    for field in FRACTION_FIELDS:
        assert 0.0 < getattr(stack, field) <= 1.0, (stack_id, field)
    assert stack.fitted_on and stack.source
    chips = (H100, MI300X, *(catalog.hardware(c) for c in ("gaudi3", "tpu-v6e", "trainium2")))
    chip = next(h for h in chips
                if stack.runs_on(h.vendor))
    pred = predict_step("llama3-8b", chip, phase="decode", batch=8, context=512, stack=stack)
    assert float(pred.step_s) > 0
    if stack.immature is not None:
        low = stack.at_maturity(0.0)
        for field in FRACTION_FIELDS:
            assert 0.0 < getattr(low, field) <= getattr(stack, field)


def test_reference_stack_reproduces_todays_prediction() -> None:
    """stack None, 'production' and TensorRT-LLM (fractions 1) give the same step time."""
    times = {str(s): float(predict_step("llama3-70b", H100, phase="decode", batch=64, context=2048,
                                        tp=2, weight_dtype="fp8", stack=s).step_s)
             for s in (None, "production", "tensorrt-llm")}
    assert len(set(times.values())) == 1, times


FRACTIONS = st.floats(0.05, 1.0)


@settings(max_examples=25, deadline=None)
@given(low=st.tuples(*[FRACTIONS] * 5), gain=st.tuples(*[st.floats(1.0, 3.0)] * 5),
       batch=st.integers(1, 512), context=st.integers(64, 8192))
def test_a_more_mature_stack_never_predicts_slower(low: tuple[float, ...], gain: tuple[float, ...],
                                                   batch: int, context: int) -> None:
    base = resolve_stack("vllm-rocm")
    slow = base.with_parameters(**dict(zip(FRACTION_FIELDS, low, strict=True)))
    fast = base.with_parameters(**{f: min(1.0, v * g) for f, v, g in
                                   zip(FRACTION_FIELDS, low, gain, strict=True)})
    for phase, length in (("decode", {"context": context}), ("prefill", {"prompt": context})):
        t_slow = predict_step("llama3-8b", MI300X, phase=phase, batch=batch, stack=slow,
                              weight_dtype="fp8", check_memory=False, **length).step_s
        t_fast = predict_step("llama3-8b", MI300X, phase=phase, batch=batch, stack=fast,
                              weight_dtype="fp8", check_memory=False, **length).step_s
        assert float(t_fast) <= float(t_slow) * (1 + 1e-12)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 256), context=st.integers(16, 8192), faster=st.floats(1.01, 4.0),
       stack=st.sampled_from(["vllm-rocm", "inhouse@0.2", "production"]))
def test_more_bandwidth_with_the_same_stack_never_predicts_a_slower_decode(
        batch: int, context: int, faster: float, stack: str) -> None:
    quicker = MI300X.model_copy(update={
        "memory_bandwidth_bytes_s": MI300X.memory_bandwidth_bytes_s * faster})
    software = resolve_stack(stack)
    base = predict_step("llama3-8b", MI300X, phase="decode", batch=batch, context=context,
                        stack=software, check_memory=False)
    fast = predict_step("llama3-8b", quicker, phase="decode", batch=batch, context=context,
                        stack=software, check_memory=False)
    assert float(fast.step_s) <= float(base.step_s)


def test_fp8_equal_to_bf16_peak_sustains_the_same_rate() -> None:
    """Gaudi 3 and TPU v6e publish fp8 = bf16 peak: neither format may sustain more."""
    calib = default_calibration()
    for chip_id in ("gaudi3", "tpu-v6e"):
        rates = chip_rates(catalog.hardware(chip_id), calib).matmul_flops_s
        assert rates["fp8"] == pytest.approx(rates["bf16"]), chip_id
    h100 = chip_rates(H100, calib).matmul_flops_s
    assert h100["fp8"] > 1.5 * h100["bf16"]  # a real 2x fp8 datapath still gains


def test_fabric_and_scaleup_warning() -> None:
    assert fabric_for(MI300X).name == "infinity-fabric"
    assert fabric_for(H100).name == "nvlink"
    two = chip_rates(MI300X, default_calibration(), ranks=2).link_bytes_s
    eight = chip_rates(MI300X, default_calibration(), ranks=8).link_bytes_s
    assert two == pytest.approx(eight / 7)  # a full mesh uses one of 7 links for 2 ranks
    assert scaleup_warning(H100, 8) is None
    message = scaleup_warning(H100, 16)
    assert message is not None and "leaves the scale-up" in message and "\n" not in message


def test_vendor_defaults_and_maturity() -> None:
    assert stack_for_vendor("NVIDIA").id == "tensorrt-llm"
    assert stack_for_vendor("AMD").id == "vllm-rocm"
    custom = stack_for_vendor("Acme Silicon")
    assert custom.id == "inhouse@0.5"
    full = resolve_stack("inhouse")
    low = resolve_stack("inhouse@0")
    assert low.matmul_fp8_frac < custom.matmul_fp8_frac < full.matmul_fp8_frac
    with pytest.raises(SiliconomicsError, match="maturity"):
        resolve_stack("inhouse@2")


def _write(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load((STACK_DIR / "vllm-rocm.yaml").read_text())
    data.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del data[key]
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_stack_file_with_a_fraction_above_one_names_file_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, matmul_fp8_frac=1.3)
    with pytest.raises(SiliconomicsError) as err:
        load_stack(path)
    message = str(err.value)
    assert str(path) in message and "matmul_fp8_frac" in message and "\n" not in message


def test_stack_file_without_its_source_names_file_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, source=None)
    with pytest.raises(SiliconomicsError, match=r"stack\.yaml.*source"):
        load_stack(path)


def test_stack_not_defined_for_the_chips_vendor() -> None:
    with pytest.raises(SiliconomicsError, match=r"vllm-rocm.*vendors.*h100-sxm.*NVIDIA"):
        stack_for_chip("vllm-rocm", H100.vendor, H100.id)
    assert stack_for_chip("auto", H100.vendor, H100.id).id == "tensorrt-llm"


def test_parameter_fields_are_the_stack_parameters() -> None:
    stack = resolve_stack("vllm-rocm")
    assert set(PARAMETER_FIELDS) <= set(stack.model_dump())


def test_library_refuses_a_stack_of_another_vendor() -> None:
    from siliconomics.perf.iteration import iteration_model

    with pytest.raises(SiliconomicsError, match="not defined for chip 'h100-sxm'"):
        iteration_model("llama3-8b", H100, stack="vllm-rocm")
    with pytest.raises(SiliconomicsError, match="not defined for chip 'mi300x'"):
        predict_step("llama3-8b", MI300X, phase="decode", context=128, stack="tensorrt-llm")


def test_library_accepts_auto_as_the_vendor_default() -> None:
    from siliconomics.perf.iteration import iteration_model

    assert iteration_model("llama3-8b", MI300X, stack="auto").stack.id == "vllm-rocm"
    pred = predict_step("llama3-8b", H100, phase="decode", context=128, stack="auto")
    assert pred.stack == "tensorrt-llm"
