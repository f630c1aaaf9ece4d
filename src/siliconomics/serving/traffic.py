"""Traffic: request arrivals and prompt/answer lengths, synthetic or replayed from a trace.

A load is either described (daily users x queries per user per day, a diurnal profile,
length distributions; :class:`Traffic`) or replayed (:func:`load_trace`). Both end up as a
:class:`Requests` value: arrival times [s], prompt tokens and answer tokens per request.

Trace formats:

* Azure LLM inference trace CSV, columns ``TIMESTAMP,ContextTokens,GeneratedTokens``
  (Microsoft Azure, AzurePublicDataset, Patel et al., "Splitwise", ISCA 2024; CC BY 4.0,
  keep :data:`AZURE_ATTRIBUTION` wherever the data or results derived from it are shown).
* JSONL, one object per line with ``arrival_time_s``, ``input_tokens``, ``output_tokens``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from siliconomics.errors import SiliconomicsError
from siliconomics.inputs import DATA_MAX_BYTES, read_text

AZURE_ATTRIBUTION = (
    "Azure LLM inference trace 2023 (Microsoft Azure, AzurePublicDataset; Patel et al., "
    "'Splitwise', ISCA 2024), CC BY 4.0"
)
SECONDS_PER_DAY = 86_400.0
MAX_ARRIVAL_S = 1e9
"""Latest arrival a run may have [s]: float64 then still resolves 0.2 µs, well below a
step time; later times would make TTFTs silently round to 0."""

MAX_GENERATED_REQUESTS = 10_000_000
"""Most requests one synthetic stream may hold (``trace generate --requests``): 10 M requests
are ~240 MB in memory and a ~0.6 GB file, written in a few minutes; more is refused at once
rather than running for hours (a day of ChatGPT-scale traffic is sized by ``fleet``, which
simulates a few thousand requests per replica, not by one stream)."""
MAX_SIMULATED_REQUESTS = 1_000_000
"""Most requests one ``serve`` run simulates: ~1 minute on one core with the compiled core
(100,000 requests took 6 s on the project machine); more is refused at once."""
MAX_CAPACITY_REQUESTS = 100_000
"""Most requests per bisection step of ``capacity`` (~15 steps each simulate them all:
about as long as one ``serve`` run at :data:`MAX_SIMULATED_REQUESTS`)."""

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class Requests:
    """A stream of requests sorted by arrival.

    ``arrival_s`` [s] from the start of the run, ``input_tokens`` prompt length [tokens],
    ``output_tokens`` answer length [tokens] (>= 1), ``attribution`` the data's source
    (non-empty for a replayed third-party trace; show it with any result).
    """

    arrival_s: FloatArray
    input_tokens: IntArray
    output_tokens: IntArray
    attribution: str = ""

    def __post_init__(self) -> None:
        n = len(self.arrival_s)
        if len(self.input_tokens) != n or len(self.output_tokens) != n:
            raise SiliconomicsError(
                f"requests: arrival_s, input_tokens and output_tokens must have the same "
                f"length, got {n}, {len(self.input_tokens)}, {len(self.output_tokens)}"
            )
        if n and not np.all(np.isfinite(self.arrival_s)):
            raise SiliconomicsError("requests: arrival_s must be finite (no inf or NaN times)")
        if n and float(self.arrival_s[-1]) > MAX_ARRIVAL_S:
            raise SiliconomicsError(
                f"requests: the last arrival is at {float(self.arrival_s[-1]):.3g} s, beyond "
                f"{MAX_ARRIVAL_S:.0e} s (~32 years), where float64 times lose the resolution "
                f"of step times; use a higher rate or fewer requests")
        if n and (np.any(np.diff(self.arrival_s) < 0) or self.arrival_s[0] < 0):
            raise SiliconomicsError("requests: arrival_s must be >= 0 and sorted ascending")
        if n and (self.input_tokens.min() < 1 or self.output_tokens.min() < 1):
            raise SiliconomicsError("requests: input_tokens and output_tokens must be >= 1")

    def __len__(self) -> int:
        return len(self.arrival_s)

    @property
    def duration_s(self) -> float:
        """Time from the first to the last arrival [s]."""
        return float(self.arrival_s[-1] - self.arrival_s[0]) if len(self) > 1 else 0.0

    @property
    def rate_per_s(self) -> float:
        """Mean arrival rate [requests/s] ((n - 1) / duration; inf when all arrive at once)."""
        return (len(self) - 1) / self.duration_s if self.duration_s > 0 else math.inf

    def subset(self, index: IntArray | slice) -> Requests:
        """The requests at ``index`` (kept in arrival order)."""
        return Requests(self.arrival_s[index], self.input_tokens[index],
                        self.output_tokens[index], self.attribution)


# ---------------------------------------------------------------- length distributions


class LengthDist(BaseModel):
    """A token-length distribution: lognormal, fixed, or empirical (values resampled).

    Lognormal: ``median`` [tokens] and ``sigma`` (log-space standard deviation); a fitted
    pair from a trace's median m and mean u is sigma = sqrt(2 ln(u / m)). Samples are
    rounded and clipped to [``min_tokens``, ``max_tokens``].
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    kind: Literal["lognormal", "fixed", "empirical"] = "lognormal"
    median: float = Field(default=1020.0, gt=0, description="Median length [tokens].")
    sigma: float = Field(default=0.5, ge=0, description="Log-space standard deviation.")
    values: tuple[int, ...] = Field(default=(), description="Empirical lengths [tokens].")
    min_tokens: int = Field(default=1, ge=1)
    max_tokens: int = Field(default=131_072, ge=1)

    @model_validator(mode="after")
    def _check(self) -> LengthDist:
        if self.kind == "empirical" and not self.values:
            raise ValueError("an empirical length distribution needs 'values'")
        if self.max_tokens < self.min_tokens:
            raise ValueError(f"max_tokens ({self.max_tokens}) must be >= min_tokens "
                             f"({self.min_tokens})")
        return self

    def sample(self, n: int, rng: np.random.Generator) -> IntArray:
        """``n`` lengths [tokens]."""
        raw: FloatArray
        if self.kind == "fixed":
            raw = np.full(n, self.median)
        elif self.kind == "lognormal":
            raw = rng.lognormal(math.log(self.median), self.sigma, n)
        else:
            raw = rng.choice(np.asarray(self.values, dtype=np.float64), n)
        return np.clip(np.rint(raw), self.min_tokens, self.max_tokens).astype(np.int64)

    def mean(self) -> float:
        """Expected length [tokens] before clipping (lognormal: median exp(sigma^2 / 2))."""
        if self.kind == "fixed":
            return self.median
        if self.kind == "lognormal":
            return self.median * math.exp(0.5 * self.sigma**2)
        return float(np.mean(self.values))


