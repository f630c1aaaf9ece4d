"""What the dashboard holds between requests: the loaded scenarios (fleets sized once, when
loaded) and the briefings of the what-ifs already computed (a small LRU keyed by scenario,
changed inputs, draws and seed). A what-if that does not touch serving never re-sizes a
fleet: it is the same :func:`~siliconomics.report.briefing.what_if` the tests call."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from siliconomics.economics.resolve import Scenario
from siliconomics.economics.study import as_scenario as load_scenario
from siliconomics.report.briefing import Briefing, what_if

#: Briefings kept (each holds the NPV draws: 10k draws x a few options x 8 bytes).
CACHE_SIZE = 32

Centrals = tuple[tuple[str, float], ...]


def centrals_key(centrals: Mapping[str, float]) -> Centrals:
    return tuple(sorted((k, float(v)) for k, v in centrals.items()))


@dataclass
class Session:
    """The dashboard's state: scenarios by key and the briefing cache (thread-safe)."""

    draws: int
    seed: int

    def __post_init__(self) -> None:
        self._scenarios: dict[str, Scenario] = {}
        self._cache: OrderedDict[tuple[str, Centrals, int, int], Briefing] = OrderedDict()
        self._lock = threading.Lock()

    def add_scenario(self, key: str, s: Scenario) -> str:
        with self._lock:
            self._scenarios[key] = s
        return key

    def load(self, ref: str) -> str:
        """Load a scenario by id or path (sizes its fleets) and return its key."""
        with self._lock:
            if ref in self._scenarios:
                return ref
        return self.add_scenario(ref, load_scenario(ref))

    def scenario(self, key: str) -> Scenario:
        return self._scenarios[key]

    def keys(self) -> list[str]:
        return list(self._scenarios)

    def briefing(self, key: str, centrals: Mapping[str, float] | None = None) -> Briefing:
        """The study of scenario ``key`` with ``centrals`` applied, computed once."""
        ck = (key, centrals_key(centrals or {}), self.draws, self.seed)
        with self._lock:
            hit = self._cache.get(ck)
            if hit is not None:
                self._cache.move_to_end(ck)
                return hit
            b = what_if(self._scenarios[key], dict(ck[1]), draws=self.draws, seed=self.seed)
            self._cache[ck] = b
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return b
