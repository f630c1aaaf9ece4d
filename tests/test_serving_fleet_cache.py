"""The fleet cache: a hit returns the same fleet without simulating, any input that
determines a fleet changes the key, and the disk layer round-trips a fleet exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from siliconomics import catalog
from siliconomics.errors import SiliconomicsError
from siliconomics.serving import fleet as fleet_module
from siliconomics.serving.deployment import Deployment, Slo
from siliconomics.serving.fleet import size_fleet
from siliconomics.serving.fleet_cache import FLEETS, FleetCache, cache_mode, fleet_key
from siliconomics.serving.sim import SchedulerConfig
from siliconomics.serving.traffic import LengthDist, Traffic

pytestmark = pytest.mark.usefixtures("compiled_core")

DEP = Deployment(model="llama3-70b", hardware="h100-sxm", tp=8)
TRAFFIC = Traffic(daily_users=2e6, queries_per_user_per_day=10)
SMALL = {"capacity_seeds": 2, "sample_replicas": 1, "n_requests": 600}


def key(**changes: object) -> str:
    inputs: dict[str, object] = {"traffic": TRAFFIC, "deployment": DEP, "slo": Slo(),
                                 "seed": 0, "headroom_frac": 0.1, **SMALL}
    inputs.update(changes)
    return fleet_key(**inputs)


def test_a_second_sizing_is_a_hit_and_equals_an_uncached_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    FLEETS.clear()
    first = size_fleet(TRAFFIC, DEP, seed=5, **SMALL)  # type: ignore[arg-type]
    assert (FLEETS.hits, FLEETS.misses) == (0, 1)

    def no_simulation(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cache hit must not simulate")

    with monkeypatch.context() as m:
        m.setattr(fleet_module, "_size_fleet", no_simulation)
        again = size_fleet(TRAFFIC, DEP, seed=5, **SMALL)  # type: ignore[arg-type]
    assert again is first and FLEETS.hits == 1
    assert size_fleet(TRAFFIC, DEP, seed=5, cache=False, **SMALL) == first  # type: ignore[arg-type]


def test_every_input_that_determines_a_fleet_changes_the_key() -> None:
    base = key()
    changed = [
        key(traffic=TRAFFIC.model_copy(update={"daily_users": 2.1e6})),
        key(traffic=TRAFFIC.model_copy(update={"peak_to_mean": 1.4})),
        key(traffic=TRAFFIC.model_copy(update={
            "output_tokens": LengthDist(kind="lognormal", median=130, sigma=0.98)})),
        key(deployment=DEP.model_copy(update={"tp": 4})),
        key(deployment=DEP.model_copy(update={"kv_dtype": "bf16"})),
        key(deployment=DEP.model_copy(update={"hardware": "h200"})),
        key(deployment=DEP.model_copy(update={"stack": "other"})),
        key(deployment=DEP.model_copy(update={"scheduler": SchedulerConfig(max_batch=128)})),
        key(slo=Slo(ttft_s=1.0)),
        key(seed=1),
        key(headroom_frac=0.2),
        key(n_requests=601),
    ]
    assert base == key()
    assert len({base, *changed}) == len(changed) + 1


def test_an_edited_hardware_file_is_a_different_fleet(tmp_path: Path) -> None:
    path = tmp_path / "chip.yaml"
    text = (catalog.DATA_DIR / "hardware" / "h100-sxm.yaml").read_text()
    path.write_text(text)
    dep = DEP.model_copy(update={"hardware": str(path)})
    before = key(deployment=dep)
    path.write_text(text + "\n# edited\n")
    assert key(deployment=dep) != before


def test_disk_layer_round_trips_a_fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SILICONOMICS_FLEET_CACHE", "disk")
    monkeypatch.setenv("SILICONOMICS_CACHE_DIR", str(tmp_path))
    FLEETS.clear()
    sized = size_fleet(TRAFFIC, DEP, seed=9, **SMALL)  # type: ignore[arg-type]
    files = list((tmp_path / "fleets").glob("*.json"))
    assert len(files) == 1
    FLEETS.clear()  # a new process: only the disk layer remains
    monkeypatch.setattr(fleet_module, "_size_fleet", None)  # a hit must not simulate
    again = size_fleet(TRAFFIC, DEP, seed=9, **SMALL)  # type: ignore[arg-type]
    assert again == sized and again is not sized and FLEETS.hits == 1


def test_off_mode_never_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SILICONOMICS_FLEET_CACHE", "off")
    cache = FleetCache()
    cache.put("k", 1, cache_mode(), lambda v: {})
    assert cache.get("k", cache_mode(), lambda d: d) is None


def test_unknown_cache_mode_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SILICONOMICS_FLEET_CACHE", "dsik")
    with pytest.raises(SiliconomicsError, match=r"SILICONOMICS_FLEET_CACHE='dsik'.*memory, disk, off"):
        size_fleet(TRAFFIC, DEP, **SMALL)  # type: ignore[arg-type]


def test_the_command_defaults_to_the_disk_layer_best_effort(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from siliconomics.serving import fleet_cache

    monkeypatch.delenv("SILICONOMICS_FLEET_CACHE", raising=False)
    monkeypatch.setattr(fleet_cache, "_default", {"mode": "memory", "best_effort": False})
    assert cache_mode() == "memory"  # the library's default
    fleet_cache.use_disk_by_default()  # what the siliconomics command does
    assert cache_mode() == "disk"
    monkeypatch.setenv("SILICONOMICS_FLEET_CACHE", "off")
    assert cache_mode() == "off"  # an explicit setting still decides
    monkeypatch.delenv("SILICONOMICS_FLEET_CACHE")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SILICONOMICS_CACHE_DIR", str(blocker))
    cache = FleetCache()
    cache.put("k", 1, cache_mode(), lambda v: {"v": v})  # cannot write: warn, keep in memory
    assert "warning: fleet cache: cannot write" in capsys.readouterr().err
    assert cache_mode() == "memory" and cache.get("k", "memory", lambda d: d) == 1
    monkeypatch.setenv("SILICONOMICS_FLEET_CACHE", "disk")  # asked for: an error
    with pytest.raises(SiliconomicsError, match="cannot write"):
        cache.put("k2", 2, cache_mode(), lambda v: {"v": v})


def test_memory_layer_is_bounded() -> None:
    cache = FleetCache(entries=3)
    for i in range(5):
        cache.put(str(i), i, "memory", lambda v: {})
    assert [cache.get(str(i), "memory", lambda d: d) for i in range(5)] == [None, None, 2, 3, 4]


def test_an_object_dumped_only_by_its_id_still_changes_the_key() -> None:
    # A deployment may carry a stack (or calibration) object whose JSON dump is only its id;
    # two different objects with the same id are different fleets.
    from pydantic import BaseModel, field_serializer

    class WithStack(BaseModel):
        model: str = "llama3-70b"
        hardware: str = "h100-sxm"
        stack: Slo

        @field_serializer("stack")
        def _by_id(self, stack: Slo) -> str:
            return "same-id"

    a, b = WithStack(stack=Slo(ttft_s=1.0)), WithStack(stack=Slo(ttft_s=2.0))
    assert a.model_dump() == b.model_dump()
    assert fleet_key(deployment=a) != fleet_key(deployment=b)
    assert fleet_key(deployment=a) == fleet_key(deployment=WithStack(stack=Slo(ttft_s=1.0)))


def test_a_stack_object_enters_the_key_in_full() -> None:
    from siliconomics.perf.stacks import resolve_stack

    stack = resolve_stack("vllm-rocm")
    slower = stack.model_copy(update={"matmul_fp8_frac": stack.matmul_fp8_frac / 2})
    with_stack = DEP.model_copy(update={"stack": stack})
    with_slower = DEP.model_copy(update={"stack": slower})
    assert with_stack.stack.id == with_slower.stack.id  # type: ignore[union-attr]
    assert key(deployment=with_stack) != key(deployment=with_slower)


def test_equal_stacks_under_other_names_share_a_fleet() -> None:
    """The stack enters the key by what changes a fleet (profile, vendors, fractions), not by
    its id: the reference by id, as an object, and the in-house stack fully mature
    (``inhouse@1``, every fraction 1 and no host time, as the reference) are one fleet;
    half-mature, or a copy with another vendor list, is another."""
    from siliconomics.perf.stacks import resolve_stack

    reference = resolve_stack("production")
    mature = resolve_stack("inhouse").at_maturity(1.0)
    assert mature.id != reference.id
    same = [key(deployment=DEP.model_copy(update={"stack": s}))
            for s in ("production", reference, mature)]
    assert same == [key()] * 3
    half = resolve_stack("inhouse").at_maturity(0.5)
    amd_only = reference.model_copy(update={"vendors": ("amd",)})
    assert key(deployment=DEP.model_copy(update={"stack": half})) != key()
    assert key(deployment=DEP.model_copy(update={"stack": amd_only})) != key()


def test_a_fleet_shared_by_an_equal_stack_carries_the_askers_deployment() -> None:
    from siliconomics.perf.stacks import resolve_stack

    FLEETS.clear()
    first = size_fleet(TRAFFIC, DEP, seed=3, **SMALL)  # type: ignore[arg-type]
    mature = DEP.model_copy(update={"stack": resolve_stack("inhouse").at_maturity(1.0)})
    shared = size_fleet(TRAFFIC, mature, seed=3, **SMALL)  # type: ignore[arg-type]
    assert FLEETS.hits == 1
    assert shared.deployment is mature and shared.replicas == first.replicas
    assert shared == size_fleet(TRAFFIC, mature, seed=3, cache=False,  # type: ignore[arg-type]
                                **SMALL)


def test_replica_capacity_goes_through_the_disk_layer(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A study's response-surface capacities are cached like fleets: a new process (memory
    layer cleared) with the disk layer gets the same rate without simulating."""
    from siliconomics.serving import capacity as capacity_module
    from siliconomics.serving.capacity import max_rate_at_slo, replica_capacity_per_s

    monkeypatch.setenv("SILICONOMICS_FLEET_CACHE", "disk")
    monkeypatch.setenv("SILICONOMICS_CACHE_DIR", str(tmp_path))
    FLEETS.clear()
    rate = replica_capacity_per_s(DEP, TRAFFIC, seed=2, n_requests=600)
    assert rate == max_rate_at_slo(DEP, TRAFFIC, seed=2, n_requests=600).rate_per_s
    FLEETS.clear()

    def no_simulation(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached capacity must not simulate")

    monkeypatch.setattr(capacity_module, "max_rate_at_slo", no_simulation)
    assert replica_capacity_per_s(DEP, TRAFFIC, seed=2, n_requests=600) == rate
    assert FLEETS.hits == 1
    assert key(kind="replica_capacity_per_s") != key()
