"""What a checkpoint's completion marker costs: the sha256 of every file, written and checked.

Run (a few seconds; writes ~270 MB to a temporary folder, removed afterwards):
    python benchmarks/checkpoint_marker.py                 # a MiniLM-sized checkpoint
    python benchmarks/checkpoint_marker.py --megabytes 50 --repeats 9

A MiniLM checkpoint is ~87 MB of fp32 weights plus ~174 MB of AdamW state (two moments), with
small JSON files beside them; the folder here has the same sizes, filled with random bytes.
Prints the median (and range) of `write_marker` (fsync + hash + rename) and of
`check_checkpoint` (hash every file again) over the repeats.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from day3.core.checkpoints import MARKER, check_checkpoint, write_marker  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--megabytes", type=float, default=261.0, help="weights + optimizer state")
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()

with tempfile.TemporaryDirectory(prefix="day3-marker-") as tmp:
    folder = Path(tmp) / "checkpoint-100"
    folder.mkdir()
    weights = int(args.megabytes / 3 * 2**20)
    for name, size in (("model.safetensors", weights), ("optimizer.pt", 2 * weights)):
        (folder / name).write_bytes(os.urandom(size))
    for name in ("trainer_state.json", "scheduler.pt", "rng_state.pth"):
        (folder / name).write_bytes(os.urandom(4096))
    writes, checks = [], []
    for _ in range(args.repeats):
        (folder / MARKER).unlink(missing_ok=True)
        start = time.perf_counter()
        write_marker(folder, 100)
        writes.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert check_checkpoint(folder) is None
        checks.append(time.perf_counter() - start)

total = 3 * weights + 3 * 4096
print(f"checkpoint of {total / 2**20:,.0f} MB, {args.repeats} repeats, {os.cpu_count()} cpus")
print("| step | median s | min s | max s |")
print("| --- | --- | --- | --- |")
for label, times in (("write marker", writes), ("check marker", checks)):
    print(f"| {label} | {statistics.median(times):.3f} | {min(times):.3f} | {max(times):.3f} |")
