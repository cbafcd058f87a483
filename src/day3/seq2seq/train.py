"""Sequence-to-sequence (T5-family) training and evaluation, shared by the Flan-T5 lesson, the
mini-FLAN stand-in and `day3 forgetting seq2seq`.

- Labels are padded with -100 so that padding never counts in the loss (the collator does it).
- Generation lengths are always explicit: model defaults differ across checkpoints and a
  silent 20-token cap truncates summaries.
- fp32 by default on CPU: T5 is known to overflow in fp16, and bf16 is used only when asked.
- Metrics ship their code: exact match by hand, ROUGE from `rouge-score` (no `evaluate.load`).
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass

from day3.core import checks
from day3.core.device import DeviceChoice, peak_memory_mb, reset_peak_memory
from day3.core.progress import quiet_trainer
from day3.core.sharing import sharing_callback, sharing_cpu


@dataclass
class Seq2SeqBudget:
    """How much to train: the parts of `Seq2SeqTrainingArguments` a lesson varies."""

    max_steps: int = 1000
    learning_rate: float = 1e-3
    batch_size: int = 64
    warmup: float = 0.05  # fraction of steps
    seed: int = 0

    def __post_init__(self) -> None:
        checks.count("steps", self.max_steps)
        checks.count("batch_size", self.batch_size)
        checks.positive("lr", self.learning_rate)
        checks.fraction("warmup", self.warmup)
        checks.seed("seed", self.seed)


def tokenize_pairs(dataset, tokenizer, max_source_length: int = 128, max_target_length: int = 32):
    """Columns `input`, `target` -> input_ids, attention_mask, labels (unpadded: the collator
    pads inputs with the pad id and labels with -100)."""

    def encode(batch):
        enc = tokenizer(batch["input"], truncation=True, max_length=max_source_length)
        enc["labels"] = tokenizer(
            text_target=batch["target"], truncation=True, max_length=max_target_length
        )["input_ids"]
        return enc

    keep = [c for c in dataset.column_names if c not in ("input", "target")]
    return dataset.map(encode, batched=True, remove_columns=["input", "target", *keep])


def training_arguments(output_dir: str, budget: Seq2SeqBudget, device: DeviceChoice, **overrides):
    from transformers import Seq2SeqTrainingArguments

    kwargs = dict(
        output_dir=output_dir,
        max_steps=budget.max_steps,
        learning_rate=budget.learning_rate,
        per_device_train_batch_size=budget.batch_size,
        warmup_steps=budget.warmup,
        lr_scheduler_type="linear",
        weight_decay=0.01,
        logging_strategy="steps",
        logging_steps=max(1, budget.max_steps // 50),
        save_strategy="no",
        eval_strategy="no",
        seed=budget.seed,
        data_seed=budget.seed,
        report_to="none",
        dataloader_num_workers=0,
        disable_tqdm=False,
        **device.training_kwargs(),
    )
    kwargs.update(overrides)
    return Seq2SeqTrainingArguments(**kwargs)


def train_seq2seq(
    model, tokenizer, train_tokenized, args, resume: bool | str | None = None
) -> dict:
    """Train in place with `Seq2SeqTrainer`; returns time, throughput, memory and the losses.

    Checkpoints (`save_strategy` in `args`) are atomic; `resume=True` continues from the newest
    complete one in `args.output_dir` (a fresh start when there is none), a path from that one.
    """
    from transformers import DataCollatorForSeq2Seq, Seq2SeqTrainer

    from day3.core.checkpoints import checkpointing

    collator = DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100)
    trainer = checkpointing(Seq2SeqTrainer)(
        model=model,
        args=args,
        train_dataset=train_tokenized,
        processing_class=tokenizer,
        data_collator=collator,
    )
    quiet_trainer(trainer, f"train {type(model).__name__}")
    device = DeviceChoice("cpu" if args.use_cpu else model.device.type, bool(args.bf16))
    reset_peak_memory(device)
    start = time.perf_counter()
    trainer.add_callback(sharing_callback())
    with contextlib.redirect_stdout(sys.stderr), sharing_cpu():
        trainer.train(resume_from_checkpoint=resume or None)
    seconds = time.perf_counter() - start
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    model_out = trainer.accelerator.unwrap_model(trainer.model, keep_fp32_wrapper=False)
    return {
        "model": model_out,
        "train_seconds": round(seconds, 2),
        "steps": trainer.state.global_step,
        "samples_per_second": round(
            (trainer.state.global_step - trainer.resumed_step)
            * args.per_device_train_batch_size
            / seconds,
            1,
        ),
        "peak_memory_mb": round(peak_memory_mb(device), 1),
        "losses": losses,
    }