def lognormal_from_median_mean(median: float, mean: float, **kw: int) -> LengthDist:
    """Lognormal with a given median and mean [tokens]: sigma = sqrt(2 ln(mean / median))."""
    if not mean >= median > 0:
        raise SiliconomicsError(f"lognormal fit: need mean >= median > 0, got median={median}, "
                                f"mean={mean}")
    return LengthDist(kind="lognormal", median=median,
                      sigma=math.sqrt(2.0 * math.log(mean / median)), **kw)


# Azure conversation trace (2023): prompt median 1020 / mean 1155, answer median 129 /
# mean 211 tokens (shared/traces/README.md summary of the trace; CC BY 4.0, see above).
AZURE_CONV_INPUT = lognormal_from_median_mean(1020.0, 1155.0, max_tokens=8192)
AZURE_CONV_OUTPUT = lognormal_from_median_mean(129.0, 211.0, max_tokens=4096)


# ---------------------------------------------------------------- arrivals


def poisson_arrivals(rate_per_s: float, n: int, rng: np.random.Generator) -> FloatArray:
    """Arrival times [s] of a Poisson process: exponential gaps with mean 1 / rate."""
    _positive("rate_per_s", rate_per_s)
    return _ArrivalDraws.draw(n, rng, "poisson").times_s(rate_per_s)


