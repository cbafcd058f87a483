"""Sharing a model on the Hugging Face Hub: model card, safe files, token hygiene, push.

Run (offline, ~40 s on a 2-core laptop; writes the exact upload folder and stops):
    python 1_HuggingFace/huggingface_upload.py
    python 1_HuggingFace/huggingface_upload.py --run runs/demo          # a run you trained
    python 1_HuggingFace/huggingface_upload.py --smoke                  # tiny random model, seconds
Online, with a token (HF_TOKEN or `hf auth login`), the same lesson really uploads:
    python 1_HuggingFace/huggingface_upload.py --run runs/demo --repo-id YOU/day3-sentiment --push
The command-line version: `day3 push RUN_DIR --repo-id YOU/NAME [--private] [--dry-run DIR]`.

The story: a Hub repo is a git repo of files. What goes in it is a choice: the weights (as
safetensors, never pickle), the tokenizer, the numbers that back the card, and a README whose
YAML header the Hub reads (license, base model, data sets, metrics, results). We stage exactly
that folder, check it, read the card back, and only then upload, with a token that never
touches a file.
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "huggingface_upload.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_folder, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.errors import UserError  # noqa: E402
from day3.core.flags import Parser  # noqa: E402

parser = Parser(description=__doc__.splitlines()[0])
parser.add_argument("--run", help="run folder to share (default: train a quick one)")
parser.add_argument("--repo-id", default="your-name/day3-sentiment", help="user/name on the Hub")
parser.add_argument("--private", action="store_true")
parser.add_argument("--push", action="store_true", help="really upload (needs network + token)")
parser.add_argument("--output", help="folder for the staged upload (default runs/upload)")
parser.add_argument("--overwrite", action="store_true", help="reuse a non-empty --output")
parser.add_argument("--smoke", action="store_true", help="tiny random model, seconds")
args = parser.parse_args()

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    from huggingface_hub import ModelCard

    from day3.core.env import is_offline
    from day3.hub.card import check_card, write_model_card
    from day3.hub.push import check_repo_id, get_token, push

    check_repo_id(args.repo_id)  # before any slow work: a bad name fails in a second
    out = lesson_folder(args.output, "runs/upload", args.overwrite)

# %% [markdown]
# 1. Something worth sharing: a fine-tuned run folder (trained here if none was given).

# %%
with running():
    if args.run is None:
        from day3.classifier.run import embedded_sentiment_job, run_classifier_job

        job = embedded_sentiment_job(out / "sentiment-run", smoke=args.smoke)
        run_classifier_job(job)  # a rerun replaces its own previous run folder
        args.run = str(out / "sentiment-run")
    run = Path(args.run)
    print(f"run folder {run}: {', '.join(sorted(p.name for p in run.iterdir()))}")

# %% [markdown]
# 2. The model card: YAML metadata the Hub indexes (search, widgets, leaderboards) and a
#    body people read: results, settings, forgetting when measured, intended use, limits.

# %%
with running():
    card = write_model_card(run, args.repo_id)
    print("\nmodel card metadata (what the Hub reads):")
    print("  " + card.data.to_yaml().replace("\n", "\n  "))

# %% [markdown]
# 3. The token. Read from HF_TOKEN or the stored login, handed to the API as an argument,
#    never printed, logged or written (the staging step greps every file for it).

# %%
with running():
    token = get_token()
    print(f"\ntoken: {'found (not shown)' if token else 'none: set HF_TOKEN or run hf auth login'}")

# %% [markdown]
# 4. Stage the exact upload: allow-listed files only (no checkpoints, no pickles, no logs),
#    local paths scrubbed from the JSON reports. This is also what --dry-run writes.

# %%
with running():
    staged = out / "staged"
    files = push(run, args.repo_id, dry_run=staged, replace_own=True)
    print(f"\nstaged {len(files)} files in {staged}/ — this folder is the upload")

# %% [markdown]
# 5. Read the card back the way the Hub will: YAML parsed, model-index rebuilt, keys present.

# %%
with running():
    check_card(staged / "README.md")
    loaded = ModelCard.load(staged / "README.md")
    results = loaded.data.eval_results or []
    print(
        "card parses back; results: "
        + ", ".join(f"{r.metric_type}={r.metric_value}" for r in results)
    )

# %% [markdown]
# 6. Upload: create_repo (exist_ok) then upload_folder, one commit. Offline, or without
#    --push, we stop here; `day3 push` is the same function.

# %%
with running():
    if not args.push:
        print(f"\nnot uploading (no --push). To share it: day3 push {run} --repo-id {args.repo_id}")
    elif is_offline():
        raise UserError("the Hub is unreachable (offline); the staged folder above is the upload")
    else:
        push(run, args.repo_id, private=args.private)
