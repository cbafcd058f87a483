"""Sentiment fine-tuning, DistilBERT-style: a pretrained encoder learns to read movie reviews.

Run (offline, ~1-2 minutes on a 2-core laptop, embedded MiniLM + the kit's embedded reviews):
    python 3_FineTuning/distilbert_finetuning.py
    python 3_FineTuning/distilbert_finetuning.py --strategy lora      # or: frozen
    python 3_FineTuning/distilbert_finetuning.py --smoke              # tiny random model, seconds
Online, the classic recipe (DistilBERT on SST-2 from the Hub):
    python 3_FineTuning/distilbert_finetuning.py --model distilbert-base-uncased --data sst2 --epochs 1

The story: look at the data, measure the model *before* training (a fresh head guesses),
fine-tune, evaluate, save a run folder, then reload it from disk and try it on new sentences.
The same functions sit behind `day3 finetune-classifier`, `day3 eval-classifier`, `day3 predict`.
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "distilbert_finetuning.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_output, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.classifier.strategies import learning_rate  # noqa: E402
from day3.classifier.train import ClassifierJob  # noqa: E402
from day3.core.flags import Parser, add_flags, build  # noqa: E402

DEFAULT_OUTPUT = "runs/sentiment"
# The flags of `day3 finetune-classifier`, with this lesson's defaults: the embedded reviews,
# 4 epochs of 16, and its own output folder (a rerun replaces it; one you name must be new).
parser = Parser(description=__doc__.splitlines()[0])
add_flags(
    parser, ClassifierJob, defaults=dict(output=None, data="embedded", epochs=4, batch_size=16)
)
parser.add_argument("--smoke", action="store_true", help="tiny random model, 64 samples, seconds")
args = parser.parse_args()
output, replace_own = lesson_output(args.output, DEFAULT_OUTPUT)
if args.smoke:  # the whole pipeline on a 2-layer random BERT: proves the plumbing, not accuracy
    args.model, args.epochs = "tiny-bert", 1
    args.max_train_samples, args.max_eval_samples = args.max_train_samples or 64, 32
if args.learning_rate is None and args.data == "embedded":
    # 400 sentences give only ~100 steps: take bigger ones than the SST-2 defaults.
    args.learning_rate = learning_rate(args.strategy.name, "embedded")

# %% [markdown]
# 1. Data: resolved (file, mirror, Hub or embedded), validated row by row, then tokenised.

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    from day3.classifier.save import save_run
    from day3.classifier.train import evaluate, fine_tune, prepare

    job = build(ClassifierJob, args, output=output, replace_own=replace_own)
    prep = prepare(job)
    print("\nA few training rows:")
    for row in prep.data.train.select(range(3)):
        print(f"  [{prep.data.label_names[row['label']]}] {row['text']}")

# %% [markdown]
# 2. Baseline: the classification head is brand new, so this is a coin toss. Measuring it
#    keeps us honest about what fine-tuning adds.

# %%
with running():
    baseline = evaluate(prep)
    print(f"\nBefore fine-tuning: accuracy {baseline['accuracy']:.3f} on {baseline['n']} reviews")

# %% [markdown]
# 3. Fine-tune with the Hugging Face Trainer. `full` moves all 22.7M weights; `lora` trains
#    ~1% (adapters + head); `frozen` trains only the head on fixed features.

# %%
with running():
    measured = fine_tune(prep)
    print(
        f"trained {measured['steps']} steps in {measured['train_seconds']:.1f}s "
        f"({measured['samples_per_second']:.0f} samples/s); loss "
        f"{measured['train_loss_first']:.3f} -> {measured['train_loss_last']:.3f}"
    )

# %% [markdown]
# 4. Evaluate on held-out reviews: accuracy and macro-F1 (both classes count equally).

# %%
with running():
    metrics = evaluate(prep)
    print(f"After fine-tuning:  accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['f1']:.3f}")
    print(f"confusion matrix (rows true, columns predicted): {metrics['confusion_matrix']}")

# %% [markdown]
# 5. Save: safetensors weights, tokenizer, metrics.json, plots and the exact settings,
#    written to a temporary folder and moved into place only when complete.

# %%
with running():
    run_dir = save_run(prep, measured, metrics, baseline)
    print(f"saved {run_dir}/ : {', '.join(sorted(p.name for p in run_dir.iterdir()))}")

# %% [markdown]
# 6. Try it: reload from disk, as `day3 predict` does, on sentences it never saw. Negation
#    and mixed opinions are where bag-of-words models fail and fine-tuned encoders shine.

# %%
with running():
    from day3.classifier.predict import load_classifier_folder, predict

    model, tokenizer = load_classifier_folder(run_dir)
    for p in predict(
        model,
        tokenizer,
        [
            "An absolute joy from the first scene to the last.",
            "Not bad at all; I was never once bored.",
            "The effects are dazzling, but the story is hollow and I stopped caring.",
            "I wanted to love it, and I couldn't.",
        ],
    ):
        print(f"  {p.label:>8} {p.score:.2f}  {p.text}")
