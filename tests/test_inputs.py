"""The input boundary (siliconomics.inputs): every rule gives one line naming the path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from siliconomics.errors import CatalogError, SiliconomicsError
from siliconomics.inputs import (
    MAX_VALUES,
    SPEC_MAX_BYTES,
    check_output_path,
    load_json,
    load_yaml,
    parse_model,
    read_text,
)


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text, text
    return text


def test_read_text_missing_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(CatalogError) as exc:
        read_text(path, what="hardware file")
    assert _one_line(exc) == f"hardware file {path}: not found"


def test_read_text_folder_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="is a folder, expected a file"):
        read_text(tmp_path, what="hardware file")


def test_read_text_too_large_refused_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:  # sparse: 50 MiB on paper, nothing written
        handle.truncate(50 * 2**20)
    with pytest.raises(CatalogError) as exc:
        read_text(path, what="hardware file")
    assert "50.0 MiB, larger than the 5.0 MiB limit" in _one_line(exc)
    assert str(path) in str(exc.value)


def test_read_text_limit_is_a_parameter(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("x" * 2000)
    assert len(read_text(path, what="trace", max_bytes=4096)) == 2000
    with pytest.raises(CatalogError, match="limit for a trace"):
        read_text(path, what="trace", max_bytes=1024)


def test_read_text_device_without_size_stops_at_limit() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(CatalogError, match=r"larger than the 1\.0 KiB limit"):
        read_text("/dev/zero", what="trace", max_bytes=1024)


def test_read_text_not_utf8_names_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: x\nname: Gr\u00fcn\n".encode("latin-1"))
    with pytest.raises(CatalogError) as exc:
        read_text(path, what="hardware file")
    assert _one_line(exc).startswith(f"hardware file {path}:2: not UTF-8 text (byte 0xfc")


def test_read_text_drops_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_text(path, what="file") == "a: 1\n"


def test_load_yaml_syntax_error_gives_file_line_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(CatalogError) as exc:
        load_yaml(path, what="model file")
    text = _one_line(exc)
    assert text.startswith(f"model file {path}:")
    line = int(text.split(f"{path}:")[1].split(":")[0])
    assert line in (2, 3, 4)
    assert "not valid YAML" in text


def test_load_yaml_refuses_python_tags(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("a: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_yaml(path, what="file")


def test_load_yaml_requires_mapping_by_default(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(CatalogError, match=r"expected a mapping .* got list"):
        load_yaml(path, what="file")
    assert load_yaml(path, what="file", expect="list") == [1, 2]
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(CatalogError, match="got nothing"):
        load_yaml(empty, what="file")


def test_load_yaml_alias_bomb_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CatalogError, match=f"more than {MAX_VALUES:,} values"):
        load_yaml(path, what="file")


def test_load_yaml_deep_nesting_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(CatalogError, match=r"nested too deeply|not valid YAML"):
        load_yaml(path, what="file")


def test_load_json_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"a": 1,\n "b": }')
    with pytest.raises(CatalogError) as exc:
        load_json(path, what="Hugging Face config")
    assert _one_line(exc).startswith(f"Hugging Face config {path}:2:")
    path.write_text('{"a": NaN}')
    with pytest.raises(CatalogError, match="NaN is not a number siliconomics accepts"):
        load_json(path, what="file")
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CatalogError, match="nested too deeply"):
        load_json(path, what="file", expect="any")
    path.write_text('{"a": [1, 2]}')
    assert load_json(path, what="file") == {"a": [1, 2]}


def test_spec_limit_documented_value() -> None:
    assert SPEC_MAX_BYTES == 5 * 2**20


# --- output paths ------------------------------------------------------------------------------


def test_check_output_path_accepts_new_file(tmp_path: Path) -> None:
    assert check_output_path(tmp_path / "out.yaml", what="--out") == tmp_path / "out.yaml"


def test_check_output_path_refuses_folder_for_file(tmp_path: Path) -> None:
    with pytest.raises(SiliconomicsError) as exc:
        check_output_path(tmp_path, what="--out")
    assert "is a folder; give a file name" in _one_line(exc)


def test_check_output_path_refuses_missing_parent(tmp_path: Path) -> None:
    with pytest.raises(SiliconomicsError, match="does not exist"):
        check_output_path(tmp_path / "no" / "such" / "out.yaml", what="--out")


def test_check_output_path_refuses_file_as_parent(tmp_path: Path) -> None:
    parent = tmp_path / "plain"
    parent.write_text("x")
    with pytest.raises(SiliconomicsError, match="is a file, not a folder"):
        check_output_path(parent / "out.yaml", what="--out")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_check_output_path_refuses_unwritable_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(SiliconomicsError, match="is not writable"):
            check_output_path(locked / "out.yaml", what="--out")
    finally:
        locked.chmod(0o700)


def test_check_output_path_directory_mode(tmp_path: Path) -> None:
    assert check_output_path(tmp_path / "new" / "deep", what="--out-dir", directory=True)
    plain = tmp_path / "f"
    plain.write_text("x")
    with pytest.raises(SiliconomicsError, match="is a file, expected a folder"):
        check_output_path(plain, what="--out-dir", directory=True)


# --- pydantic -> one line -----------------------------------------------------------------------


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rate_req_s: float = Field(gt=0)
    kind: Literal["a", "b"] = "a"


class _Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    serving: _Inner | None = None
    items: list[_Inner] = Field(default_factory=list)


def test_parse_model_ok() -> None:
    spec = parse_model(_Outer, {"name": "x", "serving": {"rate_req_s": 2}}, where="f.yaml")
    assert spec.serving is not None and spec.serving.rate_req_s == 2


def test_parse_model_unknown_top_level_key_suggests_closest() -> None:
    with pytest.raises(CatalogError) as exc:
        parse_model(_Outer, {"name": "x", "servng": {"rate_req_s": 1}}, where="s.yaml")
    text = _one_line(exc)
    assert text.startswith("s.yaml: unknown key 'servng'; did you mean 'serving'?")
    assert "Valid keys here: name, serving, items" in text


def test_parse_model_unknown_nested_key_suggests_from_nested_model() -> None:
    data = {"name": "x", "items": [{"rate_req_s": 1}, {"rate_rq_s": 1}]}
    with pytest.raises(CatalogError) as exc:
        parse_model(_Outer, data, where="s.yaml")
    text = _one_line(exc)
    assert "unknown key 'items.1.rate_rq_s'; did you mean 'rate_req_s'?" in text


def test_parse_model_bound_names_field_rule_value() -> None:
    with pytest.raises(CatalogError) as exc:
        parse_model(_Outer, {"name": "x", "serving": {"rate_req_s": -3}}, where="s.yaml")
    assert _one_line(exc) == "s.yaml: field 'serving.rate_req_s': Input should be greater than 0 (got -3)"


def test_parse_model_missing_field_and_not_a_mapping() -> None:
    with pytest.raises(CatalogError, match="field 'name': required but missing"):
        parse_model(_Outer, {}, where="s.yaml")
    with pytest.raises(CatalogError, match=r"s\.yaml: expected a mapping .* got list"):
        parse_model(_Outer, [1], where="s.yaml")


def test_parse_model_long_value_is_truncated_and_error_class_chosen() -> None:
    with pytest.raises(SiliconomicsError) as exc:
        parse_model(_Outer, {"name": "x", "serving": {"rate_req_s": "9" * 500 + "x"}},
                    where="options", error=SiliconomicsError)
    text = _one_line(exc)
    assert len(text) < 250
    assert type(exc.value) is SiliconomicsError


def test_libyaml_loader_reads_every_shipped_file_as_safe_load_does() -> None:
    """parse_yaml_text uses libyaml's safe loader when PyYAML has it; every YAML file the
    package ships must parse to the same data as the pure-Python ``yaml.safe_load``."""
    import yaml

    from siliconomics.inputs import _safe_load

    package = Path(__file__).resolve().parents[1] / "src" / "siliconomics"
    files = sorted(package.rglob("*.yaml")) + sorted(package.rglob("*.yml"))
    assert len(files) > 50
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert _safe_load(text) == yaml.safe_load(text), path
