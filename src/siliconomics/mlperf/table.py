"""Published MLPerf Inference rows as typed, frozen objects (a YAML table with sources).

A table has ``benchmarks`` (model id and mean output tokens per sample, with sources; the
mean input length, which MLCommons does not publish for Llama-2-70B in a source we hold,
is an input of the comparison, not of the table) and ``rows``: one published result each
(round, submitter, system, chip, chips, tensor-parallel degree, dtypes, scenario, output
tokens/s of the whole system, the stack it ran, source). Rows are compared as ratios to the
8x H200 row of the same round and benchmark (:meth:`MlperfTable.reference_row`), which
cancels the unknown input length and most of a round's software gains.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siliconomics.catalog.accelerator import Dtype
from siliconomics.catalog.sourced import read_yaml, validation_message
from siliconomics.errors import CatalogError, SiliconomicsError

DATA = Path(str(resources.files("siliconomics.mlperf") / "data"))
FIT_TABLE = DATA / "v4-closed.yaml"
HELDOUT_TABLE = DATA / "v5-heldout.yaml"
REFERENCE_HARDWARE = "h200-sxm"


class Benchmark(BaseModel):
    """One MLPerf benchmark: the model and the mean answer length per sample."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    model: str = Field(min_length=1, description="Model catalog id.")
    output_tokens: int = Field(gt=0, description="Mean output tokens per sample [tokens].")
    output_source: str = Field(min_length=1)
    input_source: str = Field(min_length=1)


class MlperfRow(BaseModel):
    """One published result (a system's output tokens/s in one scenario)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    round: str = Field(pattern=r"^v\d+\.\d+$")
    submitter: str = Field(min_length=1)
    system: str = Field(min_length=1)
    hardware: str = Field(min_length=1, description="Accelerator catalog id.")
    tdp_w: float | None = Field(default=None, gt=0, description="Power limit if not the "
                                "catalog's (e.g. H200 CTS at 1000 W) [W].")
    chips: int = Field(gt=0)
    tp: int = Field(default=1, gt=0, description="Tensor-parallel degree of one instance.")
    benchmark: str = Field(min_length=1)
    scenario: Literal["offline", "server"]
    tokens_s: float = Field(gt=0, description="Output tokens/s of the whole system.")
    weight_dtype: Dtype = "fp8"
    kv_dtype: Dtype = "fp8"
    stack: str = Field(min_length=1, description="Stack id (perf.stacks) the result ran on.")
    output_tokens: int | None = Field(default=None, gt=0,
                                      description="Mean output tokens if not the benchmark's.")
    source: str = Field(min_length=1)
    note: str = ""

    @property
    def tokens_s_per_chip(self) -> float:
        return self.tokens_s / self.chips

    @property
    def label(self) -> str:
        return f"{self.round} {self.system} {self.benchmark} {self.scenario}"


class MlperfTable(BaseModel):
    """A table of published rows and the benchmarks they ran."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    title: str
    role: Literal["fit", "heldout"]
    benchmarks: dict[str, Benchmark]
    rows: tuple[MlperfRow, ...] = Field(min_length=1)

    def reference_row(self, row: MlperfRow) -> MlperfRow | None:
        """The stock-power H200 row of ``row``'s round, benchmark and scenario (None if the
        table has none)."""
        for r in self.rows:
            if (r.hardware == REFERENCE_HARDWARE and r.tdp_w is None and r.round == row.round
                    and r.benchmark == row.benchmark and r.scenario == row.scenario):
                return r
        return None

    def output_tokens(self, row: MlperfRow) -> int:
        return row.output_tokens or self.benchmarks[row.benchmark].output_tokens


def load_table(path: Path) -> MlperfTable:
    """Load an MLPerf table; errors name the file and the field (row index included)."""
    data = read_yaml(path)
    try:
        table = MlperfTable.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(validation_message(path, exc)) from None
    for i, row in enumerate(table.rows):
        if row.benchmark not in table.benchmarks:
            raise CatalogError(f"{path}: field 'rows.{i}.benchmark': '{row.benchmark}' is not "
                               f"in 'benchmarks' ({', '.join(table.benchmarks)})")
    return table


def check_rows(table: MlperfTable, path: Path) -> None:
    """Resolve every row's chip, model and stack once, so a typo fails before any fit."""
    from siliconomics import catalog
    from siliconomics.perf.stacks import check_stack_for_vendor, resolve_stack

    for i, row in enumerate(table.rows):
        try:
            hw = catalog.hardware(row.hardware)
            catalog.model(table.benchmarks[row.benchmark].model)
            check_stack_for_vendor(resolve_stack(row.stack), hw.vendor, hw.id)
        except SiliconomicsError as exc:
            raise CatalogError(f"{path}: rows.{i} ({row.system}): {exc}") from None
