"""`s1lib` command line: generate, eval, select, train, plan, serve, distill, reproduce, site.

Every error a user can cause (`s1lib.errors.UserError`: a params file or flag that does not validate, a dataset row
or file that cannot be read, a model that does not load, a run folder made with other settings) prints one line
naming the file, row, field or flag, and exits 2; `--debug` shows the traceback. Ctrl-C exits 130 and, for eval
and train, the same command resumes.
"""

from __future__ import annotations

import argparse
import typing
import json
import sys
from pathlib import Path

import yaml

from s1lib.errors import UserError
from s1lib.params import load_params, merge, profile_file


def forcing_flags() -> list[str]:
    """The `Forcing` fields a flag sets: every one but the chat format (delimiters and stops), which is the model's."""
    from s1lib.infer.forcing import Forcing
    from s1lib.infer.stream import FORMAT

    return [name for name in Forcing.__pydantic_fields__ if name not in FORMAT]


def _add_forcing_args(p: argparse.ArgumentParser) -> None:
    """One flag per `Forcing` field (`--max-thinking`, `--ignore-str`, ...), its help from the field's description;
    the value is validated with the field, so a bad one names it."""
    from s1lib.infer.forcing import Forcing

    g = p.add_argument_group("budget forcing (defaults: the profile's `forcing` section)")
    for name in forcing_flags():
        info = Forcing.__pydantic_fields__[name]
        extra = "; 'none' for no cap" if name == "max_thinking" else ""
        words = typing.get_origin(info.annotation) is tuple
        g.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            metavar="W1,W2" if words else "V",
            type=(lambda text: tuple(w.strip() for w in text.split(","))) if words else None,
            help=f"{info.description or name}{extra}{' (comma-separated)' if words else ''}",
        )


def _settings(assignments: list[str] | None) -> dict:
    """`--set section.key=value` (repeatable) as nested overrides; values are read as YAML (numbers, lists, null)."""
    overrides: dict = {}
    for item in assignments or []:
        key, sep, value = item.partition("=")
        if not sep or not key or "" in key.split("."):
            raise UserError(f"--set {item!r}: expected section.key=value, e.g. --set train.learning_rate=1e-5")
        *sections, last = key.strip().split(".")
        node = overrides
        for section in sections:
            node = node.setdefault(section, {})
            if not isinstance(node, dict):
                raise UserError(f"--set {item!r}: {section} was set to a value by an earlier --set")
        node[last] = yaml.safe_load(value) if value.strip() else ""
    return overrides


def _params(args, overrides: dict):
    """The profile with `--set` assignments, and the flags over them; both validated as the file is."""
    source = args.params or profile_file(args.profile)
    return load_params(
        source, merge(_settings(getattr(args, "set", None)), overrides), overrides_from="command-line flags"
    )


def _overrides(args) -> dict:
    forcing = {k: getattr(args, k) for k in forcing_flags() if getattr(args, k, None) is not None}
    if forcing.get("max_thinking") == "none":
        forcing["max_thinking"] = None
    model = {"name": args.model} if getattr(args, "model", None) else {}
    engine = {"name": args.engine} if getattr(args, "engine", None) else {}
    if getattr(args, "batch_size", None) is not None:
        engine["batch_size"] = args.batch_size
    return {k: v for k, v in {"forcing": forcing, "model": model, "engine": engine}.items() if v}


def cmd_generate(args) -> int:
    from s1lib.infer import generate, make_engine

    params = _params(args, _overrides(args))
    engine = make_engine(params)
    results = generate(engine, args.question, params.forcing, progress=not args.json)
    for r in results:
        if args.json:
            print(json.dumps(r.to_dict()))
        else:
            from s1lib.display import render_terminal

            print(render_terminal(r))
    return 0


def cmd_eval(args) -> int:
    from s1lib.eval.runner import evaluate

    overrides = _overrides(args)
    ev = {
        k: v
        for k, v in {"limit": args.limit, "subset_seed": args.subset_seed, "grader": args.grader}.items()
        if v is not None
    }
    if ev:
        overrides["eval"] = ev
    params = _params(args, overrides)
    metrics = evaluate(params, args.benchmark, args.out, shard=tuple(args.shard) if args.shard else None)
    keys = (
        "benchmark",
        "n",
        "accuracy",
        "ci_low",
        "ci_high",
        "mean_thinking_tokens",
        "forced_end_rate",
        "config_hash",
    )
    print(json.dumps({k: metrics[k] for k in keys}))
    return 0


