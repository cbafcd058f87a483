"""Fine-tuning a sequence classifier with the Hugging Face `Trainer`, in four steps a lesson
can show one by one: `prepare` (resolve, validate, build), `fine_tune`, `evaluate`, `save_run`.
`run_classifier_job` chains them; the CLI and the lessons call the same functions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from day3 import checks
from day3.data import ClassificationData, DataSpec, load_classification
from day3.device import DeviceChoice, peak_memory_mb, pick_device, reset_peak_memory
from day3.errors import UserError
from day3.evaluation import evaluate_classifier, plot_confusion_matrix, plot_loss_curve
from day3.models import ResolvedModel, load_classifier, load_tokenizer, resolve_model
from day3.progress import quiet_trainer
from day3.runs import RunFolder, write_json, writing
from day3.strategies import StrategyConfig, apply_strategy, count_parameters
from day3.ui import say

# A random head and a frozen backbone need a far larger step than weights already near a
# good optimum; LoRA sits between (its B matrix starts at zero). IA3's few scaling vectors
# start at 1 (a no-op) and need large steps; prompt tuning's virtual tokens share theirs with the
# head. Both picked on MiniLM, 4,000 SST-2 sentences: ia3 best of 3e-3..3e-2, prompt-tuning of
# 1e-3..1e-1.
DEFAULT_LR = {"full": 5e-5, "lora": 5e-4, "ia3": 1e-2, "prompt-tuning": 3e-3, "frozen": 2e-3}
# The Trainer's output_dir when nothing is checkpointed: replaced by a temporary folder in
# fine_tune (the name only shows in settings.json).
TRAINER_SCRATCH = "<temporary>"
RUN_KIND = "classifier-run"  # the run folder's marker (day3.runs)
# Adapters whose merged model is saved too. Prompt tuning cannot merge; peft 0.21's IA3 merge
# fails on a BERT head kept in modules_to_save (its pooler), so IA3 runs keep the adapter only.
MERGEABLE = ("lora",)
ADAPTER_DIR = "adapter"  # where a merged run keeps its peft adapter


def training_arguments(
    output_dir: str | Path,
    strategy: StrategyConfig,
    device: DeviceChoice,
    epochs: float = 3.0,
    learning_rate: float | None = None,
    batch_size: int = 32,
    seed: int = 42,
    **overrides,
):
    """`TrainingArguments` with the kit's defaults; any field can be overridden by name."""
    from transformers import TrainingArguments

    checks.positive("epochs", epochs)
    checks.count("batch_size", batch_size)
    if learning_rate is not None:
        checks.positive("lr", learning_rate)
    checks.seed("seed", seed)
    kwargs = dict(
        output_dir=str(output_dir),
        num_train_epochs=epochs,
        learning_rate=learning_rate or DEFAULT_LR[strategy.name],
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=max(batch_size, 64),
        warmup_steps=0.06,  # a float is a fraction of all steps in transformers 5
        weight_decay=0.01,
        lr_scheduler_type="linear",
        # Sentences of similar length share a batch: less padding, same randomness per epoch.
        train_sampling_strategy="group_by_length",
        logging_strategy="steps",
        logging_steps=0.02,  # a fraction: ~50 points on the loss curve whatever the run length
        logging_first_step=True,
        eval_strategy="no",  # evaluated once at the end, by the same code as `eval-classifier`
        save_strategy="no",
        seed=seed,
        data_seed=seed,
        dataloader_num_workers=0,
        report_to="none",
        **device.training_kwargs(),
    )
    kwargs.update(overrides)
    return TrainingArguments(**kwargs)


