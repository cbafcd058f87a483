"""Offline switches, cache folders and the data mirror: process-wide settings, set once.

`configure()` runs first in every entry point (the CLI, each lesson), *before* any Hugging Face
library is imported, because `huggingface_hub` reads HF_HUB_OFFLINE at import time. If the user said nothing we probe the
Hub once with a short timeout; an air-gapped classroom must never wait on a dead network.
"""

from __future__ import annotations

import os
import socket
import threading
import warnings
from pathlib import Path

HUB_HOST = "huggingface.co"
OFFLINE_VARS = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")

_TRUE = {"1", "true", "yes", "on"}


def hub_reachable(host: str = HUB_HOST, timeout: float = 1.5) -> bool:
    """TCP connect to the Hub on 443. DNS has no timeout of its own, hence the thread."""
    result = [False]

    def probe() -> None:
        try:
            with socket.create_connection((host, 443), timeout=timeout):
                result[0] = True
        except OSError:
            pass

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout + 0.5)
    return result[0]


def configure() -> None:
    """Decide online/offline once per process and tell every HF library the same thing."""
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    quiet_libraries()
    if os.environ.get("DAY3_SHARE_CPU", "1") != "0":
        # Waiting OpenMP threads sleep instead of spinning: two trainings on one CPU then share
        # it instead of taking turns at a crawl (day3.core.sharing). Must precede torch's import.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault(
        "TOKENIZERS_PARALLELISM", "false"
    )  # forked dataloaders + rust threads deadlock
    if os.environ.get("DAY3_OFFLINE") is not None:
        offline = os.environ["DAY3_OFFLINE"].lower() in _TRUE
    elif os.environ.get("HF_HUB_OFFLINE") is not None:
        offline = os.environ["HF_HUB_OFFLINE"].lower() in _TRUE
    else:
        offline = not hub_reachable()
    for var in OFFLINE_VARS:
        os.environ[var] = "1" if offline else "0"


def quiet_libraries() -> None:
    """What a learner cannot act on stays off the screen: the libraries' own progress bars
    ("Loading weights", "Map", "Writing model shards"; the kit shows one bar per training, see
    day3.core.progress) and their deprecation notices about their own internals. Set before the
    libraries are imported; a user's explicit setting wins."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # transformers follows it too
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    for category in (FutureWarning, DeprecationWarning):
        warnings.filterwarnings(
            "ignore", category=category, module=r"(transformers|peft|accelerate|datasets|torch)"
        )


def is_offline() -> bool:
    """Offline mode, as decided by `configure()` (called now if no entry point did)."""
    if "HF_HUB_OFFLINE" not in os.environ:
        configure()
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in _TRUE


def cache_dir() -> Path:
    """Where the kit keeps what it builds (tiny models, the seq2seq stand-in)."""
    root = os.environ.get("DAY3_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "day3"
    )
    return Path(root)


def data_mirror(must_exist: bool = True) -> Path | None:
    """The local data mirror ($DAY3_DATA_DIR), laid out as <name>/<split>.<ext>; None when unset.
    Set to a folder that is not there: a UserError (a typo must not quietly fall back to the
    embedded sample), unless `must_exist` is False (the overview reports it instead)."""
    value = os.environ.get("DAY3_DATA_DIR")
    if not value:
        return None
    root = Path(value).expanduser()
    if must_exist and not root.is_dir():
        from day3.core.errors import UserError

        raise UserError(
            f"DAY3_DATA_DIR={value} is not a folder that exists; point it at the data mirror "
            "(e.g. export DAY3_DATA_DIR=../shared/data) or unset it"
        )
    return root
