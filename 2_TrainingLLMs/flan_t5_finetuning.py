"""Fine-tuning Flan-T5 and measuring what it forgets.

Run:
    python 2_TrainingLLMs/flan_t5_finetuning.py            # Flan-T5 if reachable, else the stand-in
    python 2_TrainingLLMs/flan_t5_finetuning.py --smoke    # tiny random T5, seconds
    python 2_TrainingLLMs/flan_t5_finetuning.py --model google/flan-t5-base --steps 500   # online

Offline there is no pretrained T5, so the kit builds its own *stand-in*, "mini-FLAN": a small T5
instruction-tuned on five generated tasks (first run: a few minutes on 2 cores, then cached).
Everything below runs unchanged on the real Flan-T5, where the new task is DialogSum.

The story: meet the instruction-tuned model, check what it can do, fine-tune it on one new
task, and ask the old questions again. Full fine-tuning learns the new task and forgets old
ones ("catastrophic forgetting"); LoRA, replaying old tasks (multi-task fine-tuning) and a lower
learning rate each trade some of the new task for memory of the old.
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "flan_t5_finetuning.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_output, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.errors import UserError  # noqa: E402
from day3.core.flags import Parser, add_flags, build  # noqa: E402
from day3.forgetting.seq2seq import Seq2SeqForgettingConfig  # noqa: E402

# The flags of `day3 forgetting seq2seq`; this lesson asks for the real Flan-T5 first.
parser = Parser(description=__doc__.splitlines()[0])
add_flags(parser, Seq2SeqForgettingConfig, defaults=dict(output=None, model="google/flan-t5-small"))
parser.add_argument("--smoke", action="store_true", help="tiny random T5, a few steps")
args = parser.parse_args()
output, replace_own = lesson_output(args.output, "runs/flan-t5-forgetting")
if args.smoke:
    args.model, args.steps, args.strategies = "tiny-t5", 3, ("full", "lora")

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    # Every setting is checked before any model loads (a stand-in build takes minutes).
    config = build(Seq2SeqForgettingConfig, args, output=output, replace_own=replace_own)

# %% [markdown]
# 1. Which model? The real Flan-T5 when the Hub (or a cached copy) is there, else the stand-in.

# %%
with running():
    import dataclasses

    from day3.forgetting.seq2seq import run_seq2seq_forgetting
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_seq2seq

    try:
        resolved = resolve_model(args.model)
        print(f"model: {resolved.describe()}")
    except UserError as e:
        print(f"{args.model} is not available here ({e}).")
        print(
            "Using the kit's mini-FLAN STAND-IN instead: a small T5 the kit instruction-tunes "
            "itself. It is not Flan-T5; the method is the same."
        )
        config = dataclasses.replace(config, model="mini-flan")
        resolved = resolve_model(config.model)

# %% [markdown]
# 2. What does it know? Instruction-tuned models answer prompts they were tuned on.

# %%
with running():
    from day3.seq2seq.generate import generate

    model, tokenizer = load_seq2seq(resolved.path)
    prompts = [
        "is this review positive or negative ? review : the plot was not boring",
        "anna has a red ball . ben has a blue hat . question : what color is the hat ?",
        "translate to french : the green fox",
        "what is the largest digit : 3 8 1",
    ]  # the last one is the new task: not yet known
    for prompt, answer in zip(
        prompts, generate(model, tokenizer, prompts, max_new_tokens=8), strict=True
    ):
        print(f"  {prompt}\n    -> {answer}")

# %% [markdown]
# 3-4. Fine-tune on the new task once per strategy, from the same weights, and score every
#      old task before and after. T5 trains in fp32 on CPU: it overflows in fp16.

# %%
with running():
    report = run_seq2seq_forgetting(config)

# %% [markdown]
# 5. Read the table: the new-task score is what was learned, the drops what was lost.

# %%
with running():
    for r in report["results"]:
        print(
            f"{r['strategy']:>12}: new task {r['new_task_score']:.2f}, "
            f"average forgetting {r['average_forgetting']:+.3f}"
        )
    print(f"learn-forget plot: {output / 'forgetting.png'}")
