"""Fine-tuning a sequence classifier with the Hugging Face `Trainer`, in four steps a lesson
can show one by one: `prepare` (resolve, validate, build), `fine_tune`, `evaluate`, `save_run`.
`run_classifier_job` chains them; the CLI and the lessons call the same functions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from day3.classifier.evaluate import evaluate_classifier
from day3.classifier.strategies import CHOICES as STRATEGY_CHOICES
from day3.classifier.strategies import StrategyConfig, apply_strategy, count_parameters
from day3.classifier.strategies import learning_rate as default_learning_rate
from day3.core import checks
from day3.core.device import DeviceChoice, peak_memory_mb, pick_device, reset_peak_memory
from day3.core.errors import UserError
from day3.core.flags import option
from day3.core.progress import quiet_trainer
from day3.core.runs import RunFolder
from day3.core.sharing import sharing_callback, sharing_cpu
from day3.core.ui import is_main_process, say
from day3.data.classification import ClassificationData, DataSpec, load_classification
from day3.models.catalogue import ResolvedModel, resolve_model
from day3.models.loading import load_classifier, load_tokenizer

# The Trainer's output_dir when nothing is checkpointed: replaced by a temporary folder in
# fine_tune (the name only shows in settings.json).
TRAINER_SCRATCH = "<temporary>"
RUN_KIND = "classifier-run"  # the run folder's marker (day3.core.runs)
DEVICES = ("auto", "cpu", "cuda", "mps")


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
        learning_rate=learning_rate or default_learning_rate(strategy.name),
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
        # A classification loss is a mean per example: under DDP the plain average of the
        # ranks' gradients is the global mean. transformers' token averaging would scale the
        # loss by the number of processes (doubling gradients at 2, so clipping differs).
        average_tokens_across_devices=False,
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
    """One fine-tuning run (`day3 finetune-classifier`). Its fields are the command's flags;
    the optimiser's settings end in `training` (a `TrainingArguments`), built from them."""

    model: str = option("minilm", help="minilm | distilbert | tiny-bert | FOLDER | HUB_ID")
    data: DataSpec = field(default_factory=DataSpec)
    strategy: StrategyConfig = option(
        default_factory=StrategyConfig,
        parse=StrategyConfig.parse,
        help=STRATEGY_CHOICES,
    )
    lora_r: int | None = option(None, help="LoRA rank (default 16; same as --strategy lora:R)")
    output: Path = option(Path("runs/classifier"), required=True, help="run folder to write")
    overwrite: bool = option(False, help="replace a non-empty --output")
    replace_own: bool = False  # a lesson's default output: replace its own previous run
    epochs: float = option(3.0, help="passes over the training data")
    learning_rate: float | None = option(
        None,
        flag="--lr",
        help="default per strategy: full 5e-5, lora 5e-4, ia3 1e-2, prompt-tuning 3e-3, frozen 2e-3",
    )
    batch_size: int = option(32, help="sentences per step")
    max_length: int = option(128, help="tokens per text, longer is cut")
    seed: int = option(42, help="random seed (the new head, shuffling, the held-out split)")
    device: str = option("auto", choices=DEVICES, help="where to train")
    bf16: str | bool = option(
        "auto", flag="--no-bf16", const=False, help="train in fp32 even where bf16 is native"
    )
    merge_lora: bool = option(
        True, flag="--no-merge", help="LoRA: skip the merged model (stock loaders use it)"
    )
    allow_pickle: bool = option(False, help="accept *.bin (pickle) weights")
    save_steps: int | None = option(
        None,
        metavar="N",
        help="checkpoint every N steps into OUTPUT.checkpoints/ (kept until the run completes)",
    )
    resume: bool = option(
        False, help="continue from the newest complete checkpoint (none: start fresh)"
    )
    group_by_length: bool = option(
        True, flag="--no-group-by-length", help="batch in random order, not by text length"
    )
    training: object = None  # TrainingArguments; built from the fields above when None

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        if isinstance(self.strategy, str):
            self.strategy = StrategyConfig.parse(self.strategy)
        if self.lora_r is not None:  # --lora-r: the rank of a lora strategy, said apart
            self.strategy = dataclasses.replace(self.strategy, lora_r=self.lora_r)
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
                train_sampling_strategy="group_by_length" if self.group_by_length else "random",
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
    from day3.core.checkpoints import check_run_identity, find_resume_checkpoint, has_checkpoints

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
    from day3.core.checkpoints import find_resume_checkpoint, has_checkpoints, pin_run_identity

    folder = job.checkpoints
    if not is_main_process():  # under DDP the main process keeps the folder; the rest read
        return
    if has_checkpoints(folder) and not job.resume:  # --overwrite: check_checkpoints said so
        shutil.rmtree(folder)
    if job.resume:
        find_resume_checkpoint(folder, warn=False)  # removes what check_checkpoints skipped
    if job.resume or job.save_steps:
        pin_run_identity(folder, job.identity())


def evaluate(prep: Prepared) -> dict:
    return evaluate_classifier(
        prep.model, prep.tokenizer, prep.data.validation, max_length=prep.job.max_length
    )


def fine_tune(prep: Prepared, collator=None, callbacks: tuple = ()) -> dict:
    """Train in place; returns what was measured (time, throughput, memory, loss history).
    `collator` (default: pad each batch to its longest text) and `callbacks` let a benchmark
    change how batches are built and watch the training (day3.training.bench)."""
    from transformers import DataCollatorWithPadding, Trainer

    from day3.core.checkpoints import checkpointing

    job, tok = prep.job, prep.tokenizer

    def tokenize(batch):
        return tok(batch["text"], truncation=True, max_length=job.max_length)

    train = prep.data.train.map(tokenize, batched=True, remove_columns=["text"])
    reset_peak_memory(job.device_choice)
    start = time.perf_counter()
    # The Trainer's own callbacks print to stdout; stdout is for results.
    with contextlib.redirect_stdout(sys.stderr), _scratch_output(job.training), sharing_cpu():
        # Atomic checkpoints when `save_steps` asks; otherwise it trains as the stock Trainer.
        trainer = checkpointing(Trainer)(
            model=prep.model,
            args=job.training,
            train_dataset=train,
            processing_class=tok,
            data_collator=collator or DataCollatorWithPadding(tok),
            callbacks=[sharing_callback(), *callbacks],
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
