"""`--measure`: train a few real steps of the estimated setting on this machine and report the
peak, to set beside the estimate.

The steps run in a fresh Python process (`python -m day3.estimate.measure SETTINGS`), so that
the peak belongs to this training alone: the kit's own pieces (load_classifier, apply_strategy)
and a plain torch loop over full-length random batches, under autocast for bf16 exactly as the
estimate assumes (trainable weights fp32, frozen ones stored in bf16). The peak is the process's
resident size on a CPU (day3.core.device.peak_memory_mb, VmHWM, reset just before the first
step, so it includes the runtime baseline and the weights) and torch.cuda.max_memory_allocated
on a GPU (tensors only: compare it with the estimate minus the CUDA context).

The child runs with `MALLOC_MMAP_THRESHOLD_=131072` unless you set it: glibc otherwise raises
its mmap threshold after the first large free, and the activations freed after each backward
pass then stay in the heap; RSS grows by up to 60% over what the tensors need (measured:
MiniLM LoRA, batch 32 × 128, 2,260 MiB default vs 1,497 MiB fixed). The same variable lowers a
real CPU training's peak just as much.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time

from day3.core.errors import UserError

MMAP_THRESHOLD = "131072"  # glibc's initial value; setting it turns the dynamic raise off
UNMEASURABLE = "bitsandbytes (int8/int4 weights, 8-bit AdamW) needs a CUDA GPU and is not installed"


def check_measurable(estimate, config, source, inventory) -> str:
    """The device to measure on, or a UserError saying why this setting cannot be measured."""
    import torch

    from day3.estimate.hardware import get_hardware, host_memory_bytes

    if inventory is None:
        raise UserError(
            "--measure needs a model it can build; pass a config or folder, not a count"
        )
    if inventory.task != "classification":
        raise UserError(
            f"--measure trains the kit's encoder classifiers (minilm, tiny-bert, bert-base, "
            f"distilbert-base, run folders); {config.model} is a {inventory.task} model: "
            "drop --measure"
        )
    if (
        config.kind == "qlora"
        or config.precision in ("int8", "int4")
        or config.optimizer == "adamw8bit"
    ):
        raise UserError(f"--measure cannot run this setting: {UNMEASURABLE}; drop --measure")
    device = "cuda" if get_hardware(config.hardware).is_gpu else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError(
            "--measure runs here, and this machine has no CUDA device; use --hardware cpu"
        )
    positions = getattr(_config(source), "max_position_embeddings", None)
    if positions is not None and config.seq_len > positions:
        raise UserError(
            f"--seq-len {config.seq_len} is longer than the model's {positions} positions; "
            "--measure cannot run it: use a shorter --seq-len"
        )
    memory = (
        host_memory_bytes() if device == "cpu" else torch.cuda.get_device_properties(0).total_memory
    )
    if memory and estimate.total_bytes > 0.8 * memory:
        raise UserError(
            f"this setting needs about {estimate.total_bytes / 2**30:.1f} GiB, more than 80% of "
            f"this machine's {memory / 2**30:.1f} GiB; lower --batch-size or --seq-len to measure"
        )
    return device


def _config(source):
    from day3.estimate.catalog import load_config

    return load_config(source)


def measure_into(estimate, config, source, inventory) -> None:
    """Run the steps in a child process and store what it saw in `estimate`."""
    device = check_measurable(estimate, config, source, inventory)
    settings = {
        "config_dir": str(source.config_dir),
        "weights": source.has_weights,
        "method": "lora" if config.kind == "lora" else config.kind,
        "rank": config.rank,
        "precision": config.precision,
        "optimizer": config.optimizer,
        "batch_size": config.batch_size,
        "seq_len": config.seq_len,
        "steps": config.steps,
        "grad_checkpointing": config.grad_checkpointing,
        "device": device,
    }
    env = dict(os.environ)
    env.setdefault("MALLOC_MMAP_THRESHOLD_", MMAP_THRESHOLD)
    command = [sys.executable, "-m", "day3.estimate.measure", json.dumps(settings)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the measuring process failed (exit {done.returncode}); see above")
    measured = json.loads(lines[-1])
    measured["malloc_mmap_threshold"] = env["MALLOC_MMAP_THRESHOLD_"]
    estimate.measured = measured
    estimate.measured_peak_bytes = measured["peak_bytes"]


def _rss_bytes() -> int:
    """The resident size now (Linux); 0 where /proc is not there."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def build_model(s: dict):
    """The classifier of the setting, as the estimate counts it: the checkpoint's weights when
    the folder has them, else a random init from the config (the same memory)."""
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    from day3.classifier.strategies import StrategyConfig, apply_strategy
    from day3.models.loading import load_classifier

    config = AutoConfig.from_pretrained(s["config_dir"], trust_remote_code=False)
    if any("ForSequenceClassification" in a for a in config.architectures or []):
        labels = dict(config.id2label)
    else:
        labels = {0: "negative", 1: "positive"}
    torch.manual_seed(0)
    if s["weights"]:
        model = load_classifier(s["config_dir"], labels)
    else:
        config.num_labels = len(labels)
        model = AutoModelForSequenceClassification.from_config(config, trust_remote_code=False)
    half = _half(s["precision"])
    if half is not None and s["method"] != "full":
        model = model.to(half)  # a frozen weight is stored in 16 bits
    model = apply_strategy(model, StrategyConfig(name=s["method"], lora_r=s["rank"]))
    for p in model.parameters():  # a trainable weight keeps its fp32 master copy
        if p.requires_grad and p.dtype != torch.float32:
            p.data = p.data.float()
    if s["grad_checkpointing"]:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    return model.to(s["device"]).train(), len(labels), config.vocab_size