def gamma_arrivals(rate_per_s: float, n: int, cv: float, rng: np.random.Generator) -> FloatArray:
    """Bursty arrivals [s]: gamma gaps with mean 1 / rate and coefficient of variation ``cv``.

    Shape k = 1 / cv^2, scale = 1 / (rate k); cv = 1 is Poisson, cv > 1 is burstier.
    """
    _positive("rate_per_s", rate_per_s)
    return _ArrivalDraws.draw(n, rng, "gamma", cv).times_s(rate_per_s)


@dataclass(frozen=True)
class _ArrivalDraws:
    """The random part of arrival times, independent of the rate: standard exponential
    gaps, or standard gamma gaps of shape k (``shape``). :meth:`times_s` scales them by
    1 / rate (1 / (rate k)) exactly as ``rng.exponential(1 / rate)`` (``rng.gamma(k, 1 /
    (rate k))``) would have drawn them: NumPy draws those as scale x the standard draw."""

    standard: FloatArray
    shape: float | None  # None: exponential

    @classmethod
    def draw(cls, n: int, rng: np.random.Generator, arrival: str,
             cv: float = 1.0) -> _ArrivalDraws:
        if arrival == "poisson":
            return cls(rng.standard_exponential(n), None)
        _positive("cv", cv)
        shape = 1.0 / cv**2
        return cls(rng.standard_gamma(shape, n), shape)

    def times_s(self, rate_per_s: float) -> FloatArray:
        _positive("rate_per_s", rate_per_s)
        scale = 1.0 / rate_per_s if self.shape is None else 1.0 / (rate_per_s * self.shape)
        return np.cumsum(scale * self.standard)


@dataclass(frozen=True)
class RequestDraws:
    """A synthetic request stream before its rate is chosen: the arrival draws and the
    lengths [tokens]. :meth:`at_rate` gives the stream at a rate, the same requests as
    :func:`synthetic_requests` with the same generator; a capacity search draws once and
    probes every rate with it (common random numbers, no sampling per probe)."""

    arrivals: _ArrivalDraws
    input_tokens: IntArray
    output_tokens: IntArray

    def at_rate(self, rate_per_s: float) -> Requests:
        """The requests at ``rate_per_s`` [1/s], times from the first arrival."""
        times = self.arrivals.times_s(rate_per_s)
        return Requests(times - times[0], self.input_tokens, self.output_tokens)


def request_draws(n: int, input_dist: LengthDist, output_dist: LengthDist,
                  rng: np.random.Generator, arrival: Literal["poisson", "gamma"] = "poisson",
                  cv: float = 1.0) -> RequestDraws:
    """The draws of ``n`` synthetic requests (arrivals, then prompt and answer lengths)."""
    if not 1 <= n <= MAX_GENERATED_REQUESTS:
        raise SiliconomicsError(f"requests: n must be between 1 and {MAX_GENERATED_REQUESTS:,}, "
                                f"got {n:,}")
    arrivals = _ArrivalDraws.draw(n, rng, arrival, cv)
    return RequestDraws(arrivals, input_dist.sample(n, rng), output_dist.sample(n, rng))


def synthetic_requests(
    rate_per_s: float,
    n: int,
    input_dist: LengthDist,
    output_dist: LengthDist,
    rng: np.random.Generator,
    arrival: Literal["poisson", "gamma"] = "poisson",
    cv: float = 1.0,
) -> Requests:
    """``n`` requests with Poisson or gamma arrivals at ``rate_per_s`` [1/s]."""
    _positive("rate_per_s", rate_per_s)
    return request_draws(n, input_dist, output_dist, rng, arrival, cv).at_rate(rate_per_s)


