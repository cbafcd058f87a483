"""`day3 bench-training`: what each training optimization buys on this machine, measured.

One model (MiniLM), one data set (SST-2 from the mirror, else the embedded reviews), one seed
and one sample budget for every row; each row changes one thing from the row above it:

    baseline            what run_glue.py does by default: pad to 128, fp32, full fine-tuning
    dynamic-padding     pad each batch to its longest text only
    length-grouped      + batches of similar length (less padding still)
    bf16                + bf16 autocast (native bf16 on AVX512-BF16/AMX CPUs and Ampere+ GPUs)
    grad-accumulation   the bf16 recipe in 4 micro-batches per step (same effective batch)
    grad-checkpointing  the bf16 recipe recomputing activations (memory against time)
    compile             the bf16 recipe under torch.compile (compile time reported apart)
    one-thread          the bf16 recipe on 1 thread (against all cores)
    lora, frozen        the bf16 recipe training 1% / the head only
    two-jobs-stock      two bf16 trainings at once, stock torch/OpenMP threads (spinning)
    two-jobs            two bf16 trainings at once, the kit's defaults (day3.core.sharing)

The two-jobs rows train the first `sharing_steps` steps of the budget only: they measure how
much each job slows down while another runs (against the bf16 row alone), and with stock
threads that slowdown is anything from 5x to 20x, so a whole budget there would take longer
than every other row together.

Per row: real (non-pad) tokens/s and samples/s, padding fraction, MFU against this machine's
own GEMM peak (day3.training.peak, measured first), peak memory, validation accuracy after
the budget and the training time to reach 85% (TARGET) (evaluated every N steps, the
clock stopped while it evaluates). Written as bench_training.json, .md and .png (time to 85%,
and accuracy against training time). Each row runs in its own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from day3.core import checks
from day3.core.errors import UserError
from day3.core.flags import comma_list, option
from day3.core.runs import RunFolder
from day3.core.ui import say
from day3.data.classification import DataSpec
from day3.training.rows import TARGET, RowSpec

RECIPE = dict(group_by_length=True, bf16=True)  # the fast single-process recipe
ROWS = (
    RowSpec("baseline", "run_glue.py defaults: pad to 128, fp32", pad_to_max=True),
    RowSpec("dynamic-padding", "pad each batch to its longest text"),
    RowSpec("length-grouped", "+ batches of similar length", group_by_length=True),
    RowSpec("bf16", "+ bf16 autocast", **RECIPE),
    RowSpec("grad-accumulation", "bf16, 4 micro-batches per step", grad_accumulation=4, **RECIPE),
    RowSpec("grad-checkpointing", "bf16, activations recomputed", grad_checkpointing=True,
            **RECIPE),
    RowSpec("compile", "bf16 under torch.compile", compile=True, **RECIPE),
    RowSpec("one-thread", "bf16 on 1 thread", threads=1, **RECIPE),
    RowSpec("lora", "bf16, LoRA r=16", strategy="lora", **RECIPE),
    RowSpec("frozen", "bf16, head only", strategy="frozen", **RECIPE),
    RowSpec("two-jobs-stock", "2 bf16 jobs at once, stock threads", jobs=2, manage_threads=False,
            **RECIPE),
    RowSpec("two-jobs", "2 bf16 jobs at once, kit defaults", jobs=2, **RECIPE),
)  # fmt: skip
ROW_NAMES = tuple(r.name for r in ROWS)


@dataclass
class BenchConfig:
    """`day3 bench-training`: the rows, on one model, data set, seed and sample budget."""

    model: str = option("minilm", help="minilm | tiny-bert | FOLDER")
    data: DataSpec = field(default_factory=lambda: DataSpec("auto", max_train_samples=5120))
    rows: tuple[str, ...] = option(ROW_NAMES, parse=comma_list, help="comma-separated rows")
    epochs: float = option(1.0, help="passes over the sample budget")
    batch_size: int = option(32, help="sentences per optimizer step")
    max_length: int = option(128, help="tokens per text (the baseline pads to it)")
    seed: int = option(42, help="random seed, the same for every row")
    eval_every: int = option(20, help="evaluate every N steps (for the time to 85%)")
    sharing_steps: int = option(
        40,
        help="steps each job of a two-jobs row trains: these rows measure throughput while "
        "sharing the machine (their recipe's accuracy is the bf16 row's); 0: the whole budget",
    )
    output: Path = option(Path("runs/bench-training"), required=True, help="report folder")
    overwrite: bool = option(False, help="replace a non-empty --output")
    replace_own: bool = False  # a lesson's default output
    lr_regime: str = "encoder"  # the learning-rate table's row (day3.classifier.strategies)

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        if isinstance(self.rows, str):
            self.rows = comma_list(self.rows)
        unknown = [r for r in self.rows if r not in ROW_NAMES]
        if unknown or not self.rows:
            raise UserError(
                f"unknown rows {unknown or '(none)'}; choose from {', '.join(ROW_NAMES)}"
            )
        checks.positive("epochs", self.epochs)
        checks.count("batch_size", self.batch_size, low=4)
        checks.count("max_length", self.max_length, 8, unit=" tokens")
        checks.count("eval_every", self.eval_every)
        checks.count("sharing_steps", self.sharing_steps, low=0)
        checks.seed("seed", self.seed)


def flops_per_token(model: str) -> dict[str, float]:
    """Training FLOPs per token by strategy, from the parameters a token multiplies through
    (N: every weight but the embeddings, which are lookups). Full: forward 2N + backward 4N;
    LoRA: no weight gradients for the frozen weights, still the activation gradients (4N);
    frozen: the forward only (2N); the head and attention scores are small at these sizes."""
    from accelerate import init_empty_weights
    from transformers import AutoConfig, AutoModel

    from day3.models.catalogue import resolve_model

    config = AutoConfig.from_pretrained(resolve_model(model).path, trust_remote_code=False)
    with init_empty_weights():
        net = AutoModel.from_config(config, trust_remote_code=False)
    n = sum(p.numel() for name, p in net.named_parameters() if "embeddings" not in name)
    return {"full": 6 * n, "lora": 4 * n, "dora": 4 * n, "ia3": 4 * n, "prompt-tuning": 4 * n,
            "frozen": 2 * n}  # fmt: skip


def run_bench(config: BenchConfig | None = None, **settings) -> dict:
    """Every row, one after another (a two-jobs row: its copies at once); bench_training.json."""
    from day3.training.peak import measured_peak

    c = config or BenchConfig(**settings)
    folder = RunFolder(c.output, c.overwrite, kind="bench-training", replace_own=c.replace_own)
    folder.check()
    say("measuring this machine's matmul peak (fp32, bf16)...")
    peak = measured_peak()
    say(f"peak: fp32 {peak['fp32']:,.0f} GFLOP/s, bf16 {peak['bf16']:,.0f} GFLOP/s")
    shared = {**asdict(c), "data": asdict(c.data), "flops_per_token": flops_per_token(c.model)}
    shared = json.loads(json.dumps(shared, default=str))
    rows = []
    for i, spec in enumerate(r for r in ROWS if r.name in c.rows):
        say(f"[{i + 1}/{len(c.rows)}] {spec.name}: {spec.what}")
        rows.append(_run_spec(spec, shared, peak))
    from day3.training.report import write_bench

    return write_bench(rows, peak, {**shared, "target": TARGET}, folder)


def _run_spec(spec: RowSpec, shared: dict, peak: dict) -> dict:
    """Run one row's copies (1, or `jobs` at once) in worker processes; their mean result."""
    with tempfile.TemporaryDirectory(prefix="day3-bench-") as tmp:
        env = {**os.environ}
        if not spec.manage_threads:  # the stock behaviour: spinning waits, a thread per core
            env.update(OMP_WAIT_POLICY="ACTIVE", DAY3_SHARE_CPU="0")
        procs = []
        for j in range(spec.jobs):
            task = Path(tmp) / f"task{j}.json"
            settings = {**shared, "scratch": str(Path(tmp) / f"run{j}")}
            task.write_text(json.dumps({"spec": asdict(spec), "settings": settings, "peak": peak}))
            cmd = [sys.executable, "-m", "day3.training.rows", str(task)]
            procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True))
        started = time.perf_counter()
        outputs = [p.communicate()[0] for p in procs]
        wall = time.perf_counter() - started
    if any(p.returncode for p in procs):
        raise RuntimeError(f"row {spec.name} failed (exit {[p.returncode for p in procs]})")
    results = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    return _mean(results, wall)


def _mean(results: list[dict], wall: float) -> dict:
    if len(results) == 1:
        return {**results[0], "wall_seconds": round(wall, 1)}
    merged = dict(results[0])
    for key in ("samples_per_second", "tokens_per_second", "train_seconds", "peak_memory_mb"):
        merged[key] = round(sum(r[key] for r in results) / len(results), 1)
    if all(r.get("first_steps_seconds") for r in results):
        first = sum(r["first_steps_seconds"] for r in results) / len(results)
        merged["first_steps_seconds"] = round(first, 3)
    if merged["mfu"] is not None:
        merged["mfu"] = round(sum(r["mfu"] for r in results) / len(results), 4)
    times = [r["seconds_to_85"] for r in results]
    merged["seconds_to_85"] = None if None in times else round(max(times), 1)
    merged["wall_seconds"] = round(wall, 1)
    return merged
