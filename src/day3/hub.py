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
from day3.model_card import check_card, run_metrics, write_model_card
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


def _scrub_paths(obj):
    """JSON with every absolute local path cut to its last component."""
    if isinstance(obj, dict):
        return {k: _scrub_paths(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_scrub_paths(v) for v in obj]
    if isinstance(obj, str) and (os.path.isabs(obj) or obj.startswith("~")):
        return Path(obj).name
    return obj


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
    run_metrics(run_dir)
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
            if rel.suffix == ".json" and rel.name in REPORT_FILES:
                # Where the run lived on this machine (home folder, user name) is nobody's business.
                scrubbed = _scrub_paths(json.loads((run_dir / rel).read_text(encoding="utf-8")))
                (partial / rel).write_text(json.dumps(scrubbed, indent=2) + "\n", encoding="utf-8")
            else:
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
