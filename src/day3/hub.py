"""`day3 push`: a run folder, its model card and nothing else, to the Hugging Face Hub.

What goes up is staged first into a folder that holds exactly the upload, checked there (no
pickle, no stray file, no token bytes), and only then handed to `upload_folder`: `--dry-run DIR`
writes that same folder and stops, so a class can inspect the upload offline. The token is
read from HF_TOKEN or the stored `hf auth login`, passed only as an argument, never written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from day3.env import is_offline
from day3.errors import UserError
from day3.runs import RunFolder
from day3.ui import out

# Files a run folder may contribute; anything else (train_log.json, checkpoints) stays home.
MODEL_FILES = (
    "config.json",
    "adapter_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "generation_config.json",
)
REPORT_FILES = ("metrics.json", "confusion_matrix.png", "loss_curve.png", "settings.json")
# Pickle formats run code when loaded: a public repo must never carry one.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
REPO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
DATASET_IDS = {"sst2": "stanfordnlp/sst2"}
LOGIN_HINT = "set HF_TOKEN or run `hf auth login`"


def get_token() -> str | None:
    """HF_TOKEN, else huggingface_hub's stored login; looked up at call time so tests can patch."""
    import huggingface_hub

    return os.environ.get("HF_TOKEN") or huggingface_hub.get_token()


def check_repo_id(repo_id: str) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        ok = bool(REPO_ID.fullmatch(repo_id or ""))
        validate_repo_id(repo_id)
    except HFValidationError:
        ok = False
    if not ok:
        raise UserError(
            f"bad --repo-id '{repo_id}'; write it as user/name (letters, digits, '-', '_', '.')"
        )


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _run_metrics(run_dir: Path) -> dict:
    if not run_dir.is_dir():
        raise UserError(
            f"run folder {run_dir} does not exist; pass a folder written by "
            "`day3 finetune-classifier`"
        )
    metrics = _read_json(run_dir / "metrics.json")
    if "validation" not in metrics:
        raise UserError(
            f"{run_dir} has no metrics.json with validation results; pass a folder written by "
            "`day3 finetune-classifier`"
        )
    return metrics


def base_model_of(metrics: dict) -> str | None:
    """The Hub id the run started from; None for kit-built random models and local folders."""
    from day3.models import ALIASES

    name = str(metrics.get("model") or metrics.get("model_path") or "")
    alias = ALIASES.get(name.lower())
    if alias is not None:
        return alias.hub_id or None  # tiny-* and mini-flan have no Hub original
    if metrics.get("model_source") in ("hub", "hf-cache") and name.count("/") == 1:
        return name
    return None


def dataset_of(metrics: dict) -> str | None:
    data = str(metrics.get("data", "")).lower()
    return next((hub_id for key, hub_id in DATASET_IDS.items() if key in data), None)


def _strategy_name(metrics: dict) -> str:
    return str(metrics.get("strategy", "full")).split(":")[0]