def _half(precision: str):
    """The autocast dtype of a 16-bit setting; None for fp32."""
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)


def make_optimizer(name: str, params):
    import torch

    if name == "sgd":
        return torch.optim.SGD(params, lr=1e-3, momentum=0.9)
    if name == "adafactor":
        return torch.optim.Adafactor(params, lr=1e-3)
    return torch.optim.AdamW(params, lr=1e-5)


def train_steps(s: dict) -> dict:
    """Train `steps` steps of full-length random batches; the peak and what came before it."""
    import torch

    from day3.core.device import DeviceChoice, peak_memory_mb, reset_peak_memory

    choice = DeviceChoice(s["device"], s["precision"] == "bf16")
    half = _half(s["precision"])
    baseline = _rss_bytes()  # torch, transformers, peft imported; no model yet
    model, labels, vocab = build_model(s)
    optimizer = make_optimizer(s["optimizer"], [p for p in model.parameters() if p.requires_grad])
    shape = (s["batch_size"], s["seq_len"])
    gen = torch.Generator().manual_seed(0)
    batch = {
        "input_ids": torch.randint(1000, vocab, shape, generator=gen),
        "attention_mask": torch.ones(shape, dtype=torch.long),
        "labels": torch.randint(0, labels, shape[:1], generator=gen),
    }
    batch = {k: v.to(s["device"]) for k, v in batch.items()}
    loaded = _rss_bytes()
    reset_peak_memory(choice)
    start = time.perf_counter()
    for _ in range(s["steps"]):
        with torch.autocast(s["device"], dtype=half or torch.bfloat16, enabled=half is not None):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    seconds = (time.perf_counter() - start) / s["steps"]
    return {
        "peak_bytes": int(peak_memory_mb(choice) * 2**20),
        "peak_kind": "max_memory_allocated" if s["device"] == "cuda" else "peak RSS",
        "baseline_bytes": baseline,
        "loaded_bytes": loaded,
        "seconds_per_step": round(seconds, 3),
        "device": f"{choice.describe().split(',')[0]}, {s['precision']}",
    }


def main(argv: list[str]) -> int:
    from day3.core.env import configure

    configure()
    import peft  # noqa: F401  (resident in the baseline, as in a real LoRA run)
    import torch  # noqa: F401
    import transformers  # noqa: F401

    settings = json.loads(argv[0])
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the one JSON line
        result = train_steps(settings)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
