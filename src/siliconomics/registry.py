"""Name -> object registries whose unknown-name error lists the valid names and the closest."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Generic, TypeVar

from siliconomics.errors import UnknownIdError

T = TypeVar("T")


def unknown_id_message(kind: str, name: str, valid: Iterable[str]) -> str:
    """One line: the unknown name, the closest valid one, and all valid ones."""
    names = sorted(valid)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.0)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"unknown {kind} '{name}'.{hint} Valid: {', '.join(names)}"


class Registry(Mapping[str, T], Generic[T]):
    """A read-only mapping from name to member that explains unknown names."""

    def __init__(self, kind: str, members: Mapping[str, T]) -> None:
        self._kind = kind
        self._members = dict(members)

    def __getitem__(self, name: str) -> T:
        try:
            return self._members[name]
        except KeyError:
            raise UnknownIdError(unknown_id_message(self._kind, name, self._members)) from None

    def __contains__(self, name: object) -> bool:
        return name in self._members

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)