@dataclass
class ClassifierJob:
    """One fine-tuning run. Optimisation settings live in `training` (a `TrainingArguments`)."""

    model: str = field(default="minilm", metadata={"help": "alias, local folder or Hub id"})
    data: DataSpec = field(default_factory=DataSpec)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    output: Path = field(default=Path("runs/classifier"), metadata={"help": "run folder"})
    max_length: int = field(default=128, metadata={"help": "tokens per text, longer is cut"})
    overwrite: bool = False
    replace_own: bool = field(
        default=False, metadata={"help": "replace day3's own earlier output (lesson defaults)"}
    )
    merge_lora: bool = field(
        default=True, metadata={"help": "lora/ia3: save the merged model (stock loaders use it)"}
    )
    allow_pickle: bool = False
    device: str = "auto"
    bf16: str | bool = "auto"
    epochs: float = 3.0
    learning_rate: float | None = None
    batch_size: int = 32
    seed: int = 42
    save_steps: int | None = field(
        default=None, metadata={"help": "checkpoint every N steps into <output>.checkpoints"}
    )
    resume: bool = field(default=False, metadata={"help": "continue from the newest checkpoint"})
    training: object = None  # TrainingArguments; built from the fields above when None

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        checks.count("max_length", self.max_length, 8, unit=" tokens")
        if self.save_steps is not None:
            checks.count("save_steps", self.save_steps)
        self.data.seed = self.seed
        self.device_choice = pick_device(self.device, self.bf16)
        if self.training is None:
            # Checkpoints live beside the run folder: RunFolder.begin() wipes `.partial`.
            checkpointing = self.save_steps is not None or self.resume
            saves = (
                dict(save_strategy="steps", save_steps=self.save_steps) if self.save_steps else {}
            )
            # Without checkpoints the Trainer still wants a folder: fine_tune gives it a
            # temporary one, so that a crash or Ctrl-C leaves nothing beside the output.
            self.training = training_arguments(
                self.checkpoints if checkpointing else TRAINER_SCRATCH,
                self.strategy,
                self.device_choice,
                self.epochs,
                self.learning_rate,
                self.batch_size,
                self.seed,
                **saves,
            )

    @property
    def checkpoints(self) -> Path:
        """Where `save_steps` checkpoints go; it survives a crash and is removed on success."""
        return self.output.with_name(self.output.name + ".checkpoints")

    def identity(self) -> dict:
        """The settings a checkpoint can only be resumed under."""
        keep = ("model", "max_length", "epochs", "learning_rate", "batch_size", "seed")
        return {
            **{k: getattr(self, k) for k in keep},
            "data": dataclasses.asdict(self.data),
            "strategy": dataclasses.asdict(self.strategy),
            "device": self.device_choice.device,
            "bf16": self.device_choice.bf16,
        }

    def settings(self) -> dict:
        """The exact settings, JSON-ready (TrainingArguments.to_dict redacts tokens)."""
        own = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in ("training", "data", "strategy")
        }
        return {
            **own,
            "data": dataclasses.asdict(self.data),
            "strategy": dataclasses.asdict(self.strategy),
            "device": self.device_choice.describe(),
            "training_args": self.training.to_dict(),
        }


@dataclass
class Prepared:
    job: ClassifierJob
    resolved: ResolvedModel
    data: ClassificationData
    tokenizer: object
    model: object
    resume_from: Path | None = None  # the checkpoint fine_tune continues from


def output_folder(job: ClassifierJob) -> RunFolder:
    return RunFolder(job.output, job.overwrite, kind=RUN_KIND, replace_own=job.replace_own)


def prepare(job: ClassifierJob) -> Prepared:
    """Everything that can fail on bad input happens here, before any training; nothing is
    written until every check has passed."""
    from transformers import set_seed

    output_folder(job).check()
    resume_from = check_checkpoints(job)
    resolved = resolve_model(job.model, job.allow_pickle, purpose="classifier")
    data = load_classification(job.data)
    say(
        f"data: {data.source} — {len(data.train):,} train / {len(data.validation):,} validation, "
        f"classes {', '.join(data.label_names)}"
    )
    say(f"model: {resolved.describe()}")
    tokenizer = load_tokenizer(resolved.path)
    set_seed(job.seed)  # the new head's initial weights
    model = load_classifier(resolved.path, data.id2label, job.allow_pickle)
    model = apply_strategy(model, job.strategy)
    trainable, total = count_parameters(model)
    say(
        f"strategy {job.strategy.label}: {trainable:,} of {total:,} parameters train "
        f"({100 * trainable / total:.2f}%) on {job.device_choice.describe()}"
    )
    start_checkpoints(job)
    return Prepared(job, resolved, data, tokenizer, model, resume_from)


