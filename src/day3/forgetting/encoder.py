"""Forgetting on a real pretrained encoder: fine-tune all-MiniLM for sentiment several ways and
measure how much of its sentence-similarity skill (STS-B) each way destroys.

Every strategy gets the same budget (same samples, epochs, batch size, seed); only the learning
rate follows the strategy (day3.classifier.strategies.LEARNING_RATES), since one rate cannot
suit a random head on a frozen backbone and every weight at once. STS-B before training is
measured once: all strategies start from the same encoder weights (LoRA's B matrices start at
zero).

Per-strategy models are not kept: they train in a temporary folder and only the report is
written. The report is the result; five copies of the weights would be 450 MB of clutter that
`day3 finetune-classifier` can reproduce for any one strategy. The loop over strategies is
`day3.forgetting.trial.run_comparison`, shared with `day3 compare-strategies`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from day3.classifier.strategies import CHOICES, parse_strategies
from day3.core.flags import option
from day3.core.ui import say
from day3.data.classification import DataSpec
from day3.forgetting.probes import sts_probe
from day3.forgetting.report import REPORT_KIND, ForgettingResult, print_results, write_report
from day3.forgetting.trial import (
    ComparisonConfig,
    new_task_name,
    run_comparison,
    strategy_job,
    train_and_probe,
)

DEFAULT_STRATEGIES = ("full", "lora:4", "lora:16", "lora:64", "frozen")
# 400 steps of 32, as in the reference measurement (benchmarks/RESULTS.md has its time).
DEFAULT_TRAIN_SAMPLES = 12_800


@dataclass
class EncoderForgettingConfig(ComparisonConfig):
    """`day3 forgetting encoder`: one encoder, one new task (sentiment), one row per strategy."""

    data: DataSpec = field(
        default_factory=lambda: DataSpec("sst2", max_train_samples=DEFAULT_TRAIN_SAMPLES)
    )
    strategies: tuple[str, ...] = option(DEFAULT_STRATEGIES, help=f"comma-separated: {CHOICES}")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.parsed = parse_strategies(self.strategies)
        self.strategies = tuple(c.label for c in self.parsed)


def run_encoder_forgetting(config: EncoderForgettingConfig | None = None, **settings) -> dict:
    """Fine-tune `config.model` on `config.data` once per strategy; returns forgetting.json's
    content. Give a config, or its fields by name. With `resume`, the strategies an interrupted
    run of the same comparison finished are kept."""
    import torch
    import transformers

    c = config or EncoderForgettingConfig(**settings)
    c.output_folder(REPORT_KIND).check()  # before the slow work, not after it
    sts, pairs = sts_probe(c.probe, c.max_probe_pairs, c.max_length)
    say(f"probe: {sts.name}, {len(pairs):,} sentence pairs from {pairs.source}")
    new_task = new_task_name(c.data)

    def train_row(i, scratch, before):
        strategy = c.parsed[i]
        job = strategy_job(c, strategy, scratch)
        run = train_and_probe(job, [sts], before)
        result = ForgettingResult.from_scores(
            strategy.label,
            new_task,
            run.metrics["accuracy"],
            run.before,
            run.after,
            run.measured["train_seconds"],
        )
        say(
            f"{strategy.label}: {new_task} accuracy {run.metrics['accuracy']:.4f}, {sts.name} "
            f"{run.before[sts.name]:.4f} → {run.after[sts.name]:.4f} "
            f"({run.measured['train_seconds']:.1f}s)"
        )
        return {"result": result.to_dict(), "settings": _row_settings(job, run)}, run

    state, journal = run_comparison(c, list(c.strategies), train_row)
    results = [ForgettingResult(**e["result"]) for e in state["rows"].values()]
    settings = {
        **state["common"],
        "probe": sts.name,
        "probe_source": pairs.source,
        "n_probe_pairs": len(pairs),
        "probe_metric": "Spearman of cosine similarity, mean-pooled last hidden state",
        "epochs": c.epochs,
        "batch_size": c.batch_size,
        "seed": c.seed,
        "max_length": c.max_length,
        "strategies": {label: e["settings"] for label, e in state["rows"].items()},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
    folder = write_report(results, settings, c.output, c.overwrite, c.replace_own)
    journal.clear()  # the report is complete: nothing left to resume
    print_results(results, settings)
    say(f"saved forgetting report {folder}")
    return json.loads((folder / "forgetting.json").read_text())


def _row_settings(job, run) -> dict:
    measured, metrics = run.measured, run.metrics
    return {
        "learning_rate": job.training.learning_rate,
        "steps": measured["steps"],
        "trainable_params": measured["trainable_params"],
        "trainable_percent": measured["trainable_percent"],
        "new_task_f1": metrics["f1"],
        "peak_memory_mb": measured["peak_memory_mb"],
    }
