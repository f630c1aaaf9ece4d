"""The input boundary: one path for every file siliconomics reads or writes.

Every file a user (or the shipped catalog) hands the tool goes through these functions, so
each rule is checked once and explained the same way:

- :func:`read_text` — the file exists, is a file (not a folder), is no larger than a size
  limit, and is UTF-8 text. Limits: :data:`SPEC_MAX_BYTES` (5 MiB) for YAML/JSON specs
  (hardware, models, Hugging Face configs, chip designs, scenarios, calibrations, fleets);
  :data:`DATA_MAX_BYTES` (256 MiB) for data files (request traces, measurements).
- :func:`load_yaml` / :func:`load_json` — ``yaml.safe_load`` / ``json`` only (no object
  construction from tags), a syntax error reported as ``path:line:column``, NaN/Infinity
  refused in JSON, a nesting or alias-expansion bomb refused.
- :func:`parse_model` — a pydantic validation error condensed to one line naming the field,
  the rule and the value received; an unknown key is reported with the closest valid name.
- :func:`check_output_path` — an output path is checked before any work starts: not a
  folder where a file is expected, its folder exists and is writable.

Every failure raises :class:`~siliconomics.errors.SiliconomicsError` (a
:class:`~siliconomics.errors.CatalogError` for files) with a one-line message.
"""

from __future__ import annotations

import difflib
import json
import os
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from siliconomics.errors import CatalogError, SiliconomicsError

MIB = 2**20
SPEC_MAX_BYTES = 5 * MIB
"""Largest YAML/JSON spec file read [B] (5 MiB; the largest shipped spec is a few kB)."""
DATA_MAX_BYTES = 256 * MIB
"""Largest data file read — request traces, measurement files [B] (256 MiB, several million
trace rows)."""
MAX_VALUES = 1_000_000
"""Most values (mapping entries, list items, scalars) one parsed file may hold; a YAML file
whose aliases expand past this is refused (a "billion laughs" file) before it is used."""

ModelT = TypeVar("ModelT", bound=BaseModel)
Expect = Literal["mapping", "list", "any"]


def _mb(n_bytes: float) -> str:
    return f"{n_bytes / MIB:.1f} MiB" if n_bytes >= MIB else f"{n_bytes / 1024:.1f} KiB"


