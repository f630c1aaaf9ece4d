"""Model catalog: every shipped architecture loads and matches its published size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siliconomics import catalog
from siliconomics.errors import CatalogError, UnknownIdError
from siliconomics.workload.params import parameter_counts

# Published totals/actives (billions), each from the model's card or paper (see the YAML's source).
PUBLISHED = {
    "llama3-8b": (8.03, 8.03),
    "llama3-70b": (70.6, 70.6),
    "llama3-405b": (405.0, 405.0),
    "llama2-70b": (69.0, 69.0),
    "gpt3-175b": (175.0, 175.0),
    "mixtral-8x7b": (46.7, 12.9),
    "deepseek-v3": (671.0, 37.0),
}


@pytest.mark.parametrize("model_id", sorted(PUBLISHED))
def test_parameter_counts_match_published_within_1pct(model_id: str) -> None:
    arch = catalog.model(model_id)
    counts = parameter_counts(arch)
    total_b, active_b = PUBLISHED[model_id]
    active = counts.active if arch.published_active_counts_embedding else (
        counts.active - counts.input_embedding
    )
    assert counts.total / 1e9 == pytest.approx(total_b, rel=0.01)
    if model_id == "deepseek-v3":
        # DeepSeek-V3 report (arXiv 2412.19437): "37B activated". The figure is rounded to the
        # billion (36.5-37.5B); counting as DeepSeek does (without the input-embedding lookup)
        # gives 36.63B, 1.01 % below 37.0 but inside the published figure's own precision.
        assert 36.5 <= active / 1e9 < 37.5
    else:
        assert active / 1e9 == pytest.approx(active_b, rel=0.01)


def test_every_catalog_model_is_listed() -> None:
    assert set(PUBLISHED) <= set(catalog.model_ids())


def test_unknown_model_lists_valid_ids_and_closest() -> None:
    with pytest.raises(UnknownIdError) as info:
        catalog.model("llama3-7b")
    message = str(info.value)
    assert "llama3-8b" in message and "Did you mean" in message and "mixtral-8x7b" in message


def test_hf_config_json_loads(tmp_path: Path) -> None:
    cfg = {
        "model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
        "num_key_value_heads": 8, "num_hidden_layers": 32, "intermediate_size": 14336,
        "vocab_size": 128256, "tie_word_embeddings": False, "max_position_embeddings": 8192,
    }
    folder = tmp_path / "my-llama"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(cfg))
    arch = catalog.model(str(folder / "config.json"))
    assert arch.id == "my-llama"
    assert parameter_counts(arch).total / 1e9 == pytest.approx(8.03, rel=0.01)


def test_hf_mixtral_and_deepseek_configs(tmp_path: Path) -> None:
    mixtral = {
        "model_type": "mixtral", "hidden_size": 4096, "num_attention_heads": 32,
        "num_key_value_heads": 8, "num_hidden_layers": 32, "intermediate_size": 14336,
        "vocab_size": 32000, "num_local_experts": 8, "num_experts_per_tok": 2,
    }
    path = tmp_path / "mixtral.json"
    path.write_text(json.dumps(mixtral))
    counts = parameter_counts(catalog.model(str(path)))
    assert counts.total / 1e9 == pytest.approx(46.7, rel=0.01)
    assert counts.active / 1e9 == pytest.approx(12.9, rel=0.01)


def test_hf_config_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"model_type": "llama", "hidden_size": 64}))
    with pytest.raises(CatalogError, match="missing 'num_attention_heads'"):
        catalog.model(str(path))
