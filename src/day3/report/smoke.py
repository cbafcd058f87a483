"""`day3 report --smoke`: the outputs of every lesson, made small (a 2-layer random BERT and T5
on a few dozen rows) by the same library functions the lessons call, at the lessons' own
folder names, so the report reads them exactly as it reads real runs. Seconds, not minutes;
the numbers mean nothing, the plumbing is the point.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from pathlib import Path

from day3.core.ui import say
from day3.data.classification import DataSpec
from day3.report.timing import record, save_record

SMALL = dict(max_train_samples=64, max_eval_samples=32)


def _timed(runs: Path, lesson: str, what: str, make: Callable[[], object]) -> None:
    """Make one lesson's output and keep its time, as `--time` would for the real lesson."""
    say(f"smoke: {what}")
    start = time.perf_counter()
    make()
    save_record(runs, record(lesson, f"smoke: {what}", time.perf_counter() - start))


def _overview(out: Path) -> None:
    import day3
    from day3.core.runs import RunFolder, write_json, writing
    from day3.overview import collect

    info = {
        "day3": day3.__version__,
        "python": platform.python_version(),
        "versions": collect.library_versions(),
        "device": collect.device_info(),
        "libraries": collect.library_map(),
    }
    with writing(RunFolder(out, kind="overview", replace_own=True)) as path:
        write_json(path / "overview.json", info)


def _classifier(out: Path, strategy: str = "full", baseline: bool = False) -> None:
    from day3.classifier.run import embedded_sentiment_job, run_classifier_job

    run_classifier_job(embedded_sentiment_job(out, smoke=True, strategy=strategy), baseline)


def _throughput(runs: Path) -> None:
    from day3.classifier.throughput import ThroughputConfig, run_throughput

    run_throughput(
        ThroughputConfig(
            model=str(runs / "inference/sentiment-run"),
            data="embedded",
            repeats=1,
            naive_samples=8,
            max_sentences=32,
            output=runs / "inference/throughput",
            replace_own=True,
        )
    )


def _upload(runs: Path) -> None:
    from day3.hub.push import PushConfig, push_run

    push_run(
        PushConfig(
            run_dir=runs / "upload/sentiment-run",
            repo_id="you/day3-sentiment",
            dry_run=runs / "upload/staged",
            overwrite=True,
        )
    )


def _when_to_train(runs: Path) -> None:
    for strategy in ("frozen", "lora", "full"):
        _classifier(runs / "llm_training_overview" / strategy, strategy)


def _bench(runs: Path) -> None:
    from day3.training.bench import BenchConfig, run_bench

    run_bench(
        BenchConfig(
            model="tiny-bert",
            data=DataSpec("embedded", max_train_samples=64),
            rows=("baseline",),  # one row: the report's plumbing, not a comparison
            eval_every=1,
            output=runs / "training_optimizations",
            replace_own=True,
        )
    )


def _seq2seq(runs: Path) -> None:
    from day3.forgetting.seq2seq import Seq2SeqForgettingConfig, run_seq2seq_forgetting

    run_seq2seq_forgetting(
        Seq2SeqForgettingConfig(
            model="tiny-t5",
            steps=3,
            strategies=("full", "lora"),
            output=runs / "flan-t5-forgetting",
            replace_own=True,
        )
    )


def _strategies(runs: Path) -> None:
    from day3.compare.run import CompareConfig, compare_strategies

    compare_strategies(
        CompareConfig(
            model="tiny-bert",
            data=DataSpec("embedded", **SMALL),
            strategies=("full", "lora", "ia3", "prompt-tuning", "frozen"),
            probe="embedded",
            max_probe_pairs=64,
            epochs=1,
            output=runs / "strategies",
            replace_own=True,
        )
    )


def _encoder(runs: Path) -> None:
    from day3.forgetting.encoder import EncoderForgettingConfig, run_encoder_forgetting

    run_encoder_forgetting(
        EncoderForgettingConfig(
            model="tiny-bert",
            data=DataSpec("embedded", **SMALL),
            probe="embedded",
            max_probe_pairs=64,
            strategies=("full", "lora:16", "frozen"),
            output=runs / "forget-enc",
            replace_own=True,
        )
    )


def _journey(runs: Path) -> None:
    from day3.journey.config import JourneyConfig
    from day3.journey.run import run_journey

    run_journey(JourneyConfig(smoke=True, output=runs / "journey"))


def build_smoke_runs(runs: Path) -> Path:
    """Every input the report reads, tiny, under `runs` (a new folder)."""
    runs = Path(runs)
    runs.mkdir(parents=True, exist_ok=True)
    steps = (
        (
            "1_HuggingFace/huggingface_overview.py",
            "the overview",
            lambda: _overview(runs / "overview"),
        ),
        (
            "1_HuggingFace/hello_world_demo.py",
            "the hello-world run",
            lambda: _classifier(runs / "hello"),
        ),
        (
            "1_HuggingFace/model_inference.py",
            "a run and its throughput",
            lambda: (_classifier(runs / "inference/sentiment-run"), _throughput(runs)),
        ),
        (
            "1_HuggingFace/huggingface_upload.py",
            "a staged upload",
            lambda: (_classifier(runs / "upload/sentiment-run"), _upload(runs)),
        ),
        (
            "2_TrainingLLMs/llm_training_overview.py",
            "frozen, lora and full runs",
            lambda: _when_to_train(runs),
        ),
        ("2_TrainingLLMs/training_optimizations.py", "two benchmark rows", lambda: _bench(runs)),
        ("2_TrainingLLMs/flan_t5_finetuning.py", "T5 forgetting", lambda: _seq2seq(runs)),
        (
            "3_FineTuning/distilbert_finetuning.py",
            "the sentiment run",
            lambda: _classifier(runs / "sentiment", baseline=True),
        ),
        (
            "3_FineTuning/finetune_strategies_overview.py",
            "the strategies comparison",
            lambda: _strategies(runs),
        ),
        ("day3 forgetting encoder", "encoder forgetting", lambda: _encoder(runs)),
        ("4_WrapUpAndDemo/journey_demo.py", "the journey", lambda: _journey(runs)),
    )
    for lesson, what, make in steps:
        if lesson.endswith(".py"):
            _timed(runs, lesson, what, make)
        else:
            say(f"smoke: {what}")
            make()
    return runs
