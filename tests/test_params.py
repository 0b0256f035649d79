from pathlib import Path

import pytest

from s1lib.params import ParamsError, load_params, profile_file


PROFILES = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "params").glob("*.yaml"))


@pytest.mark.parametrize("profile", PROFILES)
def test_profiles_validate(profile):
    assert load_params(profile_file(profile)).profile == profile


def test_every_profile_is_tested():
    assert {"smoke", "mini", "paper", "gpu-1.5b"} <= set(PROFILES)


def test_mini_extends_smoke_and_takes_the_miniatures_recipes_whole():
    from s1lib.params import MiniParams, MiniPoolParams

    mini, smoke = load_params("params/mini.yaml"), load_params("params/smoke.yaml")
    assert "extends: smoke" in Path("params/mini.yaml").read_text()
    for section in ("model", "engine", "forcing", "eval", "sweep", "data", "train"):
        assert getattr(mini, section) == getattr(smoke, section), section
    assert (mini.mini.n_test, mini.mini.train.max_steps, smoke.mini.train.max_steps) == (200, 40, 30)
    default_pool = load_params("params/smoke.yaml", {"mini_pool": MiniPoolParams().model_dump()}).mini_pool
    assert mini.mini_pool == default_pool != smoke.mini_pool
    assert mini.mini.train == load_params("params/smoke.yaml", {"mini": MiniParams().model_dump()}).mini.train


def test_extends_merges_key_by_key_and_default_resets_a_section(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "profile: base\nforcing:\n  max_thinking: 10\n  ignore: 2\nmini:\n  n_test: 5\n  train:\n    max_steps: 3\n"
    )
    child = _write(tmp_path, "extends: base.yaml\nprofile: child\nforcing:\n  ignore: 1\nmini:\n  train: default\n")
    p = load_params(child)
    assert (p.profile, p.forcing.max_thinking, p.forcing.ignore, p.mini.n_test) == ("child", 10, 1, 5)
    assert p.mini.train.max_steps == 40  # the miniature's own recipe, not the base's 3 steps
    with pytest.raises(ParamsError, match="names no `profile:`"):
        load_params(_write(tmp_path, "extends: base.yaml\nforcing:\n  ignore: 1\n"))
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nprofile: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nprofile: b\n")
    with pytest.raises(ParamsError, match="extends it back"):
        load_params(tmp_path / "a.yaml")
    with pytest.raises(ParamsError, match="no such params file"):
        load_params(_write(tmp_path, "extends: nowhere\nprofile: x\n"))
    with pytest.raises(ParamsError, match="base.yaml.*forcing.ignore|forcing.ignore"):
        load_params(_write(tmp_path, "extends: base.yaml\nprofile: x\nforcing:\n  ignore: -1\n"))


def test_paper_profile_holds_the_published_recipe():
    p = load_params("params/paper.yaml")
    t = p.train
    assert (p.model.name, p.data.train_set) == ("Qwen/Qwen2.5-32B-Instruct", "s1K")
    assert (t.learning_rate, t.num_train_epochs, t.global_batch_size, t.warmup_steps) == (1e-5, 5, 16, 0.05)
    assert (t.adam_beta1, t.adam_beta2, t.weight_decay, t.bf16, t.max_length) == (0.9, 0.95, 1e-4, True, 32768)
    assert t.lr_scheduler_type == "cosine" and p.engine.name == "vllm" and p.engine.tensor_parallel_size > 1
    assert p.sweep.budgets[-1] == "auto" and p.sweep.ignores == [1, 2, 4, 6]


def _write(tmp_path, text):
    f = tmp_path / "p.yaml"
    f.write_text(text)
    return f


def test_unknown_key_names_file_and_key(tmp_path):
    f = _write(tmp_path, "profile: x\ntrain:\n  lerning_rate: 1.0e-5\n")
    with pytest.raises(ParamsError) as err:
        load_params(f)
    assert str(f) in str(err.value) and "train.lerning_rate" in str(err.value) and "unknown key" in str(err.value)


def test_wrong_type_names_key_and_expectation(tmp_path):
    f = _write(tmp_path, "profile: x\ntrain:\n  num_train_epochs: five\n")
    with pytest.raises(ParamsError, match=r"train\.num_train_epochs: .*number.*'five'"):
        load_params(f)


@pytest.mark.parametrize(
    "body, key",
    [
        ("forcing:\n  max_thinking: -3\n", "forcing.max_thinking"),
        ("forcing:\n  max_thinking: 10\n  min_thinking: 20\n", "min_thinking"),
        ("forcing:\n  rejection_tries: 4\n", "temperature > 0"),
        ("engine:\n  name: sglang\n", "engine.name"),
        ("train:\n  warmup_steps: -1\n", "train.warmup_steps"),
    ],
)
def test_impossible_values_fail_before_work(tmp_path, body, key):
    with pytest.raises(ParamsError, match=key.replace(".", r"\.")):
        load_params(_write(tmp_path, "profile: x\n" + body))


