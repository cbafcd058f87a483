"""Forgetting on a real pretrained encoder: fine-tune all-MiniLM for sentiment several ways and
measure how much of its sentence-similarity skill (STS-B) each way destroys.

Every strategy gets the same budget (same samples, epochs, batch size, seed); only the learning
rate follows the strategy (day3.trainers.DEFAULT_LR), since one rate cannot suit a random head
on a frozen backbone and every weight at once. STS-B before training is measured once: all
strategies start from the same encoder weights (LoRA's B matrices start at zero).

Per-strategy models are not kept: they train in a temporary folder and only the report is
written. The report is the result; five copies of the weights would be 450 MB of clutter that
`day3 finetune-classifier` can reproduce for any one strategy.

The per-strategy step (`strategy_job`, `train_and_probe`, `release`) is shared with
`day3.compare`, which puts the same rows and more into one table.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from day3.data import DataSpec, resolve_source
from day3.errors import UserError
from day3.forgetting import (
    REPORT_KIND,
    ForgettingResult,
    Probe,
    print_results,
    score_probes,
    write_report,
)
from day3.runs import RowJournal, RunFolder
from day3.similarity import SentencePairs, load_sts, sts_spearman
from day3.strategies import StrategyConfig
from day3.ui import out, say

if TYPE_CHECKING:  # the CLI imports this module to build its parser: no torch until it runs
    from day3.trainers import ClassifierJob, Prepared

DEFAULT_STRATEGIES = ("full", "lora:4", "lora:16", "lora:64", "frozen")
# 400 steps of 32, as in the reference measurement (benchmarks/RESULTS.md has its time).
DEFAULT_TRAIN_SAMPLES = 12_800


def sts_probe(
    data: str = "stsb", max_pairs: int | None = None, max_length: int = 128
) -> tuple[Probe, SentencePairs]:
    """The STS probe (Spearman, higher is better) and the pairs it scores, loaded and checked."""
    pairs = load_sts(data, "validation", max_pairs)
    name = "stsb" if data == "stsb" else Path(data).stem
    return Probe(name, lambda m, t: sts_spearman(m, t, pairs, max_length=max_length)), pairs


def parse_strategies(strategies) -> list[StrategyConfig]:
    """`"full,lora:16"` or a list of names/StrategyConfigs -> distinct StrategyConfigs."""
    if isinstance(strategies, str):
        strategies = [s.strip() for s in strategies.split(",") if s.strip()]
    configs = [s if isinstance(s, StrategyConfig) else StrategyConfig.parse(s) for s in strategies]
    if not configs:
        raise UserError("--strategies is empty; try --strategies full,lora:16,frozen")
    labels = [c.label for c in configs]
    if len(set(labels)) != len(labels):
        raise UserError(
            f"--strategies lists a strategy twice ({', '.join(labels)}); give each once"
        )
    return configs


def run_encoder_forgetting(
    model: str = "minilm",
    data: DataSpec | None = None,
    probe: str = "stsb",
    strategies=DEFAULT_STRATEGIES,
    max_train_samples: int | None = None,  # overrides data.max_train_samples when given
    epochs: float = 1.0,
    batch_size: int = 32,
    seed: int = 42,
    output: str | Path = "runs/forgetting-encoder",
    overwrite: bool = False,
    max_probe_pairs: int | None = None,
    device: str = "auto",
    bf16: str | bool = "auto",
    max_length: int = 128,
    resume: bool = False,
    replace_own: bool = False,
) -> dict:
    """Fine-tune `model` on `data` once per strategy; returns forgetting.json's content.
    `resume`: keep the strategies an interrupted run of the same comparison finished."""
    import torch
    import transformers

    data = dataclasses.replace(data or DataSpec("sst2", max_train_samples=DEFAULT_TRAIN_SAMPLES))
    if max_train_samples is not None:
        data = dataclasses.replace(data, max_train_samples=max_train_samples)
    configs = parse_strategies(strategies)
    # before the slow work, not after it
    RunFolder(Path(output), overwrite, kind=REPORT_KIND, replace_own=replace_own).check()
    identity = dict(
        model=model,
        data=dataclasses.asdict(data),
        strategies=[c.label for c in configs],
        probe=probe,
        max_probe_pairs=max_probe_pairs,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        device=device,
        bf16=bf16,
        max_length=max_length,
    )
    journal = RowJournal(Path(output), identity)
    state = journal.start(resume, overwrite or replace_own)
    sts, pairs = sts_probe(probe, max_probe_pairs, max_length)
    say(f"probe: {sts.name}, {len(pairs):,} sentence pairs from {pairs.source}")
    new_task = new_task_name(data)

    results = [ForgettingResult(**r) for r in state.get("results", [])]
    per_strategy: dict[str, dict] = state.get("per_strategy", {})
    before: dict[str, float] | None = state.get("before")
    common: dict = state.get("common", {})  # what every strategy shares, read off the first one
    if results:
        done = ", ".join(r.strategy for r in results)
        say(f"resuming: {done} already done ({journal.path})")
    with tempfile.TemporaryDirectory(prefix="day3-forgetting-") as tmp:
        for i, strategy in enumerate(configs):
            if strategy.label in per_strategy:
                continue
            say(f"[{i + 1}/{len(configs)}] strategy {strategy.label}")
            job = strategy_job(
                model,
                data,
                strategy,
                Path(tmp) / f"run{i}",
                max_length=max_length,
                device=device,
                bf16=bf16,
                epochs=epochs,
                batch_size=batch_size,
                seed=seed,
            )
            run = train_and_probe(job, [sts], before)
            if before is None:
                before = run.before
                common = shared_settings(run, model, new_task)
            metrics, measured, after = run.metrics, run.measured, run.after
            result = ForgettingResult.from_scores(
                strategy.label,
                new_task,
                metrics["accuracy"],
                before,
                after,
                measured["train_seconds"],
            )
            results.append(result)
            say(
                f"{strategy.label}: {new_task} accuracy {metrics['accuracy']:.4f}, {sts.name} "
                f"{before[sts.name]:.4f} → {after[sts.name]:.4f} "
                f"({measured['train_seconds']:.1f}s)"
            )
            per_strategy[strategy.label] = {
                "learning_rate": job.training.learning_rate,
                "steps": measured["steps"],
                "trainable_params": measured["trainable_params"],
                "trainable_percent": measured["trainable_percent"],
                "new_task_f1": metrics["f1"],
                "peak_memory_mb": measured["peak_memory_mb"],
            }
            journal.save(
                {
                    "results": [r.to_dict() for r in results],
                    "per_strategy": per_strategy,
                    "before": before,
                    "common": common,
                }
            )
            release(run)

    settings = {
        **common,
        "probe": sts.name,
        "probe_source": pairs.source,
        "n_probe_pairs": len(pairs),
        "probe_metric": "Spearman of cosine similarity, mean-pooled last hidden state",
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "max_length": max_length,
        "strategies": per_strategy,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
    folder = write_report(results, settings, output, overwrite, replace_own)
    journal.clear()  # the report is complete: nothing left to resume
    print_results(results, settings)
    say(f"saved forgetting report {folder}")
    return json.loads((folder / "forgetting.json").read_text())


# ---------------------------------------------------------------- one strategy


@dataclass
class StrategyRun:
    """One strategy trained and measured. `prep.model` is the trained model, still in memory."""

    job: ClassifierJob
    prep: Prepared
    measured: dict  # day3.trainers.fine_tune's measurements
    metrics: dict  # new-task validation metrics
    before: dict[str, float]  # probe scores of the pretrained model
    after: dict[str, float]  # probe scores after training


def strategy_job(
    model: str, data: DataSpec, strategy: StrategyConfig, output: Path, **settings
) -> ClassifierJob:
    """A ClassifierJob for one strategy of a comparison: same data, budget and seed for all."""
    from day3.trainers import ClassifierJob

    # A fresh DataSpec per job: ClassifierJob writes its seed into the one it is given.
    return ClassifierJob(
        model=model, data=dataclasses.replace(data), strategy=strategy, output=output, **settings
    )


def train_and_probe(
    job: ClassifierJob,
    probes: list[Probe],
    before: dict[str, float] | None = None,
    train: Callable[[Prepared], dict] | None = None,
) -> StrategyRun:
    """prepare → probes (unless `before` is given: every strategy starts from the same
    pretrained encoder) → train (default `fine_tune`) → evaluate → probes again."""
    from day3.trainers import evaluate, fine_tune, prepare

    prep = prepare(job)
    prep.model.to(job.device_choice.device)
    if before is None:
        before = score_probes(probes, prep.model, prep.tokenizer)
        for name, score in before.items():
            say(f"{name} before fine-tuning: {score:.4f}")
    measured = (train or fine_tune)(prep)
    metrics = evaluate(prep)
    after = score_probes(probes, prep.model, prep.tokenizer)
    return StrategyRun(job, prep, measured, metrics, before, after)


def shared_settings(run: StrategyRun, model: str, new_task: str) -> dict:
    """What every strategy of a comparison shares, read off one run."""
    prep = run.prep
    return {
        "model": model,
        "model_path": prep.resolved.path,
        "model_source": prep.resolved.source,
        "data": prep.data.source,
        "new_task": new_task,
        "new_task_metric": "validation accuracy",
        "n_train": len(prep.data.train),
        "n_validation": len(prep.data.validation),
        "device": run.job.device_choice.describe(),
    }


def release(run: StrategyRun) -> None:
    """Drop the trained model before the next strategy loads: one model in memory at a time."""
    import torch

    run.prep = None
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def new_task_name(data: DataSpec) -> str:
    """`sst2`, `embedded`, or a file's stem: the new task's name in reports."""
    name = resolve_source(data.data)
    return Path(name).stem if Path(name).suffix else name


# ---------------------------------------------------------------- CLI


def add_run_args(p: argparse.ArgumentParser, data_default: str) -> None:
    """The flags every encoder comparison shares (`forgetting encoder`, `compare-strategies`)."""
    from day3.cli import add_data_args

    p.add_argument("--model", default="minilm", help="minilm | tiny-bert | FOLDER | HUB_ID")
    p.add_argument(
        "--probe",
        default="stsb",
        help="stsb | FILE (csv, tsv, jsonl) with sentence1, sentence2, score 0-5",
    )
    p.add_argument("--output", required=True, help="report folder to write")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --output")
    p.add_argument(
        "--resume", action="store_true", help="after a crash: keep the rows already finished"
    )
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--max-probe-pairs", type=int, help="score only the first N probe pairs")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--no-bf16", action="store_true", help="train in fp32 even where bf16 is native")
    add_data_args(p, default=data_default)
    p.set_defaults(max_train_samples=DEFAULT_TRAIN_SAMPLES)


def run_kwargs(args) -> dict:
    """The keyword arguments `add_run_args`'s flags stand for."""
    from day3.cli import data_spec

    return dict(
        model=args.model,
        data=data_spec(args),
        probe=args.probe,
        strategies=args.strategies,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        output=args.output,
        overwrite=args.overwrite,
        max_probe_pairs=args.max_probe_pairs,
        device=args.device,
        bf16=False if args.no_bf16 else "auto",
        max_length=args.max_length,
        resume=args.resume,
    )


def add_cli(kinds) -> argparse.ArgumentParser:
    """`day3 forgetting encoder …` under the `forgetting` verb's subparsers."""
    p = kinds.add_parser("encoder", help="fine-tune an encoder several ways; STS-B before vs after")
    p.add_argument(
        "--strategies",
        default=",".join(DEFAULT_STRATEGIES),
        help="comma-separated: full, lora:R, ia3, prompt-tuning, frozen",
    )
    add_run_args(p, data_default="sst2")
    p.set_defaults(func=cmd_forgetting_encoder)
    return p


def cmd_forgetting_encoder(args) -> int:
    report = run_encoder_forgetting(**run_kwargs(args))
    out(json.dumps({"output": str(args.output), "results": report["results"]}))
    return 0