def read_text(path: str | os.PathLike[str], *, what: str, max_bytes: int = SPEC_MAX_BYTES) -> str:
    """The text of a file, after checking it is a readable UTF-8 file of at most ``max_bytes``.

    ``what`` names the file's role in the message (``"hardware file"``, ``"trace"``). Never
    reads more than ``max_bytes + 1`` bytes, so a huge file or a device is refused at once.
    A UTF-8 byte-order mark is dropped.
    """
    p = Path(path)
    try:
        if not p.exists():
            raise CatalogError(f"{what} {p}: not found")
        if p.is_dir():
            raise CatalogError(f"{what} {p}: is a folder, expected a file")
        size = p.stat().st_size
        if size > max_bytes:
            raise CatalogError(
                f"{what} {p}: file is {_mb(size)}, larger than the {_mb(max_bytes)} limit for a {what}"
            )
        with p.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except PermissionError:
        raise CatalogError(f"{what} {p}: cannot read (permission denied)") from None
    except OSError as exc:
        raise CatalogError(f"{what} {p}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:
        raise CatalogError(f"{what} {p}: larger than the {_mb(max_bytes)} limit for a {what}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CatalogError(
            f"{what} {p}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}); save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _check_shape(data: Any, *, where: str, expect: Expect) -> None:
    if expect == "mapping" and not isinstance(data, dict):
        raise CatalogError(f"{where}: expected a mapping (key: value) at the top level, "
                           f"got {_kind(data)}")
    if expect == "list" and not isinstance(data, list):
        raise CatalogError(f"{where}: expected a list at the top level, got {_kind(data)}")


def _kind(data: Any) -> str:
    return "nothing (empty file)" if data is None else type(data).__name__


def _check_size(data: Any, *, where: str) -> None:
    """Refuse a parsed structure with more than :data:`MAX_VALUES` values (counted without
    recursion, stopping at the limit, so an alias bomb is refused quickly)."""
    stack: list[Any] = [data]
    count = 0
    while stack:
        item = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise CatalogError(
                f"{where}: holds more than {MAX_VALUES:,} values (YAML aliases expanding?); refused"
            )
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The safe loader on libyaml when PyYAML was built with it (the same documents and tags as
``yaml.SafeLoader``, about 10x faster: a study reads ~70 catalog files), else the pure-Python
one."""


def _safe_load(text: str) -> Any:
    """``yaml.safe_load`` on :data:`_SafeLoader`."""
    loader = _SafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def parse_yaml_text(text: str, *, where: str, expect: Expect = "mapping") -> Any:
    """Parse YAML text with ``yaml.safe_load``; ``where`` (a path) prefixes every message."""
    try:
        data = _safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = (exc.problem or exc.context or "syntax error").replace("\n", " ")
        raise CatalogError(f"{where}{at}: not valid YAML ({problem})") from None
    except yaml.YAMLError as exc:
        raise CatalogError(f"{where}: not valid YAML ({_one_line(str(exc))})") from None
    except RecursionError:
        raise CatalogError(f"{where}: nested too deeply to be a siliconomics file") from None
    _check_size(data, where=where)
    _check_shape(data, where=where, expect=expect)
    return data


def load_yaml(
    path: str | os.PathLike[str],
    *,
    what: str,
    max_bytes: int = SPEC_MAX_BYTES,
    expect: Expect = "mapping",
) -> Any:
    """A YAML file parsed with ``yaml.safe_load`` (a mapping at the top level by default).

    Errors are one line: ``<what> <path>:<line>:<column>: not valid YAML (<problem>)``.
    """
    text = read_text(path, what=what, max_bytes=max_bytes)
    return parse_yaml_text(text, where=f"{what} {Path(path)}", expect=expect)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number siliconomics accepts")


def parse_json_text(text: str, *, where: str, expect: Expect = "mapping") -> Any:
    """Parse JSON text; NaN and Infinity are refused, errors carry ``where:line:column``."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{where}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    except ValueError as exc:
        raise CatalogError(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:
        raise CatalogError(f"{where}: nested too deeply to be a siliconomics file") from None
    _check_size(data, where=where)
    _check_shape(data, where=where, expect=expect)
    return data


def load_json(
    path: str | os.PathLike[str],
    *,
    what: str,
    max_bytes: int = SPEC_MAX_BYTES,
    expect: Expect = "mapping",
) -> Any:
    """A JSON file (an object at the top level by default); see :func:`parse_json_text`."""
    text = read_text(path, what=what, max_bytes=max_bytes)
    return parse_json_text(text, where=f"{what} {Path(path)}", expect=expect)


def check_output_path(
    path: str | os.PathLike[str], *, what: str, directory: bool = False,
    create_parents: bool = False,
) -> Path:
    """Check, before any work starts, that ``path`` can be written; returns it as a Path.

    For a file (``directory=False``): it is not an existing folder, its folder exists (or,
    with ``create_parents``, its nearest existing ancestor is a folder) and is writable, and
    an existing file there is writable. For a folder: it is not an existing file, and it is
    writable, or its nearest existing ancestor is (the folders will be created).
    """
    p = Path(path)
    if directory:
        if p.exists() and not p.is_dir():
            raise SiliconomicsError(f"{what} {p}: is a file, expected a folder")
        _writable_ancestor(p, what=what, target=p)
        return p
    if p.is_dir():
        raise SiliconomicsError(f"{what} {p}: is a folder; give a file name (e.g. {p / 'out'}...)")
    parent = p.parent if str(p.parent) else Path(".")
    if create_parents:
        _writable_ancestor(parent, what=what, target=p)
    else:
        if not parent.exists():
            raise SiliconomicsError(f"{what} {p}: folder {parent} does not exist")
        if not parent.is_dir():
            raise SiliconomicsError(f"{what} {p}: {parent} is a file, not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise SiliconomicsError(f"{what} {p}: folder {parent} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise SiliconomicsError(f"{what} {p}: existing file is not writable")
    return p


def _writable_ancestor(folder: Path, *, what: str, target: Path) -> None:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise SiliconomicsError(f"{what} {target}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise SiliconomicsError(f"{what} {target}: folder {probe} is not writable")


# --- pydantic errors -> one line ---------------------------------------------------------------

_MAX_SHOWN = 3
_MAX_VALUE_CHARS = 60


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shown_value(value: Any) -> str:
    if isinstance(value, dict | list | tuple) or value is None:
        return ""
    text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return f" (got {text})"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic model classes inside a type annotation (through Optional, Union, list, dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    origin = typing.get_origin(annotation)
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            found.extend(_models_in(arg))
    return found


def _field_names(model_cls: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model_cls.model_fields.items()]


def _valid_keys_at(model_cls: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The valid keys of the model found by following ``loc`` from ``model_cls`` (best effort:
    list indexes and dict keys are stepped over; an unknown step returns no names)."""
    candidates: list[type[BaseModel]] = [model_cls]
    for part in loc:
        nxt: list[type[BaseModel]] = []
        for cls in candidates:
            by_key = {info.alias or name: info for name, info in cls.model_fields.items()}
            if isinstance(part, str) and part in by_key:
                nxt.extend(_models_in(by_key[part].annotation))
        if not nxt:
            # A list index, a dict key, or a union tag: the models stay the same.
            if isinstance(part, int) or not candidates:
                continue
            if all(part not in _field_names(c) for c in candidates):
                continue
            return []
        candidates = nxt
    names: list[str] = []
    for cls in candidates:
        names.extend(n for n in _field_names(cls) if n not in names)
    return names


def _error_text(model_cls: type[BaseModel], err: Mapping[str, Any]) -> str:
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden" and loc:
        valid = _valid_keys_at(model_cls, loc[:-1])
        message = unknown_key_message(str(loc[-1]), valid)
        return message.replace(f"'{loc[-1]}'", f"'{where}'", 1)
    if err["type"] == "missing":
        return f"field '{where}': required but missing"
    msg = _one_line(str(err["msg"]).removeprefix("Value error, "))
    if not loc:  # a whole-model rule: its message names the fields itself
        return msg
    return f"field '{where}': {msg}{_shown_value(err.get('input'))}"


def validation_error_message(
    where: str | os.PathLike[str], exc: ValidationError, model_cls: type[BaseModel] | None = None
) -> str:
    """One line from a pydantic :class:`ValidationError`: where, and for the first few
    problems the field path, the rule broken and the value received."""
    cls = model_cls if model_cls is not None else _model_of(exc)
    errors = exc.errors()
    parts = [_error_text(cls, err) if cls is not None else _error_text(BaseModel, err)
             for err in errors[:_MAX_SHOWN]]
    more = f" (+{len(errors) - _MAX_SHOWN} more)" if len(errors) > _MAX_SHOWN else ""
    return f"{where}: " + "; ".join(parts) + more


def _model_of(exc: ValidationError) -> type[BaseModel] | None:
    """The model class a ValidationError was raised for, when pydantic says which."""
    matches = [cls for cls in _all_models(BaseModel) if cls.__name__ == exc.title]
    return matches[0] if len(matches) == 1 else None


def _all_models(root: type[BaseModel]) -> list[type[BaseModel]]:
    out: list[type[BaseModel]] = []
    stack = list(root.__subclasses__())
    while stack:
        cls = stack.pop()
        out.append(cls)
        stack.extend(cls.__subclasses__())
    return out


def unknown_key_message(key: str, valid: Sequence[str]) -> str:
    """``unknown key 'servng'; did you mean 'serving'? Valid keys here: ...``."""
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    listed = f" Valid keys here: {', '.join(valid)}" if valid else ""
    return f"unknown key '{key}'{hint}{listed}"


def check_keys(
    data: Mapping[Any, Any],
    valid: Sequence[str],
    *,
    where: str | os.PathLike[str],
    error: type[SiliconomicsError] = CatalogError,
) -> None:
    """Refuse a key of ``data`` that is not in ``valid`` (for mappings read by hand rather
    than through a model), naming the closest valid key."""
    for key in data:
        if key not in valid:
            raise error(f"{where}: {unknown_key_message(str(key), valid)}")


def parse_model(
    model_cls: type[ModelT],
    data: Any,
    *,
    where: str | os.PathLike[str],
    error: type[SiliconomicsError] = CatalogError,
) -> ModelT:
    """Validate ``data`` into ``model_cls``; a problem is one :class:`SiliconomicsError` line
    naming ``where`` (a file path, or a description such as ``"options"``), the field, the rule
    and the value; an unknown key comes with the closest valid name."""
    if not isinstance(data, dict):
        raise error(f"{where}: expected a mapping (key: value), got {_kind(data)}")
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise error(validation_error_message(where, exc, model_cls)) from None