def cmd_select(args) -> int:
    from s1lib.data.pipeline import prepare, select, write_selection

    if args.n < 1:
        raise UserError(f"--n must be at least 1 (got {args.n})")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)  # a bad --out fails now, not after the selection
    params = _params(args, {})
    prepared = prepare(
        args.pool, args.against or params.data.decontaminate_against, params.data.ngram, params.data.min_level
    )
    sel = select(prepared, args.method, args.n, args.seed, params.data.math_seed_length)
    for problem in prepared.problems:
        print(f"skipped {problem}", file=sys.stderr)
    for note in sel.notes:
        print(f"s1lib select: {note}", file=sys.stderr)
    rows_path, summary_path = write_selection(
        sel,
        args.out,
        {
            "pool": args.pool,
            "method": args.method,
            "n": args.n,
            "seed": args.seed,
            "decontaminated_against": sorted(
                set(args.against or params.data.decontaminate_against) - set(prepared.skipped_eval_sets)
            ),
            "skipped_eval_sets": prepared.skipped_eval_sets,
            "malformed_rows": [str(p) for p in prepared.problems],
            "removed_by_decontamination": len(prepared.removed),
        },
    )
    print(json.dumps({"rows": str(rows_path), "summary": str(summary_path), "funnel": sel.funnel}))
    return 0


def cmd_train(args) -> int:
    from s1lib.train import train

    source = str(args.params or profile_file(args.profile))
    params = _params(args, {})
    final = train(params, args.subset, out=args.out, params_file=source)
    print(json.dumps({"final": str(final)}))
    return 0


def cmd_plan(args) -> int:
    from s1lib.plan import make_plan

    plan = make_plan(_params(args, {}), args.nodes, args.gpus_per_node, args.gpu_memory_gb)
    print(plan.render())
    return 1 if plan.problems else 0


def cmd_serve(args) -> int:
    from s1lib.paths import runs_dir
    from s1lib.serve import serve

    overrides = {"model": {"name": args.model}} if args.model else {}
    params = _params(args, overrides)
    return serve(
        params,
        args.host,
        args.port,
        runs_dir(params.profile) / "serve" / f"vllm-{args.port}.log",
        api_key=args.api_key,
        no_api_key=args.no_api_key,
        extra=args.vllm_options,
    )


def cmd_distill(args) -> int:
    from s1lib.distill import Prices, Settings, distill

    try:
        extra_body = json.loads(args.extra_body) if args.extra_body else {}
    except json.JSONDecodeError as err:
        raise UserError(f"--extra-body is not JSON: {err.msg}") from None
    settings = Settings(
        model=args.model,
        role=args.role,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        extra_body=extra_body,
        **({"column": args.column} if args.column else {}),
    )
    summary = distill(
        args.questions,
        settings,
        args.out,
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        concurrency=args.concurrency,
        limit=args.limit,
        timeout=args.timeout,
        max_retries=args.max_retries,
        prices=Prices(args.price_prompt, args.price_completion),
    )
    print(json.dumps(summary))
    return 1 if summary["failed"] else 0


def cmd_reproduce(args) -> int:
    from s1lib.reproduce import reproduce

    reproduce(str(args.params or profile_file(args.profile)), only=args.only)
    return 0


def cmd_site(args) -> int:
    from s1lib.params import load_params
    from s1lib.site import build

    profile = load_params(str(args.params or profile_file(args.profile))).profile
    print(f"wrote {build(profile, args.out)}")
    return 0


REFUSED = (
    "Refused before any work, with one message naming the file, key or flag (exit 2): unknown or mistyped "
    "params keys; sweep budgets that are not increasing positive numbers; counts and sizes below their minimum "
    "(--batch-size 0); max_generation beyond engine.max_model_len; a prompt or thinking budget longer than the "
    "model's context; dataset and training rows that are not UTF-8, not JSON or miss a field (named by file "
    "and line); run folders holding samples or checkpoints of other settings; a training set whose prompts "
    "all fill the block size. `s1lib --debug <command>` shows the traceback instead."
)


