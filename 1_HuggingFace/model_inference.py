"""Inference: `pipeline()` in one line, the same thing by hand, then made fast.

Run (offline, ~1-2 minutes on a 2-core laptop):
    python 1_HuggingFace/model_inference.py                       # trains a quick sentiment run first
    python 1_HuggingFace/model_inference.py --run runs/demo       # or use a run you trained
    DAY3_DATA_DIR=../shared/data python 1_HuggingFace/model_inference.py   # time on SST-2 validation
    python 1_HuggingFace/model_inference.py --smoke               # tiny random models, seconds
Online, a ready-made Hub sentiment model works the same way:
    python 1_HuggingFace/model_inference.py --run distilbert-base-uncased-finetuned-sst-2-english

The story: a pipeline hides three steps (tokenize → model → post-process). We open it up, check
our hand-made version gives the same numbers, do the same for a text-to-text model, and finally
measure what batching, sorting by length and bf16 buy on this machine. `day3 predict` and
`day3 throughput` run the same library code.
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "model_inference.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_folder, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.flags import Parser  # noqa: E402

parser = Parser(description=__doc__.splitlines()[0])
parser.add_argument("--run", help="run folder or Hub id of a sentiment classifier")
parser.add_argument("--data", default="auto", help="texts to time: sst2 | embedded | FILE")
parser.add_argument("--output", help="folder for the outputs (default runs/inference)")
parser.add_argument("--overwrite", action="store_true", help="reuse a non-empty --output")
parser.add_argument("--smoke", action="store_true", help="tiny random models, seconds")
args = parser.parse_args()

REVIEWS = [
    "An absolute joy from the first scene to the last.",
    "I wanted to like it, but the plot never goes anywhere.",
    "Not bad at all: the cast clearly had fun.",
]

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    out = lesson_folder(args.output, "runs/inference", args.overwrite)
    import torch
    from transformers import AutoModelForSequenceClassification, pipeline

    from day3.classifier.predict import load_classifier_folder, predict, softmax
    from day3.core.device import pick_device
    from day3.models.loading import check_model_folder, load_text2text, load_tokenizer

# %% [markdown]
# 0. Device and dtype come from one helper: a GPU if there is one, else the CPU, and bf16
#    only where the hardware does it natively (elsewhere it is emulated, hence slower).

# %%
with running():
    device = pick_device()
    print(f"device: {device.describe()}")

# %% [markdown]
# 1. A sentiment classifier. Offline there is no ready-made one, so we fine-tune the embedded
#    MiniLM on the embedded reviews (~25 s). A LoRA run folder serves its merged model too.

# %%
with running():
    if args.run is None:
        from day3.classifier.run import embedded_sentiment_job, run_classifier_job

        job = embedded_sentiment_job(out / "sentiment-run", smoke=args.smoke)
        run_classifier_job(job)  # a rerun replaces its own previous run folder
        args.run = str(out / "sentiment-run")
    model_ref = args.run  # a LoRA/IA3 run folder holds its merged model at the top

# %% [markdown]
# 2. pipeline(): one line from a folder (or Hub id) to labels and probabilities.
# trust_remote_code=False: a folder's own Python (config auto_map) never runs here.

# %%
with running():
    classify = pipeline(
        "text-classification", model=model_ref, device=device.device, trust_remote_code=False
    )
    print("\npipeline('text-classification'):")
    results = classify(REVIEWS)
    for review, result in zip(REVIEWS, results, strict=True):
        print(f"  {result['label']:>8} {result['score']:.3f}  {review}")

# %% [markdown]
# 3. The same by hand. Tokenizer: text → ids + attention mask, padded to the longest review.
#    Model: ids → one logit per class. Softmax: logits → probabilities that sum to 1.

# %%
with running():
    if Path(model_ref).is_dir():
        check_model_folder(Path(model_ref))  # safetensors only, no custom code
    tokenizer = load_tokenizer(model_ref)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_ref, use_safetensors=True, trust_remote_code=False
    ).eval()
    batch = tokenizer(REVIEWS, padding=True, truncation=True, max_length=128, return_tensors="pt")
    print(f"\nby hand: input_ids {tuple(batch['input_ids'].shape)} (reviews × tokens)")
    with torch.inference_mode():
        logits = model(**batch).logits
    probs = softmax(logits.numpy())
    for row, p in zip(logits.tolist(), probs, strict=True):
        label = model.config.id2label[int(p.argmax())]
        print(f"  {label:>8} {p.max():.3f}  logits {[round(v, 3) for v in row]}")
    pipeline_scores = [r["score"] for r in results]
    gap = max(abs(a - b) for a, b in zip(pipeline_scores, probs.max(-1), strict=True))
    print(f"largest difference to the pipeline: {gap:.2e} (same model, same maths)")
    if gap > 1e-4:
        raise SystemExit("by-hand and pipeline probabilities differ: this is a bug")

# %% [markdown]
# 4. Sentence embeddings from the embedded MiniLM itself (no head, no training): the
#    feature-extraction pipeline returns one vector per token; the mean over tokens is the
#    sentence vector MiniLM was trained to produce, and cosine compares meanings.

# %%
with running():
    from day3.models.catalogue import resolve_model

    encoder = resolve_model("tiny-bert" if args.smoke else "minilm").path
    features = pipeline(
        "feature-extraction", model=encoder, device=device.device, trust_remote_code=False
    )
    pairs = [
        ("A gripping thriller.", "A suspenseful film."),
        ("A gripping thriller.", "I ate soup."),
    ]
    print("\nfeature-extraction (mean of token vectors, cosine):")
    for a, b in pairs:
        va, vb = (torch.tensor(features(s)[0]).mean(0) for s in (a, b))
        print(f"  {torch.cosine_similarity(va, vb, dim=0):.3f}  '{a}' vs '{b}'")

# %% [markdown]
# 5. Text-to-text (T5). transformers 5 removed pipeline("text2text-generation"); asking for
#    it raises an error that says so. day3's Text2Text keeps its interface, by hand inside:
#    tokenize → model.generate (greedy, a fixed token budget) → decode.

# %%
with running():
    try:
        pipeline("text2text-generation")
    except Exception as e:  # KeyError or ValueError, depending on the version
        print(f"\npipeline('text2text-generation') in transformers 5: {str(e).splitlines()[0]}")
    from day3.miniflan.build import cached_mini_flan
    from day3.miniflan.tasks import eval_set
    from day3.models.tiny import build_tiny_model

    stand_in = None if args.smoke else cached_mini_flan()
    if stand_in is None:
        stand_in = build_tiny_model("t5")
        print("(random tiny T5: its answers are noise; `day3 build-mini-flan` builds the trained")
        print(" stand-in in ~6 minutes, after which this step uses it)")
    generator = load_text2text(stand_in, max_new_tokens=8)
    prompts = [eval_set(task, n=1)[0] for task in ("sentiment", "translate", "last-word")]
    for row, result in zip(prompts, generator([r["input"] for r in prompts]), strict=True):
        print(f"  {row['input']!r} → {result['generated_text']!r} (expected {row['target']!r})")

# %% [markdown]
# 6. Speed. Same model, same sentences, four ways; the median of several timed passes.

# %%
with running():
    from day3.classifier.throughput import run_throughput, table_markdown

    data = args.data
    if data == "auto":
        from day3.data.sources import mirror_file

        data = "sst2" if mirror_file("sst2", "validation") else "embedded"
    rows, context = run_throughput(
        model=args.run,
        data=data,
        repeats=1 if args.smoke else 3,
        naive_samples=16 if args.smoke else 200,
        max_sentences=64 if args.smoke else None,
        output=out / "throughput",
        replace_own=True,
    )
    print(f"\n{context['sentences']} sentences from {context['data']}, {context['cpus']} cpus:")
    print(table_markdown(rows))
    print(f"table and plot: {out / 'throughput'}/throughput.md, throughput.png")

# %% [markdown]
# 7. The same code from a shell: `day3 predict RUN "text"` loads and predicts as here.

# %%
with running():
    if Path(args.run).is_dir():
        model, tok = load_classifier_folder(args.run)
        best = predict(model, tok, REVIEWS[:1])[0]
        print(f'\n`day3 predict {args.run} "{REVIEWS[0]}"` prints: {best.label}\t{best.score:.4f}')
