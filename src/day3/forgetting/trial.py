"""One strategy trained and probed, and the comparison skeleton that runs one per row.

Both encoder comparisons (`day3 forgetting encoder`, `day3 compare-strategies`) fine-tune the
same pretrained encoder once per strategy, on the same data, budget and seed, and score the same
probes before and after. What they share lives here, once: their settings (`ComparisonConfig`,
whose fields are also their flags), the job of one row (`strategy_job`), training and probing
it (`train_and_probe`), and the loop over rows (`run_comparison`) with its journal, so that a
killed comparison resumes with the next row (`--resume`). Each row trains in a scratch folder
and only the report is kept.
"""

from __future__ import annotations

import dataclasses
import gc
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from day3.classifier.strategies import StrategyConfig
from day3.core.flags import option
from day3.core.runs import RowJournal, RunFolder
from day3.core.ui import say
from day3.data.classification import DataSpec
from day3.data.sources import resolve_source
from day3.forgetting.probes import Probe, score_probes

if TYPE_CHECKING:  # torch and transformers load only when a comparison runs
    from day3.classifier.train import ClassifierJob, Prepared

DEVICES = ("auto", "cpu", "cuda", "mps")
# Flags that say where and how to write, not what to measure: a resumed run may change them.
NOT_IDENTITY = ("output", "overwrite", "resume", "replace_own")


@dataclass
class ComparisonConfig:
    """What every row of an encoder comparison shares: the model, the data, the budget."""

    model: str = option("minilm", help="minilm | tiny-bert | FOLDER | HUB_ID")
    data: DataSpec = field(default_factory=DataSpec)
    probe: str = option(
        "auto",
        help="auto (stsb from the mirror or the Hub, else embedded) | stsb | embedded | FILE "
        "(csv, tsv, jsonl) with sentence1, sentence2, score 0-5",
    )
    strategies: tuple[str, ...] = option((), help="comma-separated strategies, one row each")
    epochs: float = option(1.0, help="passes over the training data")
    batch_size: int = option(32, help="sentences per step")
    max_length: int = option(128, help="tokens per text, longer is cut")
    seed: int = option(42, help="random seed: the same for every row")
    max_probe_pairs: int | None = option(None, help="score only the first N probe pairs")
    device: str = option("auto", choices=DEVICES, help="where to train")
    bf16: str | bool = option(
        "auto", flag="--no-bf16", const=False, help="train in fp32 even where bf16 is native"
    )
    output: Path = option(Path("runs/comparison"), required=True, help="report folder to write")
    overwrite: bool = option(False, help="replace a non-empty --output")
    resume: bool = option(False, help="after a crash: keep the rows already finished")
    replace_own: bool = False  # a lesson's default output: replace its own previous report
    max_train_samples: int | None = None  # shorthand for data.max_train_samples

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        self.data = dataclasses.replace(self.data)  # a copy: never the caller's DataSpec
        if self.max_train_samples is not None:
            self.data = dataclasses.replace(self.data, max_train_samples=self.max_train_samples)
            self.max_train_samples = None
        if isinstance(self.strategies, str):
            self.strategies = tuple(s.strip() for s in self.strategies.split(",") if s.strip())

    def identity(self) -> dict:
        """The settings that decide the results: a journal resumes only under the same ones."""
        settings = dataclasses.asdict(self)
        return {k: v for k, v in settings.items() if k not in NOT_IDENTITY}

    def output_folder(self, kind: str) -> RunFolder:
        return RunFolder(self.output, self.overwrite, kind=kind, replace_own=self.replace_own)


@dataclass
class StrategyRun:
    """One strategy trained and measured. `prep.model` is the trained model, still in memory."""

    job: ClassifierJob
    prep: Prepared
    measured: dict  # day3.classifier.train.fine_tune's measurements
    metrics: dict  # new-task validation metrics
    before: dict[str, float]  # probe scores of the pretrained model
    after: dict[str, float]  # probe scores after training


def strategy_job(
    config: ComparisonConfig,
    strategy: StrategyConfig,
    output: Path,
    learning_rate: float | None = None,
) -> ClassifierJob:
    """The ClassifierJob of one row: the comparison's data, budget and seed for every row."""
    from day3.classifier.train import ClassifierJob

    # A fresh DataSpec per job: ClassifierJob writes its seed into the one it is given.
    return ClassifierJob(
        model=config.model,
        data=dataclasses.replace(config.data),
        strategy=strategy,
        output=output,
        max_length=config.max_length,
        device=config.device,
        bf16=config.bf16,
        epochs=config.epochs,
        batch_size=config.batch_size,
        seed=config.seed,
        learning_rate=learning_rate,
    )


def train_and_probe(
    job: ClassifierJob,
    probes: list[Probe],
    before: dict[str, float] | None = None,
    train: Callable[[Prepared], dict] | None = None,
) -> StrategyRun:
    """prepare → probes (unless `before` is given: every strategy starts from the same
    pretrained encoder) → train (default `fine_tune`) → evaluate → probes again."""
    from day3.classifier.train import evaluate, fine_tune, prepare

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


# `train_row(index, scratch folder, probe scores before or None)` -> (the row's entry, its run)
TrainRow = Callable[[int, Path, "dict[str, float] | None"], "tuple[dict, StrategyRun]"]


def run_comparison(
    config: ComparisonConfig, labels: list[str], train_row: TrainRow
) -> tuple[dict, RowJournal]:
    """Train every row not yet done, in order; returns the state (`rows`: label -> entry, in
    order; `before`: the pretrained probe scores; `common`: what every row shares) and the
    journal, which the caller clears once its report is written. With `config.resume`, an
    interrupted comparison of the same settings continues with its next row."""
    journal = RowJournal(config.output, config.identity())
    state = journal.start(config.resume, config.overwrite or config.replace_own)
    state.setdefault("rows", {})
    done = [label for label in labels if label in state["rows"]]
    if done:
        say(f"resuming: {', '.join(done)} already done ({journal.path})")
    with tempfile.TemporaryDirectory(prefix="day3-comparison-") as tmp:
        for i, label in enumerate(labels):
            if label in state["rows"]:
                continue
            say(f"[{i + 1}/{len(labels)}] {label}")
            entry, run = train_row(i, Path(tmp) / f"run{i}", state.get("before"))
            if state.get("before") is None:
                state["before"] = run.before
                state["common"] = shared_settings(run, config.model, new_task_name(config.data))
            state["rows"][label] = entry
            journal.save(state)
            release(run)
    state["rows"] = {label: state["rows"][label] for label in labels}
    return state, journal