def build_parser() -> argparse.ArgumentParser:
    from s1lib.data.select import METHODS
    from s1lib.tasks import TASKS

    parser = argparse.ArgumentParser(
        prog="s1lib", description="s1: simple test-time scaling, reproduced.", epilog=REFUSED
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for user errors too")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_profile(p, settable=True):
        p.add_argument("--profile", default="smoke", help="params/<profile>.yaml (default: smoke)")
        p.add_argument("--params", help="a params file instead of a profile name")
        if settable:
            p.add_argument(
                "--set",
                action="append",
                metavar="SECTION.KEY=VALUE",
                help="change any profile setting, e.g. --set train.learning_rate=1e-5 (repeatable; "
                "validated like the file)",
            )
        return p

    g = with_profile(sub.add_parser("generate", help="answer questions with budget forcing", epilog=REFUSED))
    g.add_argument("question", nargs="+")
    g.add_argument("--model", help="hub id, local directory or alias (default: the profile's)")
    g.add_argument("--engine", choices=["hf", "vllm"])
    g.add_argument("--json", action="store_true", help="one JSON object per question")
    _add_forcing_args(g)
    g.set_defaults(func=cmd_generate)

    e = with_profile(sub.add_parser("eval", help="evaluate on a benchmark (resumable)", epilog=REFUSED))
    e.add_argument("--benchmark", required=True, choices=list(TASKS))
    e.add_argument("--out", required=True, help="run folder: samples.jsonl, metrics.json, config.json")
    e.add_argument("--model")
    e.add_argument("--engine", choices=["hf", "vllm"])
    e.add_argument("--limit", type=int)
    e.add_argument("--subset-seed", type=int)
    e.add_argument("--grader", choices=["rules", "llm-judge"])
    e.add_argument("--batch-size", type=int, help="sequences decoded together (hf engine)")
    e.add_argument("--shard", type=int, nargs=2, metavar=("I", "N"), help=argparse.SUPPRESS)  # data-parallel replicas
    _add_forcing_args(e)
    e.set_defaults(func=cmd_eval)

    s = with_profile(
        sub.add_parser(
            "select",
            help="decontaminate a pool and select a training subset",
            epilog=REFUSED
            + (
                " Never more rows than --n: where benchmark seeds alone exceed it, the n longest seeds are kept, "
                "and a line on stderr says so."
            ),
        )
    )
    s.add_argument(
        "--pool",
        required=True,
        help="pool-59k, s1K, s1K-1.1, smoke-pool, or a JSONL file in the s1 schema (s1lib distill writes one)",
    )
    s.add_argument("--method", default="s1k", choices=list(METHODS))
    s.add_argument("--n", type=int, default=1000)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--against", nargs="*", help="evaluation sets to decontaminate against (default: the profile's)")
    s.add_argument("--out", required=True, help="JSONL file for the rows; the summary goes beside it")
    s.set_defaults(func=cmd_select)

    t = with_profile(
        sub.add_parser(
            "train", help="fine-tune with the s1 recipe (resumable, cached by content hash)", epilog=REFUSED
        )
    )
    t.add_argument(
        "--subset",
        required=True,
        help="a JSONL file, a selection in runs/<profile>/data/ (s1k, random, ...), or a pool name",
    )
    t.add_argument("--out", help="run folder (default: runs/<profile>/sft/<subset>-<hash>)")
    t.set_defaults(func=cmd_train)

    pl = with_profile(
        sub.add_parser(
            "plan",
            help="check a profile's run without a GPU: data, steps, launch, memory",
            epilog="Exits 1 when the plan cannot run (memory over the GPU, missing data, a "
            "budget longer than the context), naming each problem.",
        )
    )
    pl.add_argument("--nodes", type=int, help="nodes (default: the profile's train.num_nodes)")
    pl.add_argument("--gpus-per-node", type=int, help="GPUs per node (default: train.num_gpus / num_nodes)")
    pl.add_argument("--gpu-memory-gb", type=float, default=80.0, help="memory of one GPU (default 80, an H100)")
    pl.set_defaults(func=cmd_plan)

    sv = with_profile(
        sub.add_parser(
            "serve",
            help="an OpenAI-compatible vLLM server with budget forcing per request",
            usage="%(prog)s [options] [-- VLLM_OPTION ...]",
            epilog="A request sets budget forcing with "
            "extra_body={'vllm_xargs': {'max_thinking': 64, 'ignore': 1, ...}}; the reply carries the think block as "
            "message.reasoning and its length as "
            "usage.completion_tokens_details.reasoning_tokens. Options after -- go to vLLM's server (e.g. -- "
            "--max-num-seqs 64). Ctrl-C stops the server and its engine.",
        )
    )
    sv.add_argument("--model", help="hub id, local directory or alias (default: the profile's)")
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument(
        "--api-key",
        help="the key every /v1 request must send (default: $S1LIB_API_KEY, else "
        "$VLLM_API_KEY; the variable keeps it out of the process list)",
    )
    sv.add_argument(
        "--no-api-key",
        action="store_true",
        help="serve a --host other than loopback without a key (anyone who reaches the port may use it)",
    )
    sv.set_defaults(func=cmd_serve)

    d = sub.add_parser(
        "distill",
        help="collect reasoning traces (or difficulty grades) from a model behind an "
        "OpenAI-compatible API (resumable)",
        epilog="Run it again with the same flags to resume: finished questions are skipped and failed "
        "ones retried. Exits 1 when some questions still failed (listed in <out>.errors.jsonl).",
    )
    d.add_argument(
        "--questions",
        required=True,
        help="a pool name (smoke-pool, pool-59k, s1K, ...) or a JSONL file "
        "with a 'question' field (and 'solution' to grade against)",
    )
    d.add_argument("--model", required=True, help="the model name the server knows")
    d.add_argument("--base-url", help="the endpoint, e.g. http://127.0.0.1:8000/v1 (default: OpenAI)")
    d.add_argument("--out", required=True, help="JSONL file of rows in the s1 schema")
    d.add_argument(
        "--role",
        default="teacher",
        choices=["teacher", "difficulty"],
        help="teacher: traces and attempts; difficulty: grade a reference model's answers into a column",
    )
    d.add_argument(
        "--column",
        help="the column a difficulty pass fills (default from the model: isqwen7bcorrect or isqwen32bcorrect)",
    )
    d.add_argument("--concurrency", type=int, default=16)
    d.add_argument("--limit", type=int, help="only the first N questions")
    d.add_argument("--temperature", type=float)
    d.add_argument("--max-tokens", type=int)
    d.add_argument(
        "--extra-body", help='JSON merged into each request, e.g. \'{"vllm_xargs": {"max_thinking": 512}}\''
    )
    d.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable holding the key")
    d.add_argument("--timeout", type=float, default=600, help="seconds per request before it is retried")
    d.add_argument("--max-retries", type=int, default=6)
    d.add_argument("--price-prompt", type=float, help="USD per million prompt tokens (for the cost columns)")
    d.add_argument("--price-completion", type=float, help="USD per million completion tokens")
    d.set_defaults(func=cmd_distill)

    r = with_profile(
        sub.add_parser("reproduce", help="run every notebook with papermill", epilog=REFUSED), settable=False
    )
    r.add_argument("--only", nargs="*", help="notebook numbers or names to run (default: all)")
    r.set_defaults(func=cmd_reproduce)

    w = with_profile(
        sub.add_parser("site", help="a static HTML site of a profile's executed notebooks and report", epilog=REFUSED),
        settable=False,
    )
    w.add_argument("--out", help="folder (default: runs/<profile>/site)")
    w.set_defaults(func=cmd_site)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    passed = argv[argv.index("--") + 1 :] if "--" in argv else []
    parser = build_parser()
    args = parser.parse_args(argv[: len(argv) - len(passed) - 1] if "--" in argv else argv)
    if "--" in argv and args.command != "serve":
        parser.error(f"only s1lib serve takes options after -- (for vLLM's server), not s1lib {args.command}")
    args.vllm_options = passed
    try:
        return args.func(args)
    except UserError as err:
        if args.debug:
            raise
        print(f"s1lib {args.command}: {err}", file=sys.stderr)
        return 2
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError) as err:
        if args.debug or err.filename is None:
            raise
        print(f"s1lib {args.command}: {err.strerror}: {err.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"s1lib {args.command}: interrupted (eval and train resume when run again with the same flags)",
            file=sys.stderr,
        )
        return 130
