"""Forgetting in a seq2seq model: fine-tune an instruction-tuned T5 on a new task, then ask it
the tasks it knew before.

Models: `mini-flan` (the kit's stand-in, built offline: its probes are its own five held-out
tasks; the new task is `max`, which it never saw) or a real Flan-T5 (`google/flan-t5-small`,
online or cached: probes are zero-shot instructions — sentiment on the embedded reviews and the
colour question — and the new task is DialogSum summarisation, scored by ROUGE-L).

Strategies, at the same steps and batch size:
- `full`: every weight, at the base learning rate.
- `lora` / `lora:R`: adapters on T5's q and v projections (peft), the base weights untouched.
- `replay:F`: full fine-tuning where a fraction F of the batch rows come from the old tasks —
  multi-task fine-tuning, the classic remedy for forgetting.
- `low-lr`: full fine-tuning at a tenth of the learning rate.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from day3.errors import UserError
from day3.forgetting import (
    REPORT_KIND,
    ForgettingResult,
    Probe,
    print_results,
    score_probes,
    write_report,
)
from day3.runs import RunFolder
from day3.ui import out, say

DEFAULT_STRATEGIES = ("full", "lora", "replay:0.2", "low-lr")
BASE_LR = {
    "full": 5e-4,
    "lora": 2e-3,
}  # the stand-in was pretrained at 5e-4; adapters start at zero
SENTIMENT_PROMPT = "is this review positive or negative ? review : {}"


@dataclass(frozen=True)
class Seq2SeqStrategy:
    label: str
    kind: str  # full | lora
    lora_r: int = 16
    replay: float = 0.0
    lr_scale: float = 1.0

    @classmethod
    def parse(cls, text: str) -> Seq2SeqStrategy:
        name, _, arg = text.strip().partition(":")
        try:
            if name == "full" and not arg:
                return cls("full", "full")
            if name == "lora":
                r = int(arg) if arg else 16
                if r < 1:
                    raise ValueError
                return cls(f"lora:{r}", "lora", lora_r=r)
            if name == "replay":
                f = float(arg)
                if not 0 < f < 1:
                    raise ValueError
                return cls(f"replay:{f:g}", "full", replay=f)
            if name == "low-lr" and not arg:
                return cls("low-lr", "full", lr_scale=0.1)
        except ValueError:
            pass
        raise UserError(
            f"bad seq2seq strategy '{text}'; use full, lora, lora:R, replay:F (0 < F < 1) or low-lr"
        )


@dataclass
class Seq2SeqTask:
    """What the model is fine-tuned on, and what it used to know."""

    name: str
    train: list[dict]  # {input, target}
    held_out: list[dict]
    metric: str  # "exact_match" | "rougeL"
    prior: dict[str, list[dict]]  # probe name -> held-out rows of an old task
    prior_train: list[dict]  # rows of old tasks to replay
    max_new_tokens: int = 12


def check_new_task(new_task: str) -> None:
    from day3.mini_flan_tasks import NEW_TASKS

    if new_task not in NEW_TASKS:
        raise UserError(
            f"unknown new task '{new_task}' for mini-flan; choose {', '.join(NEW_TASKS)}"
        )


def mini_flan_task(new_task: str, n_train: int, seed: int) -> Seq2SeqTask:
    from day3.mini_flan_tasks import MIXTURE, eval_set, sample

    check_new_task(new_task)
    held = eval_set(new_task)
    train = sample(
        new_task, n_train, seed=seed + 7, exclude={r["input"] for r in held}, distinct=False
    )
    prior = {t: eval_set(t) for t in MIXTURE}
    replay = [
        r
        for t in MIXTURE
        for r in sample(
            t,
            n_train // len(MIXTURE) + 1,
            seed=seed + 9,
            exclude={x["input"] for x in prior[t]},
            distinct=False,
        )
    ]
    return Seq2SeqTask(new_task, train, held, "exact_match", prior, replay)


def flan_t5_task(n_train: int | None, seed: int) -> Seq2SeqTask:
    """DialogSum as the new task; zero-shot instruction probes as what Flan-T5 knew."""
    from day3.data import embedded_file, load_known_split
    from day3.mini_flan_tasks import eval_set, question

    try:
        table, _ = load_known_split("dialogsum", "train")
        train_rows, (held_table, _) = table.dataset, load_known_split("dialogsum", "validation")
        held_rows = held_table.dataset
    except UserError:  # the mirror holds only validation: split it 80/20, and say so
        table, _ = load_known_split("dialogsum", "validation")
        split = table.dataset.train_test_split(test_size=0.2, seed=seed)
        train_rows, held_rows = split["train"], split["test"]
        say("dialogsum: no train split available; using 80% of validation to train, 20% to test")

    def rows(ds):
        return [
            {"input": f"summarize : {d}", "target": s, "task": "dialogsum"}
            for d, s in zip(ds["dialogue"], ds["summary"], strict=True)
        ]

    train = rows(train_rows)[: n_train or None]
    reviews = [json.loads(line) for line in embedded_file("validation").read_text().splitlines()]
    sentiment = [
        {
            "input": SENTIMENT_PROMPT.format(r["sentence"]),
            "target": "positive" if r["label"] else "negative",
            "task": "sentiment",
        }
        for r in reviews
    ]
    qa = eval_set("qa")
    rng = random.Random(seed)
    replay = sentiment[:40] + [
        {**dict(zip(("input", "target"), question(rng), strict=True)), "task": "qa"}
        for _ in range(200)
    ]
    return Seq2SeqTask(
        "dialogsum",
        train,
        rows(held_rows)[:100],
        "rougeL",
        {"sentiment": sentiment[40:], "qa": qa},
        replay,
        max_new_tokens=64,
    )


def training_rows(task: Seq2SeqTask, strat: Seq2SeqStrategy, seed: int) -> list[dict]:
    """What one strategy trains on: the new task's rows; for `replay:F`, a fraction F of them
    swapped for rows of the old tasks (the same number of rows, so the same budget)."""
    rows = list(task.train)
    if strat.replay:
        k = int(len(rows) * strat.replay)
        rng = random.Random(seed)
        rows = rows[k:] + [rng.choice(task.prior_train) for _ in range(k)]
    return rows


def strategy_lr(strat: Seq2SeqStrategy, learning_rate: float | None = None) -> float:
    """The strategy's learning rate: the base rate of its kind (or the one given), scaled
    (`low-lr`: a tenth)."""
    return (learning_rate or BASE_LR[strat.kind]) * strat.lr_scale


def task_scores(model, tokenizer, rows: list[dict], metric: str, max_new_tokens: int) -> dict:
    """{"score": the headline number (exact match, or ROUGE-L / 100), plus ROUGE-1/2/L x100
    for summarisation}."""
    from day3.seq2seq import exact_match, generate, rouge

    preds = generate(model, tokenizer, [r["input"] for r in rows], max_new_tokens=max_new_tokens)
    refs = [r["target"] for r in rows]
    if metric == "exact_match":
        return {"score": exact_match(preds, refs)}
    scores = rouge(preds, refs)
    return {"score": scores["rougeL"] / 100, **scores}


def task_score(model, tokenizer, rows: list[dict], metric: str, max_new_tokens: int) -> float:
    return task_scores(model, tokenizer, rows, metric, max_new_tokens)["score"]


def load_seq2seq(path: str):
    from transformers import AutoModelForSeq2SeqLM

    from day3.models import load_tokenizer

    model = AutoModelForSeq2SeqLM.from_pretrained(
        path, use_safetensors=True, trust_remote_code=False
    )
    return model, load_tokenizer(path)


def run_seq2seq_forgetting(
    model: str = "mini-flan",
    strategies=DEFAULT_STRATEGIES,
    new_task: str = "max",
    steps: int = 300,
    batch_size: int = 32,
    learning_rate: float | None = None,
    n_train: int = 4000,
    seed: int = 0,
    output: str | Path = "runs/forgetting-seq2seq",
    overwrite: bool = False,
    replace_own: bool = False,
) -> dict:
    """Fine-tune once per strategy from the same weights; returns forgetting.json's content."""
    from datasets import Dataset

    from day3.device import pick_device
    from day3.mini_flan import build_info
    from day3.models import resolve_model
    from day3.seq2seq import Seq2SeqBudget, tokenize_pairs, train_seq2seq, training_arguments

    configs = [
        Seq2SeqStrategy.parse(s)
        for s in (strategies.split(",") if isinstance(strategies, str) else strategies)
    ]
    # Every number is checked before a model is built (mini-flan: minutes) or loaded.
    Seq2SeqBudget(steps, BASE_LR["full"] if learning_rate is None else learning_rate, batch_size)
    if n_train < 1:
        raise UserError(f"--train-samples must be at least 1 (got {n_train})")
    if model in ("mini-flan", "tiny-t5"):
        check_new_task(new_task)
    RunFolder(Path(output), overwrite, kind=REPORT_KIND, replace_own=replace_own).check()
    resolved = resolve_model(model, purpose="seq2seq")
    stand_in = build_info(resolved.path) is not None or model in ("mini-flan", "tiny-t5")
    task = mini_flan_task(new_task, n_train, seed) if stand_in else flan_t5_task(n_train, seed)
    say(
        f"model: {resolved.describe()}{' — the kit-built STAND-IN, not Flan-T5' if stand_in else ''}"
    )
    say(
        f"new task: {task.name} ({len(task.train)} rows, {task.metric}); probes: "
        + ", ".join(task.prior)
    )
    probes = [
        Probe(name, lambda m, t, rows=rows: task_score(m, t, rows, "exact_match", 12))
        for name, rows in task.prior.items()
    ]
    device = pick_device(bf16=False)  # T5 and fp16 overflow; bf16 only where verified finite
    base, tokenizer = load_seq2seq(resolved.path)
    before = score_probes(probes, base, tokenizer)
    new_before = task_score(base, tokenizer, task.held_out, task.metric, task.max_new_tokens)
    say(
        "before: "
        + ", ".join(f"{k} {v:.3f}" for k, v in before.items())
        + f"; {task.name} {new_before:.3f}"
    )
    results, per = [], {}
    with tempfile.TemporaryDirectory(prefix="day3-s2s-") as tmp:
        for i, strat in enumerate(configs):
            model_i, _ = load_seq2seq(resolved.path)
            rows = training_rows(task, strat, seed)
            if strat.kind == "lora":
                from peft import LoraConfig, TaskType, get_peft_model

                model_i = get_peft_model(
                    model_i,
                    LoraConfig(
                        task_type=TaskType.SEQ_2_SEQ_LM,
                        r=strat.lora_r,
                        lora_alpha=2 * strat.lora_r,
                        lora_dropout=0.0,
                        target_modules=["q", "v"],
                    ),
                )
            lr = strategy_lr(strat, learning_rate)
            train = tokenize_pairs(
                Dataset.from_list(rows).shuffle(seed=seed),
                tokenizer,
                max_target_length=task.max_new_tokens,
            )
            args = training_arguments(
                f"{tmp}/{i}", Seq2SeqBudget(steps, lr, batch_size, seed=seed), device
            )
            say(f"[{i + 1}/{len(configs)}] {strat.label}: {steps} steps at lr {lr:g}")
            measured = train_seq2seq(model_i, tokenizer, train, args)
            trained = measured["model"]
            after = score_probes(probes, trained, tokenizer)
            scores = task_scores(
                trained, tokenizer, task.held_out, task.metric, task.max_new_tokens
            )
            score = scores["score"]
            results.append(
                ForgettingResult.from_scores(
                    strat.label, task.name, score, before, after, measured["train_seconds"]
                )
            )
            per[strat.label] = {
                "new_task_scores": scores,
                "learning_rate": lr,
                "steps": measured["steps"],
                "replay_fraction": strat.replay,
                "replayed_rows": sum(r.get("task") != task.name for r in rows),
                "final_loss": measured["losses"][-1] if measured["losses"] else None,
            }
    settings = {
        "model": model,
        "model_path": resolved.path,
        "stand_in": stand_in,
        "new_task": task.name,
        "new_task_metric": task.metric,
        "new_task_score_before": new_before,
        "n_train": len(task.train),
        "steps": steps,
        "batch_size": batch_size,
        "seed": seed,
        "device": device.describe(),
        "strategies": per,
    }
    folder = write_report(results, settings, output, overwrite, replace_own)
    print_results(results, settings)
    say(f"saved forgetting report {folder}")
    return json.loads((folder / "forgetting.json").read_text())


def add_cli(kinds) -> argparse.ArgumentParser:
    p = kinds.add_parser(
        "seq2seq", help="fine-tune an instruction-tuned T5; old tasks before vs after"
    )
    p.add_argument("--model", default="mini-flan", help="mini-flan | google/flan-t5-small | FOLDER")
    p.add_argument(
        "--strategies",
        default=",".join(DEFAULT_STRATEGIES),
        help="comma-separated: full, lora, lora:R, replay:F, low-lr",
    )
    p.add_argument("--new-task", default="max", help="mini-flan: max; Flan-T5: dialogsum (implied)")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, help="base learning rate (default full 5e-4, lora 2e-3)")
    p.add_argument("--train-samples", type=int, default=4000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", required=True)
    p.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=cmd_forgetting_seq2seq)
    return p


def cmd_forgetting_seq2seq(args) -> int:
    report = run_seq2seq_forgetting(
        args.model,
        args.strategies,
        args.new_task,
        args.steps,
        args.batch_size,
        args.lr,
        args.train_samples,
        args.seed,
        args.output,
        args.overwrite,
    )
    out(json.dumps({"output": str(args.output), "results": report["results"]}))
    return 0