def check_checkpoints(job: ClassifierJob) -> Path | None:
    """Refuse to silently discard an interrupted run's checkpoints, or to resume one trained
    under other settings; the checkpoint to resume from. Reads only: writes nothing."""
    from day3.checkpoints import check_run_identity, find_resume_checkpoint, has_checkpoints

    folder = job.checkpoints
    if has_checkpoints(folder) and not job.resume and not job.overwrite:
        raise UserError(
            f"{folder} holds checkpoints of an interrupted run; pass --resume to continue "
            "it, or --overwrite to start over"
        )
    if not job.resume:
        return None
    check_run_identity(folder, job.identity())
    found = find_resume_checkpoint(folder, clean=False)
    if found is None:
        say(f"no complete checkpoint in {folder}; starting from scratch")
    return found


def start_checkpoints(job: ClassifierJob) -> None:
    """Once every input is known good: clear stale checkpoints (--overwrite) and pin the run's
    settings beside the ones it will write."""
    from day3.checkpoints import find_resume_checkpoint, has_checkpoints, pin_run_identity

    folder = job.checkpoints
    if has_checkpoints(folder) and not job.resume:  # --overwrite: check_checkpoints said so
        shutil.rmtree(folder)
    if job.resume:
        find_resume_checkpoint(folder, warn=False)  # removes what check_checkpoints skipped
    if job.resume or job.save_steps:
        pin_run_identity(folder, job.identity())


def completed_run(job: ClassifierJob) -> dict | None:
    """`--resume` of a run that already finished (killed after its folder was committed): its
    metrics, so a retry loop ends. Other settings than the finished run's are refused."""
    from day3.runs import as_saved, differing_settings, read_marker

    marker = read_marker(job.output)
    if not job.resume or not marker or marker.get("kind") != RUN_KIND:
        return None
    if marker.get("state") != "complete":
        return None
    saved = json.loads((job.output / "settings.json").read_text()).get("identity", {})
    differ = differing_settings(saved, as_saved(job.identity()))
    if differ:
        raise UserError(
            f"{job.output} is a finished run with other settings ({', '.join(differ)}); "
            "choose another --output, or pass --overwrite instead of --resume to replace it"
        )
    say(f"{job.output} is already complete: nothing to resume")
    return json.loads((job.output / "metrics.json").read_text())


def evaluate(prep: Prepared) -> dict:
    return evaluate_classifier(
        prep.model, prep.tokenizer, prep.data.validation, max_length=prep.job.max_length
    )


def fine_tune(prep: Prepared) -> dict:
    """Train in place; returns what was measured (time, throughput, memory, loss history)."""
    from transformers import DataCollatorWithPadding, Trainer

    from day3.checkpoints import checkpointing

    job, tok = prep.job, prep.tokenizer

    def tokenize(batch):
        return tok(batch["text"], truncation=True, max_length=job.max_length)

    train = prep.data.train.map(tokenize, batched=True, remove_columns=["text"])
    reset_peak_memory(job.device_choice)
    start = time.perf_counter()
    # The Trainer's own callbacks print to stdout; stdout is for results.
    with contextlib.redirect_stdout(sys.stderr), _scratch_output(job.training):
        # Atomic checkpoints when `save_steps` asks; otherwise it trains as the stock Trainer.
        trainer = checkpointing(Trainer)(
            model=prep.model,
            args=job.training,
            train_dataset=train,
            processing_class=tok,
            data_collator=DataCollatorWithPadding(tok),
        )
        quiet_trainer(trainer, f"train {job.strategy.label}")
        trainer.train(resume_from_checkpoint=str(prep.resume_from) if prep.resume_from else None)
    seconds = time.perf_counter() - start
    # accelerate patched forward() with bf16 autocast for training; evaluate and save the plain
    # fp32 model, exactly as `eval-classifier` will reload it.
    prep.model = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    trainable, total = count_parameters(prep.model)
    steps = trainer.state.global_step
    done = 1 - trainer.resumed_step / max(1, steps)  # a resumed run trained only the rest
    return {
        "train_seconds": round(seconds, 2),
        "samples_per_second": round(done * len(train) * job.training.num_train_epochs / seconds, 2),
        "steps": trainer.state.global_step,
        "resumed_from": str(prep.resume_from) if prep.resume_from else None,
        "peak_memory_mb": round(peak_memory_mb(job.device_choice), 1),
        "train_loss_first": losses[0] if losses else None,
        "train_loss_last": losses[-1] if losses else None,
        "trainable_params": trainable,
        "total_params": total,
        "trainable_percent": round(100 * trainable / total, 4),
        "log_history": trainer.state.log_history,
    }


