"""One fine-tuning run from start to end: `run_classifier_job` chains prepare, fine_tune,
evaluate and save_run (what `day3 finetune-classifier` runs), and `embedded_sentiment_job` is
the course's quick sentiment run on the embedded data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from day3.classifier.save import completed_run, save_run
from day3.classifier.strategies import StrategyConfig, learning_rate
from day3.classifier.train import ClassifierJob, evaluate, fine_tune, prepare
from day3.core.ui import is_main_process, say
from day3.data.classification import DataSpec


def run_classifier_job(job: ClassifierJob, with_baseline: bool = False) -> dict:
    """prepare → (baseline) → fine_tune → evaluate → save_run. Returns metrics.json's content."""
    done = completed_run(job)
    if done is not None:
        return done
    prep = prepare(job)
    baseline = evaluate(prep) if with_baseline else None
    try:
        measured = fine_tune(prep)
        metrics = evaluate(prep)
        if not is_main_process():  # under DDP the main process writes the run folder
            return {"validation": metrics, **measured}
        out = save_run(prep, measured, metrics, baseline)
    except BaseException:
        if job.save_steps and job.checkpoints.is_dir():
            say(f"checkpoints kept in {job.checkpoints}: rerun with --resume to continue")
        raise
    if job.save_steps or job.resume:  # redundant only now that the run folder is committed
        shutil.rmtree(job.checkpoints, ignore_errors=True)
    say(
        f"validation accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['f1']:.4f} "
        f"(n={metrics['n']}); {measured['train_seconds']:.1f}s, "
        f"{measured['samples_per_second']:.1f} samples/s, peak {measured['peak_memory_mb']:.0f} MB"
    )
    say(f"saved run folder {out}")
    return json.loads((out / "metrics.json").read_text())


def embedded_sentiment_job(
    output: str | Path, smoke: bool = False, strategy: str = "full", **overrides
) -> ClassifierJob:
    """The course's quick sentiment run: embedded MiniLM on the embedded reviews, ~25 s on two
    cores (accuracy ~0.85 on the 80 held-out reviews). `smoke`: a tiny random BERT on 64 rows,
    seconds, for plumbing only. Any ClassifierJob field can be overridden by name."""
    config = StrategyConfig.parse(strategy)
    settings = dict(
        model="tiny-bert" if smoke else "minilm",
        data=DataSpec(
            "embedded",
            max_train_samples=64 if smoke else None,
            max_eval_samples=32 if smoke else None,
        ),
        strategy=config,
        output=Path(output),
        epochs=1 if smoke else 4,
        learning_rate=learning_rate(config.name, "embedded"),
        batch_size=16,
        replace_own=True,  # a rerun replaces its own previous run, never someone's folder
    )
    settings.update(overrides)
    return ClassifierJob(**settings)