@pytest.mark.parametrize(
    "body, key",
    [
        ("forcing:\n  max_thinking: true\n", "forcing.max_thinking"),
        ("forcing:\n  temperature: true\n", "forcing.temperature"),
        ("engine:\n  batch_size: yes\n", "engine.batch_size"),  # YAML 1.1: yes is true
        ("sweep:\n  budgets: [512, true]\n", "sweep.budgets"),
        ("train:\n  learning_rate: false\n", "train.learning_rate"),
        ("mini_pool:\n  domain_shares: {letters: true}\n", "mini_pool.domain_shares"),
    ],
)
def test_a_boolean_is_not_a_number(tmp_path, body, key):
    with pytest.raises(ParamsError, match=key.replace(".", r"\.") + ".*boolean"):
        load_params(_write(tmp_path, "profile: x\n" + body))


def test_booleans_stay_booleans_where_a_setting_is_one(tmp_path):
    assert load_params(_write(tmp_path, "profile: x\ntrain:\n  keep_checkpoints: true\n")).train.keep_checkpoints


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ParamsError, match="no such params file"):
        load_params(tmp_path / "nope.yaml")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(_write(tmp_path, "profile: [unclosed\n"))


def test_overrides_win_and_are_validated():
    p = load_params("params/smoke.yaml", {"forcing": {"ignore": 3}})
    assert p.forcing.ignore == 3 and p.forcing.max_thinking == 64  # untouched keys keep the file's value
    with pytest.raises(ParamsError, match="forcing.ignore"):
        load_params("params/smoke.yaml", {"forcing": {"ignore": -1}})


def test_a_nested_section_given_in_part_completes_its_own_default(tmp_path):
    """`mini.train` defaults to the miniature's recipe, not TrainParams' (the paper's): a profile or an override
    that sets one of its fields keeps the rest of the miniature's recipe."""
    from s1lib.params import MiniPoolParams, Params, TrainParams

    path = tmp_path / "p.yaml"
    path.write_text(
        "profile: t\nmini:\n  train:\n    max_steps: 30\nmini_pool:\n  forcing:\n    max_answer: 4\n"
        "train:\n  max_steps: 3\n"
    )
    params, defaults = load_params(path), Params(profile="t")  # defaults with their precision resolved, as loaded
    assert params.mini.train == defaults.mini.train.model_copy(update={"max_steps": 30})
    assert params.mini.train.learning_rate != TrainParams().learning_rate  # the miniature's, not the paper's
    assert params.mini_pool.forcing.max_thinking == MiniPoolParams().forcing.max_thinking
    assert params.mini_pool.forcing.max_answer == 4
    assert params.train == TrainParams(max_steps=3)  # a top-level section's default is its class's
    overridden = load_params(path, {"mini_pool": {"train": {"save_steps": 2}}})
    assert overridden.mini_pool.train == defaults.mini_pool.train.model_copy(update={"save_steps": 2})
    with pytest.raises(ParamsError, match="mini.train.max_stepz"):
        load_params(path, {"mini": {"train": {"max_stepz": 1}}})


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_becomes_what_the_device_runs_natively(monkeypatch, native):
    """The CPU profiles say `auto`: bf16 on CPUs with bf16 kernels, float32 where torch's bf16 fallback crawls.
    It is resolved at load, so run folders and cache keys see the precision used; explicit values stay."""
    monkeypatch.setattr("s1lib.precision.native_bf16", lambda device: native)
    p = load_params("params/smoke.yaml")
    dtype = "bfloat16" if native else "float32"
    assert (p.model.dtype, p.mini.dtype) == (dtype, dtype)
    assert p.train.bf16 is native and p.mini.train.bf16 is native and p.mini_pool.train.bf16 is native
    explicit = load_params(
        "params/smoke.yaml",
        {
            "model": {"dtype": "float16"},
            "train": {"bf16": False},
            "mini": {"dtype": "float32", "train": {"bf16": True}},
        },
    )
    assert (explicit.model.dtype, explicit.train.bf16) == ("float16", False)
    assert (explicit.mini.dtype, explicit.mini.train.bf16) == ("float32", True)


def test_native_bf16_is_decided_per_device():
    from s1lib.precision import native_bf16, resolve_bf16, resolve_dtype

    assert isinstance(native_bf16("cpu"), bool)
    assert native_bf16("mps") is False and resolve_dtype("auto", "mps") == "float32"
    assert resolve_dtype("float16", "cpu") == "float16" and resolve_bf16(True, "mps") is True
    assert resolve_dtype("auto", "cpu") == ("bfloat16" if native_bf16("cpu") else "float32")
