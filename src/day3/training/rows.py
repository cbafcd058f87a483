"""One row of the training-optimizations benchmark: one recipe, trained and measured.

Every row fine-tunes the same model on the same examples (same seed, same sample budget) and
changes one thing, or adds one thing to the row before it. It is measured while it trains:
real (non-pad) tokens per second, the padding fraction, peak memory, the validation accuracy
every `eval_every` steps (the clock stops while it evaluates), hence the time to the target
accuracy, and the first step's extra time (torch.compile's compilation, for one).

Each row runs in a process of its own (`python -m day3.training.rows ROW.json`): threads,
compiled graphs and the peak memory of one row never leak into the next.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

TARGET = 0.85  # the validation accuracy the rows race to (seconds_to_85)


@dataclass(frozen=True)
class RowSpec:
    """A recipe. Every field but `name` and `what` is a change to the baseline."""

    name: str
    what: str
    strategy: str = "full"
    pad_to_max: bool = False  # pad every batch to max_length (run_glue.py's default)
    group_by_length: bool = False  # sort into batches of similar length
    bf16: bool = False  # bf16 autocast (where the CPU or GPU has native bf16)
    grad_accumulation: int = 1  # micro-batches per step (same effective batch)
    grad_checkpointing: bool = False  # recompute activations in the backward pass
    compile: bool = False  # torch.compile the model
    threads: int | None = None  # torch intra-op threads (None: the kit's default)
    jobs: int = 1  # copies of this row running at once (sharing the machine)
    manage_threads: bool = True  # the kit's defaults for sharing (false: stock OpenMP/torch)


@dataclass
class RowResult:
    name: str
    what: str
    samples_per_second: float
    tokens_per_second: float  # real tokens, padding excluded
    padding_fraction: float
    mfu: float | None  # of the measured peak of the row's dtype; None without a peak
    peak_memory_mb: float
    accuracy: float | None  # validation accuracy after the whole budget (None: not trained to it)
    seconds_to_85: float | None  # training seconds to TARGET accuracy (None: never)
    train_seconds: float  # training only, evaluations excluded
    first_step_extra_seconds: float  # first step minus a median step (compilation, warm-up)
    curve: list[tuple[float, float]]  # (training seconds, validation accuracy)
    trainable_params: int
    jobs: int = 1
    steps: int = 0  # optimizer steps trained (a two-jobs row: its sharing_steps)
    # Seconds of the first `sharing_steps` steps (None: fewer steps): the same batches in every
    # row, so a two-jobs row's slowdown is read against the bf16 row like for like.
    first_steps_seconds: float | None = None


def _callback(validation, tokenizer, every: int, target: float):
    """A TrainerCallback that times the steps and evaluates every `every` steps (0: never)."""
    from transformers import TrainerCallback

    from day3.classifier.predict import predict_logits

    class Measure(TrainerCallback):
        def __init__(self) -> None:
            self.eval_seconds, self.curve, self.steps = 0.0, [], []
            self.texts, self.labels = list(validation["text"]), list(validation["label"])

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            self.start = time.perf_counter()
            self.model = model

        def on_step_begin(self, args, state, control, **kwargs):
            self.step_start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.steps.append(time.perf_counter() - self.step_start)
            if every and (state.global_step % every == 0 or state.global_step == state.max_steps):
                self.evaluate()

        def evaluate(self) -> None:
            began = time.perf_counter()
            logits = predict_logits(self.model, tokenizer, self.texts, batch_size=128)
            accuracy = float((logits.argmax(-1) == self.labels).mean())
            self.curve.append((round(began - self.start - self.eval_seconds, 2), accuracy))
            self.eval_seconds += time.perf_counter() - began

        def to_target(self) -> float | None:
            return next((t for t, a in self.curve if a >= target), None)

        def first_step_extra(self) -> float:
            return self.steps[0] - statistics.median(self.steps) if len(self.steps) > 1 else 0.0

    return Measure()


class CountingCollator:
    """Pads like the Trainer's collator (to the batch's longest text, or to max_length) and
    counts real and padded tokens."""

    def __init__(self, tokenizer, pad_to_max: bool, max_length: int) -> None:
        from transformers import DataCollatorWithPadding

        padding = "max_length" if pad_to_max else "longest"
        self.inner = DataCollatorWithPadding(tokenizer, padding=padding, max_length=max_length)
        self.real = self.total = 0

    def __call__(self, features):
        batch = self.inner(features)
        mask = batch["attention_mask"]
        self.real += int(mask.sum())
        self.total += mask.numel()
        return batch


def build_job(spec: RowSpec, settings: dict):
    """The ClassifierJob of a recipe: the kit's fine-tuning with the row's changes."""
    from day3.classifier.strategies import StrategyConfig, learning_rate
    from day3.classifier.train import TRAINER_SCRATCH, ClassifierJob, training_arguments
    from day3.data.classification import DataSpec

    strategy = StrategyConfig.parse(spec.strategy)
    micro = settings["batch_size"] // spec.grad_accumulation
    job = ClassifierJob(
        model=settings["model"],
        data=DataSpec(**settings["data"]),
        strategy=strategy,
        output=settings["scratch"],
        epochs=settings["epochs"],
        batch_size=micro,
        max_length=settings["max_length"],
        seed=settings["seed"],
        bf16="auto" if spec.bf16 else False,
        learning_rate=learning_rate(strategy.name, settings["lr_regime"]),
        group_by_length=spec.group_by_length,
    )
    # The row's changes go through TrainingArguments' own checks (set afterwards, torch_compile
    # would not pick its backend).
    job.training = training_arguments(
        TRAINER_SCRATCH,
        strategy,
        job.device_choice,
        job.epochs,
        job.learning_rate,
        micro,
        job.seed,
        train_sampling_strategy="group_by_length" if spec.group_by_length else "random",
        gradient_accumulation_steps=spec.grad_accumulation,
        gradient_checkpointing=spec.grad_checkpointing,
        torch_compile=spec.compile,
        max_steps=capped_steps(spec, settings) or -1,
    )
    return job


def capped_steps(spec: RowSpec, settings: dict) -> int:
    """Steps a row trains when it measures throughput only (the two-jobs rows); 0: the budget."""
    return settings.get("sharing_steps", 0) if spec.jobs > 1 else 0


def run_row(spec: RowSpec, settings: dict, peak: dict | None) -> RowResult:
    """Train one recipe as `settings` say (model, data, budget, seed, ...); measure it."""
    import torch

    from day3.classifier.train import evaluate, fine_tune, prepare

    if spec.threads:
        torch.set_num_threads(spec.threads)
    job = build_job(spec, settings)
    prep = prepare(job)
    collator = CountingCollator(prep.tokenizer, spec.pad_to_max, settings["max_length"])
    capped = capped_steps(spec, settings)  # a throughput row: its accuracy is not evaluated
    every = 0 if capped else settings["eval_every"]
    measure = _callback(prep.data.validation, prep.tokenizer, every, TARGET)
    measured = fine_tune(prep, collator=collator, callbacks=(measure,))
    seconds = measured["train_seconds"] - measure.eval_seconds
    tokens_per_second = collator.real / seconds
    samples = len(prep.data.train) * job.epochs
    if capped:
        samples = min(samples, len(measure.steps) * settings["batch_size"])
    dtype = "bf16" if job.device_choice.bf16 else "fp32"
    flops = settings["flops_per_token"][job.strategy.name] * tokens_per_second
    return RowResult(
        name=spec.name,
        what=spec.what,
        samples_per_second=round(samples / seconds, 1),
        tokens_per_second=round(tokens_per_second, 1),
        padding_fraction=round(1 - collator.real / max(1, collator.total), 4),
        mfu=round(flops / (peak[dtype] * 1e9), 4) if peak else None,
        peak_memory_mb=measured["peak_memory_mb"],
        accuracy=None if capped else round(evaluate(prep)["accuracy"], 4),
        seconds_to_85=measure.to_target(),
        train_seconds=round(seconds, 1),
        first_step_extra_seconds=round(measure.first_step_extra(), 2),
        curve=measure.curve,
        trainable_params=measured["trainable_params"],
        jobs=spec.jobs,
        steps=len(measure.steps),
        first_steps_seconds=_first(measure.steps, settings.get("sharing_steps", 0)),
    )


def _first(steps: list[float], n: int) -> float | None:
    return round(sum(steps[:n]), 3) if n and len(steps) >= n else None


def main() -> None:
    """The worker: `python -m day3.training.rows ROW.json`; prints the RowResult as JSON."""
    from day3.core.env import configure

    configure()
    task = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    result = run_row(RowSpec(**task["spec"]), task["settings"], task["peak"])
    sys.stdout.write(json.dumps(asdict(result)) + "\n")


if __name__ == "__main__":
    main()
