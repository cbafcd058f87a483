"""Offline switches, cache folders and the data mirror: process-wide settings, set once.

`configure()` runs when `day3` is imported, *before* any Hugging Face library is, because
`huggingface_hub` reads HF_HUB_OFFLINE at import time. If the user said nothing we probe the
Hub once with a short timeout; an air-gapped classroom must never wait on a dead network.
"""

from __future__ import annotations

import os
import socket
import threading
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


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in _TRUE


def cache_dir() -> Path:
    """Where the kit keeps what it builds (tiny models, the seq2seq stand-in)."""
    root = os.environ.get("DAY3_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "day3"
    )
    return Path(root)


def data_mirror() -> Path | None:
    """The local data mirror ($DAY3_DATA_DIR), laid out as <name>/<split>.<ext>."""
    value = os.environ.get("DAY3_DATA_DIR")
    return Path(value).expanduser() if value else None
