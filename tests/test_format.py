from s1lib.format import inference_prompt, sft_text

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


def test_inference_prompt_ends_with_think_delimiter(qwen_tokenizer, smol_tokenizer):
    assert inference_prompt(qwen_tokenizer, "Q?") == (
        QWEN_SYSTEM + "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n<|im_start|>think")
    assert inference_prompt(smol_tokenizer, "Q?") == (
        SMOL_SYSTEM + "<|im_start|>user\nQ?<|im_end|>\n<|im_start|>assistant\n<|im_start|>think")
