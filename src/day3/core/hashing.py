"""The kit's one file hash: sha256, read in 1 MiB blocks (model files are hundreds of MB).
It pins the embedded model's files and marks a checkpoint complete."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