@contextlib.contextmanager
def _scratch_output(args):
    """A temporary output_dir for a Trainer that saves nothing, removed afterwards."""
    if args.output_dir != TRAINER_SCRATCH:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="day3-trainer-") as tmp:
        args.output_dir = tmp
        try:
            yield
        finally:
            args.output_dir = TRAINER_SCRATCH


def save_run(prep: Prepared, measured: dict, metrics: dict, baseline: dict | None = None) -> Path:
    """Write the run folder atomically: weights (safetensors), tokenizer, metrics, plots,
    settings and the model card (README.md)."""
    job = prep.job
    folder = output_folder(job)
    with writing(folder) as path:
        _save_model(prep, path)
        log = measured.pop("log_history", [])
        write_json(path / "train_log.json", log)
        plot_loss_curve(log, path / "loss_curve.png", f"{job.model} · {job.strategy.label}")
        plot_confusion_matrix(
            metrics["confusion_matrix"],
            prep.data.label_names,
            path / "confusion_matrix.png",
            f"validation, accuracy {metrics['accuracy']:.3f}",
        )
        write_json(path / "metrics.json", _metrics(prep, measured, metrics, baseline))
        write_json(path / "settings.json", {**job.settings(), "identity": job.identity()})
        from day3.model_card import write_model_card

        write_model_card(path, f"day3/{job.output.name}").save(path / "README.md")
    return folder.output


def _save_model(prep: Prepared, path: Path) -> None:
    """A full model at the root. An adapter run: the merged model at the root, so that stock
    loaders (`pipeline(model=RUN)`) find a whole classifier with its class names, and the
    adapter in `adapter/` (what peft loads); unmergeable (prompt tuning) or `merge_lora=False`:
    the adapter at the root."""
    job = prep.job
    mergeable = job.strategy.name in MERGEABLE and job.merge_lora
    adapter_dir = path / ADAPTER_DIR if mergeable else path
    prep.model.save_pretrained(adapter_dir, safe_serialization=True)
    prep.tokenizer.save_pretrained(adapter_dir)
    (adapter_dir / "README.md").unlink(missing_ok=True)  # peft's empty template card
    if mergeable:
        prep.model = prep.model.merge_and_unload()
        prep.model.save_pretrained(path, safe_serialization=True)
        prep.tokenizer.save_pretrained(path)


def _metrics(prep: Prepared, measured: dict, metrics: dict, baseline: dict | None) -> dict:
    import torch
    import transformers

    job = prep.job
    return {
        "model": job.model,
        "model_path": prep.resolved.path,
        "model_source": prep.resolved.source,
        "strategy": job.strategy.label,
        "data": prep.data.source,
        "label_names": list(prep.data.label_names),
        "n_train": len(prep.data.train),
        "n_validation": len(prep.data.validation),
        "validation": metrics,
        "baseline": baseline,
        **measured,
        "device": job.device_choice.describe(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }


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


# 400 embedded sentences give only ~100 steps at batch 16: bigger steps than the SST-2 defaults.
EMBEDDED_LR = {"full": 1e-4, "lora": 1e-3, "frozen": 3e-3}


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
        learning_rate=EMBEDDED_LR.get(config.name, 1e-3),
        batch_size=16,
        replace_own=True,  # a rerun replaces its own previous run, never someone's folder
    )
    settings.update(overrides)
    return ClassifierJob(**settings)