def offline_requests(n: int, input_tokens: int, output_tokens: int) -> Requests:
    """Throughput-benchmark load: ``n`` requests all queued at t = 0, fixed lengths."""
    if not 1 <= n <= MAX_GENERATED_REQUESTS:
        raise SiliconomicsError(f"offline: requests must be between 1 and "
                                f"{MAX_GENERATED_REQUESTS:,}, got {n:,}")
    if input_tokens < 1 or output_tokens < 1:
        raise SiliconomicsError(
            f"offline: requests, input_tokens and output_tokens must be >= 1, got "
            f"{n}, {input_tokens}, {output_tokens}")
    return Requests(np.zeros(n), np.full(n, input_tokens, dtype=np.int64),
                    np.full(n, output_tokens, dtype=np.int64))


def _positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise SiliconomicsError(f"{name} must be a finite number > 0, got {value}")


# ---------------------------------------------------------------- a described daily load


class Traffic(BaseModel):
    """A daily load: users x queries, a diurnal profile, prompt and answer lengths.

    The diurnal profile is either ``hourly_profile`` (24 relative rates, any scale) or a
    cosine with ``peak_to_mean`` (peak hour rate / daily mean rate, < 2) peaking at
    ``peak_hour``. Default lengths are lognormals fitted to the Azure conversation trace.

    Defaults without a public source, stated as assumptions: ``peak_to_mean`` 1.5 (no public
    hourly ChatGPT curve; economics-sources.md keeps it as a 1.3-1.8 range) and
    ``peak_hour`` 20 (an evening peak in the service's main time zone). Arrivals default to
    Poisson (``arrival_cv`` 1), the usual model for many independent users.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    daily_users: float = Field(gt=0, description="Daily active users [users/day].")
    queries_per_user_per_day: float = Field(gt=0, description="[queries/user/day].")
    peak_to_mean: float = Field(default=1.5, ge=1.0, lt=2.0)
    peak_hour: float = Field(default=20.0, ge=0, lt=24)
    hourly_profile: tuple[float, ...] | None = None
    input_tokens: LengthDist = AZURE_CONV_INPUT
    output_tokens: LengthDist = AZURE_CONV_OUTPUT
    arrival: Literal["poisson", "gamma"] = "poisson"
    arrival_cv: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _profile(self) -> Traffic:
        if self.hourly_profile is not None and (
            len(self.hourly_profile) != 24 or min(self.hourly_profile) < 0
            or max(self.hourly_profile) <= 0
        ):
            raise ValueError("hourly_profile needs 24 values >= 0, not all zero")
        return self

    @property
    def queries_per_day(self) -> float:
        """[queries/day]."""
        return self.daily_users * self.queries_per_user_per_day

    @property
    def mean_rate_per_s(self) -> float:
        """Daily mean arrival rate [requests/s]."""
        return self.queries_per_day / SECONDS_PER_DAY

    def hourly_rates_per_s(self) -> FloatArray:
        """Mean arrival rate in each hour of the day [requests/s] (24 values)."""
        hours = np.arange(24, dtype=np.float64)
        if self.hourly_profile is not None:
            shape = np.asarray(self.hourly_profile, dtype=np.float64)
        else:
            shape = 1.0 + (self.peak_to_mean - 1.0) * np.cos(
                2.0 * np.pi * (hours - self.peak_hour) / 24.0)
        rates: FloatArray = shape / shape.mean() * self.mean_rate_per_s
        return rates

    @property
    def peak_rate_per_s(self) -> float:
        """Arrival rate in the busiest hour [requests/s]."""
        return float(self.hourly_rates_per_s().max())

    def sample(self, rate_per_s: float, n: int, rng: np.random.Generator) -> Requests:
        """``n`` requests of this traffic's shape at ``rate_per_s`` [1/s]."""
        _positive("rate_per_s", rate_per_s)
        return self.draws(n, rng).at_rate(rate_per_s)

    def draws(self, n: int, rng: np.random.Generator) -> RequestDraws:
        """:meth:`sample`'s draws before the rate is chosen (:class:`RequestDraws`)."""
        return request_draws(n, self.input_tokens, self.output_tokens, rng, self.arrival,
                             self.arrival_cv)


# ---------------------------------------------------------------- trace files

