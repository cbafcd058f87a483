"""When to train, and what training costs: measure the cheap options before paying for the dear.

Run (offline; a few minutes on a 2-core laptop):
    python 2_TrainingLLMs/llm_training_overview.py                 # embedded reviews, or the SST-2 mirror
    python 2_TrainingLLMs/llm_training_overview.py --smoke         # tiny random model, seconds
    DAY3_DATA_DIR=../shared/data python 2_TrainingLLMs/llm_training_overview.py   # SST-2 validation
    python 2_TrainingLLMs/llm_training_overview.py --labelled-examples 50 --keep-old-skills
The memory and compute estimator on its own:
    day3 estimate --model minilm --method lora:16 --batch-size 32 --seq-len 128

The story: on one validation set, score what needs no training at all (zero-shot: compare each
review with a description of each class; few-shot: the nearest class centroid of k labelled
examples), then what training buys (the head alone, LoRA, every weight), with their time and
their trainable parameters. Then what training would cost on a bigger model (memory and FLOPs,
estimated), and, from what you have (labels, compute, the need to keep old skills), where on
the ladder prompting -> few-shot -> PEFT -> full fine-tuning -> pre-training to stop.
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "llm_training_overview.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_folder, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.flags import Parser, add_flags, build  # noqa: E402
from day3.training.guide import LADDER, Situation, recommend  # noqa: E402

parser = Parser(description=__doc__.splitlines()[0])
parser.add_argument("--model", default="minilm", help="the encoder (default: minilm)")
parser.add_argument("--data", default="auto", help="auto | embedded | sst2 (validation set)")
parser.add_argument(
    "--output", help="folder for the quick runs (default runs/llm_training_overview)"
)
parser.add_argument("--overwrite", action="store_true", help="reuse a non-empty --output")
parser.add_argument("--smoke", action="store_true", help="tiny random model, seconds")
add_flags(parser, Situation, defaults={"target_accuracy": 0.85})  # what you have
args = parser.parse_args()

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    from day3.classifier.run import embedded_sentiment_job, run_classifier_job
    from day3.data.classification import DataSpec, load_classification
    from day3.data.sources import resolve_source
    from day3.models.catalogue import resolve_model
    from day3.models.loading import load_classifier, load_tokenizer
    from day3.training.baselines import few_shot, zero_shot

    situation = build(Situation, args)  # checked before anything loads
    out = lesson_folder(args.output, "runs/llm_training_overview", args.overwrite)
    model_name = "tiny-bert" if args.smoke else args.model
    source = "embedded" if args.smoke else resolve_source(args.data)

# %% [markdown]
# 1. One validation set for every option, and a pool of labelled examples to draw from.

# %%
with running():
    cap = 64 if args.smoke else (2000 if source != "embedded" else None)
    spec = DataSpec(source, max_train_samples=cap, max_eval_samples=32 if args.smoke else None)
    data = load_classification(spec)
    texts, labels = list(data.validation["text"]), list(data.validation["label"])
    print(f"validation: {len(texts)} sentences ({data.source}); pool: {len(data.train)} labelled")

# %% [markdown]
# 2. No training at all. The encoder was trained to put similar meanings close together:
#    is "a positive review" closer to this review than "a negative review"?

# %%
with running():
    path = resolve_model(model_name, purpose="classifier").path
    encoder, tokenizer = load_classifier(path, data.id2label), load_tokenizer(path)
    rows = [zero_shot(encoder, tokenizer, texts, labels, data.label_names)]

# %% [markdown]
# 3. A handful of labels, still no gradient step: average the k examples of each class
#    (the class centroid) and pick the nearest. Drawn 5 times: which k you have matters.

# %%
with running():
    ks = (2, 4) if args.smoke else (8, 32, 128)
    train_texts, train_labels = list(data.train["text"]), list(data.train["label"])
    rows += few_shot(encoder, tokenizer, train_texts, train_labels, texts, labels,
                     len(data.label_names), ks=ks, draws=3 if args.smoke else 5)  # fmt: skip

# %% [markdown]
# 4. Training, from the cheapest to the dearest: the head alone (frozen backbone), LoRA
#    (~1% of the weights), every weight. Same data, same epochs, the kit's rates.

# %%
with running():
    trained = {}
    for strategy in ("frozen", "lora", "full"):
        epochs = {"epochs": 1} if source != "embedded" else {}  # SST-2: 2,000 rows, one epoch
        job = embedded_sentiment_job(out / strategy, smoke=args.smoke, strategy=strategy,
                                     model=model_name, data=spec, **epochs)  # fmt: skip
        trained[strategy] = run_classifier_job(job)

    print(f"\n{'option':<18} {'accuracy':>9} {'labels':>7} {'trained params':>15} {'seconds':>8}")
    for r in rows:
        low, high = r.accuracy_range
        spread = f" ({low:.3f}-{high:.3f})" if high > low else ""
        print(f"{r.method:<18} {r.accuracy:>9.3f} {r.labelled_examples:>7} {0:>15,} "
              f"{r.seconds:>8.1f}{spread}")  # fmt: skip
    for name, m in trained.items():
        print(f"{name + ' fine-tune':<18} {m['validation']['accuracy']:>9.3f} {m['n_train']:>7} "
              f"{m['trainable_params']:>15,} {m['train_seconds']:>8.1f}")  # fmt: skip

# %% [markdown]
# 5. What training costs on a bigger model: memory (weights, gradients, optimizer states,
#    activations) and FLOPs, from the model's config alone. Full AdamW training needs ~16
#    bytes per parameter before activations; LoRA trains ~1%; QLoRA also stores the frozen
#    weights in 4 bits.

# %%
with running():
    from day3.estimate.memory import EstimateConfig, run_estimate

    print("\nestimated training memory (batch 8, 512 tokens, bf16 weights):")
    for big in ("llama-2-7b", "minilm"):
        for method in ("full", "lora:16", "qlora"):
            precision = None if method == "qlora" else "bf16"  # QLoRA: a 4-bit base
            e = run_estimate(EstimateConfig(model=big, method=method, precision=precision,
                                            batch_size=8, seq_len=512))  # fmt: skip
            print(f"  {big:<10} {method:<8} {e.total_bytes / 2**30:8.1f} GiB")

# %% [markdown]
# 6. Where to stop on the ladder, from what you have, and what was measured here.

# %%
with running():
    best = {
        LADDER[0]: rows[0].accuracy,
        LADDER[1]: max(r.accuracy for r in rows[1:]),
        LADDER[2]: trained["lora"]["validation"]["accuracy"],
        LADDER[3]: trained["full"]["validation"]["accuracy"],
    }
    situation.measured = best
    print(f"\nrecommendation: {recommend(situation).text()}")
