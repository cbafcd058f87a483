"""Training optimizations, measured: what padding, precision, batching, threads and PEFT buy here.

Run (offline; under 30 minutes on a 2-core laptop for every row on SST-2, fewer rows for less):
    python 2_TrainingLLMs/training_optimizations.py                        # every row
    python 2_TrainingLLMs/training_optimizations.py --rows baseline,length-grouped,bf16
    python 2_TrainingLLMs/training_optimizations.py --smoke                # tiny model, seconds
    DAY3_DATA_DIR=../shared/data python 2_TrainingLLMs/training_optimizations.py   # on SST-2
The same benchmark from a shell:
    day3 bench-training --output runs/bench-training

The story: one model, one data set, one seed, one sample budget, and one change per row, from
what run_glue.py does by default (pad every text to 128 tokens, fp32) to the kit's recipe
(pad each batch to its own longest text, batches of similar length, bf16 on hardware that has
it). Each row reports real tokens per second, the padding it wasted, the share of the machine's
own matmul peak it used (MFU), its peak memory, and the training time to 85% accuracy (or, when
no row gets there in the budget, to the baseline's final accuracy less 1 point). The last rows
put two trainings on the machine at once, stock and then with the kit's defaults, for their
first 40 steps: they measure how much each job slows down, not what it learns.
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "training_optimizations.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_output, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.flags import Parser, add_flags, build  # noqa: E402
from day3.training.bench import BenchConfig  # noqa: E402

# The flags of `day3 bench-training`, with this lesson's own output folder.
parser = Parser(description=__doc__.splitlines()[0])
add_flags(parser, BenchConfig, defaults=dict(output=None))
parser.add_argument("--smoke", action="store_true", help="tiny random model, 3 processes, seconds")
args = parser.parse_args()
output, replace_own = lesson_output(args.output, "runs/training_optimizations")
if args.smoke:  # the plumbing of every kind of row, on a 2-layer random BERT
    args.model, args.data, args.max_train_samples = "tiny-bert", "embedded", 64
    args.rows, args.eval_every = ("bf16", "two-jobs"), 1

# %% [markdown]
# 1. The rows, each in a process of its own (threads and memory of one never leak into the
#    next), after this machine's matmul peak is measured: MFU is against it.

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    from day3.training.bench import run_bench
    from day3.training.report import markdown

    config = build(BenchConfig, args, output=output, replace_own=replace_own)
    report = run_bench(config)

# %% [markdown]
# 2. The table: real tokens/s, padding, MFU, memory, accuracy, time to 85%.

# %%
with running():
    print(markdown(report))

# %% [markdown]
# 3. What to notice, read off this run's numbers.

# %%
with running():
    rows = {r["name"]: r for r in report["rows"]}
    print("What to notice:")
    if "baseline" in rows:
        print(f"  - padding to 128 wastes {rows['baseline']['padding_fraction']:.0%} of the "
              "baseline's tokens: dynamic padding gives that time back.")  # fmt: skip
    if "bf16" in rows and "baseline" in rows:
        ratio = rows["bf16"]["tokens_per_second"] / rows["baseline"]["tokens_per_second"]
        print(f"  - the bf16 recipe reads {ratio:.1f}x the real tokens per second of the baseline.")
    for name in ("two-jobs-stock", "two-jobs"):
        if name in rows and "bf16" in rows:
            slow = rows["bf16"]["samples_per_second"] / rows[name]["samples_per_second"]
            print(f"  - {name}: each of two jobs at once runs {slow:.1f}x slower than one alone "
                  "(a fair share of 2 cores is 2x).")  # fmt: skip
    print(f"\nreport: {output}/bench_training.md, bench_training.json, bench_training.png")
