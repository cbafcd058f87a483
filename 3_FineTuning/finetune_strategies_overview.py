"""Fine-tuning strategies side by side: full, LoRA, IA3, prompt tuning, frozen, multi-task.

Run (offline, a few minutes on a 2-core laptop: embedded MiniLM + the kit's embedded reviews):
    python 3_FineTuning/finetune_strategies_overview.py
    python 3_FineTuning/finetune_strategies_overview.py --smoke      # tiny random model, seconds
With the data mirror, the STS-B (forgetting) columns and the multi-task row fill in:
    DAY3_DATA_DIR=../shared/data python 3_FineTuning/finetune_strategies_overview.py
    DAY3_DATA_DIR=../shared/data python 3_FineTuning/finetune_strategies_overview.py \\
        --data sst2 --max-train-samples 4000 --epochs 1 --overwrite
The same comparison from a shell:
    day3 compare-strategies --data sst2 --max-train-samples 4000 --epochs 1 --output runs/compare

One pretrained encoder (all-MiniLM-L6-v2, a sentence-similarity model), one new task
(sentiment), six ways to teach it, one table. Every row gets the same sentences, the same number
of steps and the same seed; only the learning rate follows the strategy.
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "finetune_strategies_overview.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_output, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.classifier.strategies import LEARNING_RATES  # noqa: E402
from day3.compare.run import CompareConfig  # noqa: E402
from day3.core.flags import Parser, add_flags, build  # noqa: E402

# The flags of `day3 compare-strategies`, with this lesson's defaults: the embedded reviews (all
# 400), batches of 16, and its own output folder (a rerun replaces it; one you name must be new).
parser = Parser(description=__doc__.splitlines()[0])
lesson_defaults = dict(output=None, data="embedded", max_train_samples=None, batch_size=16)
add_flags(parser, CompareConfig, defaults={**lesson_defaults, "epochs": None})
parser.add_argument("--smoke", action="store_true", help="tiny random model, 64 samples, seconds")
args = parser.parse_args()
output, replace_own = lesson_output(args.output, "runs/strategies")
if args.smoke:  # every row on a 2-layer random BERT: proves the plumbing, not the numbers
    args.model, args.epochs = "tiny-bert", 1
    args.max_train_samples, args.max_eval_samples = args.max_train_samples or 64, 32
    args.max_probe_pairs = args.max_probe_pairs or 64
embedded = args.data == "embedded"
if args.epochs is None:
    # 400 embedded sentences make 25 steps an epoch: take several. SST-2 has plenty for one.
    args.epochs = 4 if embedded else 1
# The embedded sample gives only ~100 steps in all: take bigger ones than the SST-2 rates (the
# kit's one table, day3.classifier.strategies.LEARNING_RATES), as distilbert_finetuning.py
# does; multitask is full fine-tuning with a second loss, so it takes full's.
EMBEDDED_ROW_LR = {**LEARNING_RATES["embedded"], "multitask": LEARNING_RATES["embedded"]["full"]}

# %% [markdown]
# 1. The rows, and what each one changes in the model.
#
#    Single-task vs multi-task. `full` is single-task fine-tuning: every weight moves to serve
#    sentiment alone, and nothing stops the encoder from drifting away from what it was good
#    at (ranking sentences by meaning). `multitask` is the same full fine-tuning, but every step
#    also pays a second loss on the encoder's first task, sentence similarity (STS-B pairs:
#    the cosine of the two sentence embeddings should match the human score / 5). One shared
#    encoder, two objectives: the second is a brake on forgetting.
#
#    PEFT (parameter-efficient fine-tuning, the `peft` library): freeze the 22.7M pretrained
#    weights and train a few new ones, plus the classification head, which is new anyway.
#      - lora:          low-rank updates W + BA on the attention query/value projections.
#      - ia3:           one learned scaling vector each for keys, values and the feed-forward
#                       activation of every layer: even fewer parameters than LoRA.
#      - prompt-tuning: 20 trainable "virtual token" embeddings prepended to every input; the
#                       network is untouched, only what it reads changes.
#    A PEFT run ships an adapter of kilobytes to a few MB instead of a whole model copy.
#
#    Transfer learning as feature extraction: `frozen` trains the head alone on the pretrained
#    sentence features. Cheapest of all, cannot forget; works as well as the features allow.
#
#    The STS-B columns measure forgetting: the encoder's similarity skill (Spearman on STS-B
#    pairs) before and after. Half the STS-B pairs probe every row; the other half is what
#    `multitask` trains on, so no row is scored on pairs it has seen. Without STS-B (offline,
#    no mirror) those columns say n/a and the multi-task row is skipped.

# %% [markdown]
# 2. Train every row, measure, save the report (comparison.json, .md, .png).

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    from day3.compare.run import compare_strategies

    config = build(
        CompareConfig,
        args,
        output=output,
        replace_own=replace_own,
        learning_rates=EMBEDDED_ROW_LR if embedded else None,
    )
    report = compare_strategies(config)

# %% [markdown]
# 3. The table (comparison.md holds it with its notes; comparison.png plots accuracy against
#    the share of parameters trained).

# %%
print((output / "comparison.md").read_text())

# %% [markdown]
# 4. What to notice, read off this run's numbers.

# %%
rows = {r["strategy"]: r for r in report["rows"]}
print("What to notice:")
best = max(rows.values(), key=lambda r: r["accuracy"])
print(
    f"  - Best accuracy: {best['strategy']} ({best['accuracy']:.3f}). How far behind is each PEFT"
)
print("    row, for how many fewer trained parameters? (comparison.png: log scale)")
if "full" in rows:
    small = min(rows.values(), key=lambda r: r["saved_mb"])
    print(
        f"  - Shipping: full saves {rows['full']['saved_mb']:.1f} MB per task, "
        f"{small['strategy']} {small['saved_mb'] * 1024:.0f} KB. Ten tasks on one base model: "
        "ten adapters, not ten models."
    )
drops = {k: r["sts_drop"] for k, r in rows.items() if r["sts_drop"] is not None}
if drops:
    ranked = ", ".join(f"{k} {v:+.4f}" for k, v in sorted(drops.items(), key=lambda kv: kv[1]))
    print(f"  - Forgetting (STS-B drop, lower is better): {ranked}.")
    print("    frozen and prompt-tuning are 0 by construction: no encoder weight moved.")
    if "full" in drops and "multitask" in drops:
        print(
            f"  - Single- vs multi-task: full lost {drops['full']:+.3f}, multitask "
            f"{drops['multitask']:+.3f}, for accuracy {rows['full']['accuracy']:.3f} vs "
            f"{rows['multitask']['accuracy']:.3f}. Practising the old task while learning the "
            "new one is the classic remedy for catastrophic forgetting."
        )
else:
    print("  - No STS-B here, so no forgetting columns: set DAY3_DATA_DIR to the data mirror.")
print("  - Time and memory: PEFT still runs the whole network forward and backward, so it saves")
print("    less time than its parameter count suggests; the optimizer state is what shrinks.")
print(f"\nreport: {output}/comparison.md, comparison.json, comparison.png")