def write_model_card(run_dir: str | Path, repo_id: str, license: str = "apache-2.0"):
    """The model card (YAML metadata + body) for a run; checked locally, not yet saved."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    run_dir = Path(run_dir)
    metrics = _run_metrics(run_dir)
    val = metrics["validation"]
    dataset = dataset_of(metrics)
    data_label = str(metrics.get("data", "unknown data"))
    strategy = _strategy_name(metrics)
    results = [
        EvalResult(
            task_type="text-classification",
            task_name="Sentiment classification",
            dataset_type=dataset or "day3-embedded-reviews",
            dataset_name=data_label,
            dataset_split="validation",
            metric_type=metric,
            metric_name=name,
            metric_value=round(float(val[metric]), 4),
        )
        for metric, name in (("accuracy", "accuracy"), ("f1", "macro F1"))
    ]
    data = ModelCardData(
        language="en",
        license=license,
        library_name="peft" if (run_dir / "adapter_config.json").is_file() else "transformers",
        base_model=base_model_of(metrics),
        datasets=[dataset] if dataset else None,
        metrics=["accuracy", "f1"],
        tags=["day3", "text-classification", strategy],
        pipeline_tag="text-classification",
        model_name=repo_id.split("/")[-1],
        eval_results=results,
    )
    body = _card_body(run_dir, repo_id, metrics)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}")


def _card_body(run_dir: Path, repo_id: str, metrics: dict) -> str:
    val = metrics["validation"]
    lines = [
        f"# {repo_id.split('/')[-1]}",
        "",
        f"A `{metrics.get('strategy', 'full')}` fine-tune of `{metrics.get('model', '?')}` for "
        f"sentiment classification ({', '.join(metrics.get('label_names') or [])}), trained "
        "with the `day3` course kit.",
        "",
        "## Results (validation)",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| accuracy | {val['accuracy']:.4f} |",
        f"| macro F1 | {val['f1']:.4f} |",
        f"| examples | {val.get('n', '?')} |",
        f"| trainable parameters | {metrics.get('trainable_params', '?')} "
        f"({metrics.get('trainable_percent', '?')}%) |",
        "",
    ]
    lines += _forgetting_section(run_dir)
    lines += ["## Training settings", "", *_settings_lines(run_dir, metrics), ""]
    lines += [
        "## Intended use and limitations",
        "",
        "- A teaching artefact: English movie-review sentiment (positive/negative) on short "
        "texts, one or two sentences. Not for decisions about people or production use.",
        "- Trained on a small sample with the kit, typically on CPU in minutes: expect lower "
        "accuracy than published models, and check it on your own data before relying on it.",
        "- Sarcasm, long reviews (inputs are truncated), other domains and other languages are "
        "out of scope; errors and biases of the base model and the data carry over.",
        "",
    ]
    return "\n".join(lines)


def _forgetting_section(run_dir: Path) -> list[str]:
    md, js = run_dir / "forgetting.md", run_dir / "forgetting.json"
    if md.is_file():
        table = md.read_text(encoding="utf-8").strip()
    elif js.is_file():
        rows = _read_json(js).get("results", [])
        table = "\n".join(
            ["| strategy | new task | average forgetting |", "| --- | --- | --- |"]
            + [
                f"| {r['strategy']} | {r['new_task_score']:.4f} | {r['average_forgetting']:+.4f} |"
                for r in rows
            ]
        )
    else:
        return []
    return ["## Catastrophic forgetting", "", table, ""]


def _settings_lines(run_dir: Path, metrics: dict) -> list[str]:
    # An allow-list: settings.json also holds TrainingArguments, whose hub_token must never
    # reach a public page, even masked.
    s = _read_json(run_dir / "settings.json")
    args = s.get("training_args") or {}
    data = s.get("data") or {}
    strategy = s.get("strategy") or {}
    rows = {
        "model": metrics.get("model"),
        "strategy": strategy.get("name") or metrics.get("strategy"),
        "LoRA rank": strategy.get("lora_r") if strategy.get("name") == "lora" else None,
        "data": metrics.get("data"),
        "train / validation examples": f"{metrics.get('n_train')} / {metrics.get('n_validation')}",
        "epochs": s.get("epochs"),
        "learning rate": args.get("learning_rate") or s.get("learning_rate"),
        "batch size": s.get("batch_size"),
        "max length": s.get("max_length"),
        "seed": s.get("seed") if s.get("seed") is not None else data.get("seed"),
        "device": metrics.get("device") or s.get("device"),
        "train seconds": metrics.get("train_seconds"),
    }
    return [f"- {k}: {v}" for k, v in rows.items() if v is not None]


def check_card(path: Path) -> None:
    """Local stand-in for `ModelCard.validate`, which only exists as a Hub API call: the YAML
    must parse back (ModelCardData re-reads model-index) and carry the keys the Hub uses."""
    from huggingface_hub import ModelCard
    from huggingface_hub.utils import validate_repo_id

    card = ModelCard.load(path)
    meta = card.data.to_dict()
    missing = [
        k for k in ("license", "metrics", "tags", "pipeline_tag", "model-index") if k not in meta
    ]
    if missing:
        raise ValueError(f"model card {path} lacks metadata {missing}")
    if meta.get("base_model"):
        validate_repo_id(meta["base_model"])
    for ds in meta.get("datasets") or []:
        validate_repo_id(ds)


def _pickles(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PICKLE_SUFFIXES
    )


def _selected(run_dir: Path) -> list[Path]:
    """Relative paths of the run files to upload, merged/ included."""
    picked = []
    for base in (run_dir, run_dir / "merged"):
        if not base.is_dir():
            continue
        for p in sorted(base.iterdir()):
            allowed = p.name in MODEL_FILES or p.suffix == ".safetensors"
            if base == run_dir:
                allowed = allowed or p.name in REPORT_FILES
            if p.is_file() and allowed:
                picked.append(p.relative_to(run_dir))
    return picked


def _check_dest(run_dir: Path, dest: Path, overwrite: bool) -> None:
    r, d = run_dir.resolve(), dest.resolve()
    if d == r or r in d.parents or d in r.parents:
        raise UserError(f"--dry-run folder {dest} overlaps the run folder; choose another folder")
    if dest.exists() and not dest.is_dir():
        raise UserError(f"--dry-run {dest} exists and is a file; choose another folder")
    if dest.is_dir() and any(dest.iterdir()) and not overwrite:
        raise UserError(
            f"--dry-run folder {dest} exists and is not empty; choose another folder "
            "or pass --overwrite"
        )


def _check_staged(folder: Path, expected: list[Path], token: str | None) -> None:
    found = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    if found != sorted(expected):
        raise RuntimeError(f"staged folder {folder} holds {found}, expected {sorted(expected)}")
    pickles = _pickles(folder)
    if pickles:
        raise UserError(f"{pickles[0].name} is a pickle file; upload safetensors only")
    if token:
        needle = token.encode()
        for rel in found:
            # The message names the file, never the value.
            if needle in (folder / rel).read_bytes():
                raise UserError(
                    f"{rel} contains your Hugging Face token; remove it from the run folder "
                    "and revoke the token"
                )


def stage_upload(
    run_dir: str | Path,
    dest: str | Path,
    repo_id: str | None = None,
    license: str = "apache-2.0",
    overwrite: bool = False,
    token: str | None = None,
) -> list[Path]:
    """Write exactly what would be uploaded into `dest` (all or nothing); paths relative to it."""
    run_dir, dest = Path(run_dir), Path(dest)
    _run_metrics(run_dir)
    pickles = _pickles(run_dir)
    if pickles:
        raise UserError(
            f"{pickles[0]} is a pickle file, which can run code when loaded; delete it "
            "(the run's weights are in safetensors) before pushing"
        )
    _check_dest(run_dir, dest, overwrite)
    token = token if token is not None else get_token()
    folder = RunFolder(dest, overwrite=True)
    partial = folder.begin()
    try:
        files = _selected(run_dir)
        for rel in files:
            (partial / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(run_dir / rel, partial / rel)
        card = write_model_card(run_dir, repo_id or f"day3/{run_dir.name}", license)
        card.save(partial / "README.md")
        check_card(partial / "README.md")
        files.append(Path("README.md"))
        _check_staged(partial, files, token)
    except BaseException:
        folder.abort()
        raise
    folder.commit()
    return sorted(files)


def push(
    run_dir: str | Path,
    repo_id: str,
    private: bool = False,
    dry_run: str | Path | None = None,
    api=None,
    license: str = "apache-2.0",
    overwrite: bool = False,
) -> list[Path]:
    """Stage the run and upload it; with `dry_run`, stage into that folder and list it."""
    check_repo_id(repo_id)
    if dry_run is None and is_offline():
        raise UserError(
            "the Hub is unreachable (offline); use --dry-run DIR to write the exact folder "
            "that would be uploaded"
        )
    token = get_token()
    if dry_run is not None:
        files = stage_upload(run_dir, dry_run, repo_id, license, overwrite, token)
        for rel in files:
            out(f"{Path(dry_run) / rel}\t{(Path(dry_run) / rel).stat().st_size}")
        return files
    if not token:
        raise UserError(f"no Hugging Face token found; {LOGIN_HINT}")
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    with tempfile.TemporaryDirectory(prefix="day3-push-") as tmp:
        staged = Path(tmp) / "upload"
        files = stage_upload(run_dir, staged, repo_id, license, False, token)
        url = api.create_repo(repo_id, private=private, exist_ok=True, token=token)
        api.upload_folder(
            folder_path=str(staged),
            repo_id=repo_id,
            token=token,
            commit_message=f"day3: upload {Path(run_dir).name} ({len(files)} files)",
        )
    out(f"uploaded {len(files)} files to {url}")
    return files


def register_cli(subparsers) -> argparse.ArgumentParser:
    """Add `day3 push` to the CLI."""
    p = subparsers.add_parser("push", help="upload a run folder and its model card to the Hub")
    p.add_argument("run_dir")
    p.add_argument("--repo-id", required=True, help="user/name on the Hub")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--dry-run", metavar="DIR", help="write the exact upload into DIR and stop")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --dry-run DIR")
    p.add_argument("--license", default="apache-2.0", help="model card license (Hub id)")
    p.set_defaults(func=cmd_push)
    return p


def cmd_push(args) -> int:
    push(
        args.run_dir,
        args.repo_id,
        private=args.private,
        dry_run=args.dry_run,
        license=args.license,
        overwrite=args.overwrite,
    )
    return 0
