"""Benchmark: one epoch of `full`, `lora` and `frozen` fine-tuning of the embedded MiniLM on SST-2.

Run (needs the data mirror; ~25 minutes on 2 cores):
    DAY3_DATA_DIR=../shared/data python benchmarks/sst2_strategies.py --output runs/bench-sst2
    ... --strategies full,lora --max-train-samples 5000   # a shorter look
    ... --save-steps 200, then after a crash the same command with --resume: finished rows are
        kept and the interrupted one continues from its newest complete checkpoint

Prints a table of what was measured on this machine (accuracy, macro-F1, trainable share, wall
time, samples/s, peak memory) and writes it as results.md + results.json + results.png.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from day3.classifier.run import run_classifier_job
from day3.classifier.strategies import StrategyConfig  # noqa: E402
from day3.classifier.train import ClassifierJob
from day3.core.errors import UserError  # noqa: E402
from day3.data.classification import DataSpec  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", default="minilm")
parser.add_argument("--data", default="sst2")
parser.add_argument("--strategies", default="full,lora,frozen")
parser.add_argument("--epochs", type=float, default=1.0)
parser.add_argument("--max-train-samples", type=int)
parser.add_argument("--output", default="runs/bench-sst2")
parser.add_argument("--overwrite", action="store_true")
parser.add_argument("--save-steps", type=int, help="checkpoint every N steps (atomic)")
parser.add_argument(
    "--resume", action="store_true", help="after a crash: keep finished rows, resume the rest"
)
args = parser.parse_args()

out = Path(args.output)
rows = []
try:
    for name in args.strategies.split(","):
        strategy = StrategyConfig.parse(name)
        folder = out / name.replace(":", "-")
        if args.resume and (folder / "metrics.json").is_file():
            m = json.loads((folder / "metrics.json").read_text())  # finished before the crash
        else:
            job = ClassifierJob(
                model=args.model,
                data=DataSpec(args.data, max_train_samples=args.max_train_samples),
                strategy=strategy,
                output=folder,
                overwrite=args.overwrite,
                epochs=args.epochs,
                save_steps=args.save_steps,
                resume=args.resume,
            )
            m = run_classifier_job(job)
        settings = json.loads((folder / "settings.json").read_text())
        rows.append(
            {
                "strategy": m["strategy"],
                "accuracy": m["validation"]["accuracy"],
                "f1": m["validation"]["f1"],
                "trainable_params": m["trainable_params"],
                "trainable_percent": m["trainable_percent"],
                "train_seconds": m["train_seconds"],
                "samples_per_second": m["samples_per_second"],
                "peak_memory_mb": m["peak_memory_mb"],
                "n_train": m["n_train"],
                "lr": settings["training_args"]["learning_rate"],
                "device": m["device"],
            }
        )
except UserError as e:
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)

header = "| strategy | val acc | macro-F1 | trainable | wall s | samples/s | peak MB |\n|---|---|---|---|---|---|---|\n"
table = header + "".join(
    f"| {r['strategy']} | {r['accuracy']:.4f} | {r['f1']:.4f} | {r['trainable_params']:,} ({r['trainable_percent']:.2f}%) "
    f"| {r['train_seconds']:.0f} | {r['samples_per_second']:.1f} | {r['peak_memory_mb']:.0f} |\n"
    for r in rows
)
lrs = ", ".join(f"{r['strategy']} {r['lr']:g}" for r in rows)
settings = (
    f"{args.model} on {args.data}, {rows[0]['n_train']:,} training rows, {args.epochs:g} epoch(s), "
    f"batch 32, lr {lrs}; {rows[0]['device']}; "
    f"{os.cpu_count()} CPUs"
)
print(f"\n{settings}\n\n{table}")
(out / "results.md").write_text(f"{settings}\n\n{table}")
(out / "results.json").write_text(json.dumps({"settings": settings, "results": rows}, indent=2))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(6, 4))
for r in rows:
    ax.scatter(r["train_seconds"], r["accuracy"], s=60)
    ax.annotate(
        f"{r['strategy']} ({r['trainable_percent']:.1f}% trained)",
        (r["train_seconds"], r["accuracy"]),
        textcoords="offset points",
        xytext=(6, 4),
    )
ax.set_xlabel("training wall time (s)")
ax.set_ylabel("SST-2 validation accuracy")
ax.set_title("accuracy vs cost, one epoch")
ax.grid(alpha=0.3)
fig.tight_layout()
fig.savefig(out / "results.png", dpi=110)
