"""A cache of sized fleets, keyed by everything that determines one.

:func:`siliconomics.serving.fleet.size_fleet` looks here first, so study, design search and
dashboard share sized fleets without knowing about the cache. The key is a SHA-256 digest of
the canonical JSON of the inputs that determine a fleet: the traffic (users, queries, diurnal
shape, length distributions, arrivals), the deployment (model, accelerator, tp/pp/ep,
dtypes, scheduler settings, mode), the SLO, the seed and the sizing settings
(headroom, capacity seeds, sampled replicas, requests per simulation), the software stack
by its content (profile, vendors, fitted fractions; not its id, so equal stacks under two
names share fleets), a calibration object the deployment carries (in full), and the contents
of any model or accelerator given as a file path (so an edited design file is a different
fleet). The disk layer adds a digest of the package's own
code and data, so a new version never reads an old version's fleets. Which simulator core
ran is not in the key: both give identical results.

Layers, chosen by the environment variable ``SILICONOMICS_FLEET_CACHE``:

* ``memory`` (the library's default): a per-process LRU of :data:`MEMORY_ENTRIES` fleets;
* ``disk`` (the ``siliconomics`` command's default, :func:`use_disk_by_default`): memory,
  then one JSON file per fleet under ``$SILICONOMICS_CACHE_DIR/fleets`` (default
  ``$XDG_CACHE_HOME/siliconomics`` or ``~/.cache/siliconomics``), so a new process (a second
  ``study`` run, a dashboard restart) reuses fleets sized before;
* ``off``: no caching.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from siliconomics.errors import SiliconomicsError

MEMORY_ENTRIES = 512
"""Fleets kept in memory per process (a FleetResult is a few hundred bytes)."""
ENV_MODE = "SILICONOMICS_FLEET_CACHE"
ENV_DIR = "SILICONOMICS_CACHE_DIR"
Mode = Literal["memory", "disk", "off"]
MODES: tuple[Mode, ...] = ("memory", "disk", "off")
_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_CODE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".csv", ".jsonl")


_default: dict[str, Any] = {"mode": "memory", "best_effort": False}
"""The mode when ``SILICONOMICS_FLEET_CACHE`` is not set, and whether it is a default the
user did not ask for (so a directory that cannot be written degrades instead of failing)."""


def use_disk_by_default() -> None:
    """Make the disk layer this process's default (the ``siliconomics`` command calls it:
    a second run reuses the fleets of the first; the key carries a digest of the package's
    code and data, so a changed version never reads old fleets). Best effort: if the cache
    directory cannot be written, one warning, and fleets stay in memory. An explicit
    ``SILICONOMICS_FLEET_CACHE`` still decides, and an explicit ``disk`` that cannot write
    is an error."""
    _default.update(mode="disk", best_effort=True)


def cache_mode() -> Mode:
    """The layer setting from ``SILICONOMICS_FLEET_CACHE``, else the process default
    (one-line error if unknown)."""
    raw = os.environ.get(ENV_MODE, "").strip().lower()
    if not raw:
        mode_default: Mode = _default["mode"]
        return mode_default
    for mode in MODES:
        if raw == mode:
            return mode
    raise SiliconomicsError(f"environment variable {ENV_MODE}={raw!r} is not a cache mode; "
                            f"use one of {', '.join(MODES)}")


def cache_dir() -> Path:
    """Directory of the disk layer [path]: ``$SILICONOMICS_CACHE_DIR/fleets``, else the
    user cache directory (XDG)."""
    base = os.environ.get(ENV_DIR)
    if base:
        return Path(base).expanduser() / "fleets"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return root / "siliconomics" / "fleets"


def _canonical(value: Any) -> Any:
    """A JSON-able form of ``value`` that is equal exactly when the inputs are."""
    if isinstance(value, BaseModel):
        return {"__type__": type(value).__name__, **value.model_dump(mode="json")}
    if is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__, **_canonical(asdict(value))}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    raise TypeError(f"fleet cache key: cannot canonicalise a {type(value).__name__}")


def _file_digest(ref: str) -> str | None:
    """SHA-256 of a model or accelerator given as a file path; None for a catalog id."""
    if "/" not in ref and "\\" not in ref and not ref.endswith((".yaml", ".yml", ".json")):
        return None
    path = Path(ref).expanduser()
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"  # size_fleet reports the problem itself


_STACK_LABELS = frozenset({"id", "name", "fitted_on", "source"})
"""Fields of a software stack that name and document it but do not change a fleet."""


def _stack_content(stack: Any) -> Any:
    """What of a deployment's software stack determines a fleet: its kernel profile, the
    vendors it runs on and its fitted fractions, not its id, name or provenance. A stack
    given by id or path is resolved first, so the reference ``production``, its object and
    an equal stack under another id (``inhouse@1``, the in-house stack fully mature) share
    fleets. ``auto`` (the chip vendor's default) and a stack that does not resolve stay as
    given (``size_fleet`` reports the problem itself)."""
    from siliconomics.perf.stacks import Stack, resolve_stack

    if isinstance(stack, str) and stack != "auto":
        try:
            stack = resolve_stack(stack)
        except (SiliconomicsError, ValueError, OSError):
            return stack
    if isinstance(stack, Stack):
        return {k: v for k, v in _canonical(stack).items() if k not in _STACK_LABELS}
    return _canonical(stack)


def _deployment_objects(deployment: Any) -> dict[str, Any]:
    """Objects a deployment carries that change the fleet, in full: a kernel calibration
    (not in its JSON dump) and the software stack by its content (:func:`_stack_content`;
    the dump's own ``stack`` entry is replaced by it in :func:`fleet_key`)."""
    out: dict[str, Any] = {}
    value = getattr(deployment, "calibration", None)
    if isinstance(value, BaseModel):
        out["calibration"] = _canonical(value)
    if hasattr(deployment, "stack"):
        out["stack"] = _stack_content(deployment.stack)
    return out


@lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 over the package's source and data files (names and contents)."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*")):
        if path.suffix in _CODE_SUFFIXES and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(_PACKAGE_DIR)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def fleet_key(**inputs: Any) -> str:
    """The cache key [hex digest] of a fleet's inputs (keyword name -> value); a
    ``deployment`` also contributes the contents of its model and hardware files."""
    doc = {name: _canonical(value) for name, value in inputs.items()}
    deployment = inputs.get("deployment")
    if deployment is not None:
        doc["files"] = [_file_digest(deployment.model), _file_digest(deployment.hardware)]
        doc["objects"] = _deployment_objects(deployment)
        if isinstance(doc["deployment"], dict):
            doc["deployment"].pop("stack", None)  # keyed by its content, in "objects"
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


class FleetCache:
    """Memory LRU of result objects plus an optional directory of JSON files (module doc).

    ``encode`` turns a result into a JSON-able dict and ``decode`` back (the caller's
    :meth:`FleetResult.to_dict` / :meth:`FleetResult.from_dict`; results are frozen, so the
    memory layer hands out the same object).
    """

    def __init__(self, entries: int = MEMORY_ENTRIES) -> None:
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._entries = entries
        self.hits = 0
        self.misses = 0

    def get(self, key: str, mode: Mode, decode: Callable[[dict[str, Any]], Any]) -> Any | None:
        """The stored result for ``key``, or None."""
        if mode == "off":
            return None
        found = self._memory.get(key)
        if found is None and mode == "disk":
            data = self._read(key)
            if data is not None:
                found = decode(data)
                self._remember(key, found)
        if found is None:
            self.misses += 1
            return None
        self._memory.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key: str, value: Any, mode: Mode,
            encode: Callable[[Any], dict[str, Any]]) -> None:
        """Store ``value`` under ``key`` (and on disk as ``encode(value)`` in disk mode)."""
        if mode == "off":
            return
        self._remember(key, value)
        if mode == "disk":
            self._write(key, encode(value))

    def clear(self) -> None:
        """Forget the in-memory results (the disk layer is left alone)."""
        self._memory.clear()
        self.hits = self.misses = 0

    def _remember(self, key: str, value: Any) -> None:
        self._memory[key] = value
        self._memory.move_to_end(key)
        while len(self._memory) > self._entries:
            self._memory.popitem(last=False)

    @staticmethod
    def _path(key: str) -> Path:
        return cache_dir() / f"{code_digest()[:16]}-{key}.json"

    def _read(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent or half-written by a crashed run: size again
        return data if isinstance(data, dict) else None

    def _write(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(value, allow_nan=True), encoding="utf-8")
            tmp.replace(path)  # atomic: parallel workers never see a partial file
        except OSError as exc:
            if _default["best_effort"] and not os.environ.get(ENV_MODE, "").strip():
                _default.update(mode="memory", best_effort=False)
                print(f"warning: fleet cache: cannot write {path} ({exc.strerror}); sized "
                      f"fleets are kept in memory only (set {ENV_DIR} to a writable "
                      "directory to reuse them across runs)", file=sys.stderr)
                return
            raise SiliconomicsError(f"fleet cache: cannot write {path} ({exc.strerror}); "
                                    f"set {ENV_DIR} to a writable directory or "
                                    f"{ENV_MODE}=memory") from None


FLEETS = FleetCache()
"""The process-wide fleet cache used by :func:`~siliconomics.serving.fleet.size_fleet`."""
