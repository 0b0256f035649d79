from types import SimpleNamespace

from s1lib.format import sft_text
from s1lib.infer import Forcing
from s1lib.infer.generate import build_samples

QWEN_SYSTEM = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
SMOL_SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"


def test_sft_text_qwen_matches_official_string(qwen_tokenizer):
    text = sft_text(qwen_tokenizer, "What is 1+1?", ["First, 1+1.", "So 2."], "The answer is $\\boxed{2}$.")
    assert text == (
        QWEN_SYSTEM + "<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n"
        "<|im_start|>think\nFirst, 1+1.\nSo 2.\n<|im_start|>answer\nAnswer: The answer is $\\boxed{2}$.<|im_end|>\n"
    )


def test_sft_text_smollm_and_existing_answer_prefix(smol_tokenizer):
    text = sft_text(smol_tokenizer, "Q?", "  think hard \n", "Final Answer: 7 ")
    assert text == (
        SMOL_SYSTEM + "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n"
        "<|im_start|>think\nthink hard\n<|im_start|>answer\nFinal Answer: 7<|im_end|>\n"
    )


def test_what_the_model_continues_ends_with_the_think_delimiter(qwen_tokenizer, smol_tokenizer):
    """The ids every engine starts from (`build_samples`): the chat prompt, then `<|im_start|>think`, no newline."""

    def continued(tok):
        (sample,) = build_samples(SimpleNamespace(tokenizer=tok), ["Q?"], Forcing(max_thinking=8))
        return tok.decode(sample.ids)

    assert continued(qwen_tokenizer) == (
        QWEN_SYSTEM + "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n<|im_start|>think"
    )
    assert continued(smol_tokenizer) == (
        SMOL_SYSTEM + "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n<|im_start|>think"
    )
