"""`day3 push`: a run folder, its model card and nothing else, to the Hugging Face Hub.

What goes up is staged first into a folder that holds exactly the upload, checked there (no
pickle, no stray file, no token bytes), and only then handed to `upload_folder`: `--dry-run DIR`
writes that same folder and stops, so a class can inspect the upload offline. The token is
read from HF_TOKEN or the stored `hf auth login`, passed only as an argument, never written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from day3.core.env import is_offline
from day3.core.errors import UserError
from day3.core.flags import option
from day3.core.runs import MARKER, RunFolder, is_kit_output, writing
from day3.core.ui import out, say
from day3.hub.card import base_model_of, check_card, run_metrics, scrub_paths, write_model_card

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

ADAPTER_DIR = "adapter"  # a merged run's peft adapter (day3.classifier.save.ADAPTER_DIR)


TEXT_SUFFIXES = (".json", ".md", ".txt", ".model", ".py", ".yaml", ".yml")


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
    """Relative paths of the run files to upload: the model at the root, the peft adapter
    (adapter/) when the run has one beside its merged model, and the reports."""
    picked = []
    for base in (run_dir, run_dir / ADAPTER_DIR):
        if not base.is_dir():
            continue
        for p in sorted(base.iterdir()):
            allowed = p.name in MODEL_FILES or p.suffix == ".safetensors"
            if base == run_dir:
                allowed = allowed or p.name in REPORT_FILES
            if p.is_file() and allowed:
                picked.append(p.relative_to(run_dir))
    return picked


def _stage_file(run_dir: Path, rel: Path, dest: Path, base_id: str) -> None:
    """Copy one file into the upload. JSON reports lose local paths; an adapter's config names
    its base model by Hub id (on this machine it is a folder no other machine has)."""
    src = run_dir / rel
    if rel.name == "adapter_config.json":
        config = json.loads(src.read_text(encoding="utf-8"))
        config["base_model_name_or_path"] = base_id
        dest.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    elif rel.suffix == ".json" and rel.name in REPORT_FILES:
        scrubbed = scrub_paths(json.loads(src.read_text(encoding="utf-8")))
        dest.write_text(json.dumps(scrubbed, indent=2) + "\n", encoding="utf-8")
    else:
        shutil.copy2(src, dest)


def base_id_of(metrics: dict) -> str:
    """The name an uploaded adapter gives its base: the Hub id, else the model's bare name."""
    return base_model_of(metrics) or Path(str(metrics.get("model", "unknown"))).name


def local_roots(run_dir: Path) -> list[str]:
    """Absolute paths of this machine that must not appear in anything uploaded."""
    import sys
    import tempfile

    from day3.core.env import cache_dir

    roots = {Path.home(), Path.cwd(), Path(sys.prefix), Path(tempfile.gettempdir()), cache_dir()}
    roots |= {run_dir.resolve(), run_dir.resolve().parent}
    return sorted({str(r.resolve()) for r in roots if str(r.resolve()) != "/"}, key=len)[::-1]


def _check_no_local_paths(folder: Path, files: list[Path], roots: list[str]) -> None:
    for rel in files:
        if (folder / rel).suffix not in TEXT_SUFFIXES:
            continue
        text = (folder / rel).read_text(encoding="utf-8", errors="replace")
        for root in roots:
            if root in text:
                raise UserError(
                    f"{rel} in the upload would carry the local path {root}; remove it from "
                    "the run folder's files before pushing"
                )


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
    found = sorted(
        p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.name != MARKER
    )
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
    replace_own: bool = False,
) -> list[Path]:
    """Write exactly what would be uploaded into `dest` (all or nothing); paths relative to it.
    `replace_own`: a lesson's staging folder replaces its own previous staging."""
    run_dir, dest = Path(run_dir), Path(dest)
    run_metrics(run_dir)
    pickles = _pickles(run_dir)
    if pickles:
        raise UserError(
            f"{pickles[0]} is a pickle file, which can run code when loaded; delete it "
            "(the run's weights are in safetensors) before pushing"
        )
    _check_dest(run_dir, dest, overwrite or (replace_own and is_kit_output(dest)))
    folder = RunFolder(dest, overwrite, "upload", (run_dir,), replace_own)
    folder.check()
    token = token if token is not None else get_token()
    with writing(folder) as partial:
        files = _selected(run_dir)
        base_id = base_id_of(run_metrics(run_dir))
        for rel in files:
            (partial / rel).parent.mkdir(parents=True, exist_ok=True)
            _stage_file(run_dir, rel, partial / rel, base_id)
        card = write_model_card(run_dir, repo_id or f"day3/{run_dir.name}", license)
        card.save(partial / "README.md")
        check_card(partial / "README.md")
        files.append(Path("README.md"))
        _check_staged(partial, files, token)
        # Where the run lived on this machine (home folder, user name) is nobody's business.
        _check_no_local_paths(partial, files, local_roots(run_dir))
    return sorted(files)


def push(
    run_dir: str | Path,
    repo_id: str,
    private: bool = False,
    dry_run: str | Path | None = None,
    api=None,
    license: str = "apache-2.0",
    overwrite: bool = False,
    replace_own: bool = False,
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
        files = stage_upload(run_dir, dry_run, repo_id, license, overwrite, token, replace_own)
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
            ignore_patterns=[MARKER],  # the kit's bookkeeping, not part of the model
        )
    out(f"uploaded {len(files)} files to {url}")
    return files


def default_upload_dir(run_dir: str | Path) -> Path:
    """Where `--dry-run` without a folder stages the upload: beside the run."""
    run = Path(run_dir).resolve()
    return run.with_name(f"{run.name}-upload")


@dataclass
class PushConfig:
    """`day3 push`: a run folder and its model card, to the Hub (or, --dry-run, to a folder)."""

    run_dir: Path = option(
        help="a run folder written by `day3 finetune-classifier`", positional=True
    )
    repo_id: str = option(help="user/name on the Hub", required=True)
    private: bool = option(False, help="create the repo as private")
    dry_run: Path | None = option(
        None,
        nargs="?",
        const="",
        parse=lambda text: Path(text) if text else "",  # "" (the flag alone) stays a marker
        metavar="DIR",
        help="write the exact upload into DIR (default: RUN_DIR-upload beside the run) and stop",
    )
    overwrite: bool = option(False, help="replace a non-empty --dry-run DIR")
    license: str = option("apache-2.0", help="model card license (Hub id)")


def push_run(config: PushConfig) -> list[Path]:
    """`push` as the command runs it: `--dry-run` alone stages beside the run, and says where."""
    dry_run = config.dry_run
    if dry_run == "":  # the flag without a folder (argparse hands over its const as is)
        dry_run = default_upload_dir(config.run_dir)
        say(f"dry run: staging the upload in {dry_run}")
    return push(
        config.run_dir,
        config.repo_id,
        private=config.private,
        dry_run=dry_run,
        license=config.license,
        overwrite=config.overwrite,
    )