AZURE_COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")
MAX_TRACE_TOKENS = 100_000_000
"""Largest prompt or answer length a trace may carry [tokens]: 10x the longest published
context window (Llama 4 Scout, 10 M tokens; Meta, April 2025); larger is a corrupt file."""
JSONL_FIELDS = ("arrival_time_s", "input_tokens", "output_tokens")


def load_trace(path: str | Path, limit: int | None = None,
               on_warning: Callable[[str], None] | None = None) -> Requests:
    """Read an Azure-format CSV or a JSONL trace; times start at 0, sorted by arrival.

    The file goes through :func:`siliconomics.inputs.read_text` (UTF-8, at most
    :data:`~siliconomics.inputs.DATA_MAX_BYTES`). Errors (missing file or columns,
    unparsable values, negative lengths) name the file, the row and the column.

    Answers of 0 tokens (the Azure trace has a few) are simulated as 1-token answers: they
    have a first token (TTFT) but no time per output token (TPOT is undefined for answers
    shorter than 2 tokens and left out of TPOT percentiles). A trace in which *every* answer
    has 0 tokens has nothing to decode and is refused; some are reported through
    ``on_warning`` (default: :func:`warnings.warn`).
    """
    path = Path(path)
    text = read_text(path, what="trace", max_bytes=DATA_MAX_BYTES)
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            times, ins, outs = _read_jsonl(path, text, limit)
            attribution = ""
            out_name = "output_tokens"
        else:
            times, ins, outs = _read_azure_csv(path, text, limit)
            attribution = AZURE_ATTRIBUTION if "azure" in path.name.lower() else ""
            out_name = "GeneratedTokens"
    except csv.Error as exc:
        raise SiliconomicsError(f"trace {path}: malformed CSV ({exc})") from None
    if not times:
        raise SiliconomicsError(f"trace {path}: no requests")
    zero = sum(1 for o in outs if o == 0)
    if zero == len(outs):
        raise SiliconomicsError(
            f"trace {path}: column {out_name}: every request has 0 output tokens; there is "
            f"nothing to decode (TPOT undefined) -- a trace needs answers of >= 1 token")
    if zero:
        message = (f"trace {path}: {zero} of {len(outs)} requests have 0 output tokens "
                   f"(column {out_name}); simulated as 1-token answers, left out of TPOT")
        if on_warning is None:
            warnings.warn(message, stacklevel=2)
        else:
            on_warning(message)
    t = np.asarray(times, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    t = t[order] - t[order][0]
    return Requests(t, np.maximum(np.asarray(ins, dtype=np.int64)[order], 1),
                    np.maximum(np.asarray(outs, dtype=np.int64)[order], 1), attribution)


def _parse_int(path: Path, row: int, column: str, raw: object) -> int:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise SiliconomicsError(
            f"trace {path}: row {row}, column {column}: cannot parse {raw!r} as a number"
        ) from None
    if not math.isfinite(value) or value != int(value):
        raise SiliconomicsError(
            f"trace {path}: row {row}, column {column}: {raw!r} is not a whole number")
    if value < 0:
        raise SiliconomicsError(
            f"trace {path}: row {row}, column {column}: negative length {raw!r}; must be >= 0")
    if value > MAX_TRACE_TOKENS:
        raise SiliconomicsError(
            f"trace {path}: row {row}, column {column}: length {raw!r} exceeds "
            f"{MAX_TRACE_TOKENS:,} tokens")
    return int(value)


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _parse_time(path: Path, row: int, column: str, raw: str) -> float:
    text = raw.strip()
    seconds = _float_or_none(text)
    if seconds is not None:
        if not math.isfinite(seconds):
            raise SiliconomicsError(
                f"trace {path}: row {row}, column {column}: time {raw!r} is not finite")
        return seconds
    try:
        # Azure timestamps carry 7 fractional digits; datetime takes at most 6.
        head, _, frac = text.partition(".")
        stamp = datetime.fromisoformat(head.replace(" ", "T"))
        return stamp.timestamp() + (float("0." + frac) if frac else 0.0)
    except (ValueError, OverflowError, OSError):
        raise SiliconomicsError(
            f"trace {path}: row {row}, column {column}: cannot parse {raw!r} as a time "
            f"(seconds or 'YYYY-MM-DD HH:MM:SS.fff')") from None


def _read_azure_csv(path: Path, text: str, limit: int | None
                    ) -> tuple[list[float], list[int], list[int]]:
    times: list[float] = []
    ins: list[int] = []
    outs: list[int] = []
    with io.StringIO(text, newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in AZURE_COLUMNS if c not in header]
        if missing:
            raise SiliconomicsError(
                f"trace {path}: missing column(s) {', '.join(missing)}; a CSV trace needs "
                f"{','.join(AZURE_COLUMNS)} (got {','.join(header) or 'no header'})")
        for row_no, row in enumerate(reader, start=2):
            if limit is not None and len(times) >= limit:
                break
            cells = {k.strip(): v for k, v in row.items() if k is not None}
            for col in AZURE_COLUMNS:
                if cells.get(col) in (None, ""):
                    raise SiliconomicsError(f"trace {path}: row {row_no}, column {col}: empty")
            times.append(_parse_time(path, row_no, "TIMESTAMP", cells["TIMESTAMP"]))
            ins.append(_parse_int(path, row_no, "ContextTokens", cells["ContextTokens"]))
            outs.append(_parse_int(path, row_no, "GeneratedTokens", cells["GeneratedTokens"]))
    return times, ins, outs


def _read_jsonl(path: Path, text: str, limit: int | None
                ) -> tuple[list[float], list[int], list[int]]:
    times: list[float] = []
    ins: list[int] = []
    outs: list[int] = []
    for row_no, line in enumerate(text.split("\n"), start=1):
        if limit is not None and len(times) >= limit:
            break
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise SiliconomicsError(f"trace {path}: row {row_no}: not valid JSON ({exc.msg})"
                                    ) from None
        except (ValueError, RecursionError) as exc:
            raise SiliconomicsError(f"trace {path}: row {row_no}: not valid JSON ({exc})"
                                    ) from None
        if not isinstance(obj, dict):
            raise SiliconomicsError(f"trace {path}: row {row_no}: expected a JSON object")
        missing = [f for f in JSONL_FIELDS if f not in obj]
        if missing:
            raise SiliconomicsError(
                f"trace {path}: row {row_no}: missing field(s) {', '.join(missing)}; each "
                f"line needs {', '.join(JSONL_FIELDS)}")
        t = _parse_time(path, row_no, "arrival_time_s", str(obj["arrival_time_s"]))
        if t < 0:
            raise SiliconomicsError(
                f"trace {path}: row {row_no}, column arrival_time_s: negative time {t}")
        times.append(t)
        ins.append(_parse_int(path, row_no, "input_tokens", obj["input_tokens"]))
        outs.append(_parse_int(path, row_no, "output_tokens", obj["output_tokens"]))
    return times, ins, outs


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def write_trace(requests: Requests, path: str | Path) -> Path:
    """Write requests as JSONL (``.jsonl``) or Azure-format CSV (anything else)."""
    path = Path(path)
    try:
        _write_trace(requests, path)
    except OSError as exc:
        raise SiliconomicsError(f"trace {path}: cannot write ({exc.strerror})") from None
    return path


def _write_trace(requests: Requests, path: Path) -> None:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open("w", encoding="utf-8") as handle:
            for t, i, o in zip(requests.arrival_s, requests.input_tokens,
                               requests.output_tokens, strict=True):
                handle.write(json.dumps({"arrival_time_s": round(float(t), 6),
                                         "input_tokens": int(i), "output_tokens": int(o)}) + "\n")
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(AZURE_COLUMNS)
            for t, i, o in zip(requests.arrival_s, requests.input_tokens,
                               requests.output_tokens, strict=True):
                writer.writerow([f"{float(t):.6f}", int(i), int(o)])
