"""What `day3 serve` is given, checked before anything loads: the run folder (a classifier run,
or a seq2seq model the kit wrote), where the app listens, and the limits that keep a local demo
safe to leave open (input length, queue size, concurrency, upload size, one training at a time).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from day3.core import checks
from day3.core.errors import UserError
from day3.core.flags import option
from day3.core.runs import enclosing_output, read_json_object, read_marker

CLASSIFIER_KIND = "classifier-run"  # day3.classifier.train.RUN_KIND, the marker's kind
JOB_RUN = "run"  # a Train-tab job's run folder: WORKSPACE/<job>/run
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def run_kind(folder: Path) -> str:
    """ "classifier" or "seq2seq" for a folder the kit wrote, else a UserError saying what to
    pass. A classifier run carries the kit's marker (complete); a seq2seq model is a mini-FLAN
    build or a T5 folder (`--model tiny-t5`, a `build-mini-flan` output)."""
    folder = Path(folder)
    if not folder.exists():
        raise UserError(
            f"run folder {folder} does not exist; pass a folder written by "
            "`day3 finetune-classifier`, e.g. runs/sentiment"
        )
    if not folder.is_dir():
        raise UserError(f"{folder} is a file; pass a run folder, e.g. runs/sentiment")
    marker = read_marker(folder)
    if marker and marker.get("kind") == CLASSIFIER_KIND:
        if marker.get("state") != "complete":
            raise UserError(f"{folder} is an unfinished run; train it again or pick another")
        return "classifier"
    config = read_json_object(folder / "config.json")
    if config.get("is_encoder_decoder") and (folder / "model.safetensors").is_file():
        return "seq2seq"
    what = f"a day3 '{marker['kind']}' output" if marker else "not a day3 run"
    raise UserError(
        f"{folder} is {what}; pass a classifier run folder (written by "
        "`day3 finetune-classifier`) or a seq2seq model folder (a mini-FLAN build)"
    )


def is_address(host: str) -> bool:
    """An IP address or a plain host name (letters, digits, dots, hyphens)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})", host or ""))


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class ServeConfig:
    """`day3 serve`: a local web app to try a run (Predict) and train a new one (Train)."""

    run: Path = option(
        help="a classifier run folder (day3 finetune-classifier) or a seq2seq model folder",
        positional=True,
    )
    host: str = option(
        "127.0.0.1", help="address to listen on; anything but 127.0.0.1 opens it to the network"
    )
    port: int = option(7860, help="port to listen on")
    max_input_chars: int = option(2000, help="longest text a request may send")
    queue_size: int = option(64, help="requests that may wait; more are refused as busy")
    concurrency: int = option(1, help="prediction batches computed at once")
    batch_size: int = option(16, help="waiting requests answered by one forward pass")
    max_upload_mb: int = option(10, help="largest training file the Train tab accepts, in MB")
    workspace: Path = option(
        Path("runs/app-jobs"), help="where the Train tab's jobs (runs and logs) go"
    )
    train_model: str = option(
        "minilm", help="the Train tab's default model: minilm | tiny-bert | FOLDER"
    )
    train_samples: int = option(0, help="the Train tab's default number of training rows (0: all)")
    max_epochs: float = option(20.0, help="most epochs a Train-tab job may ask for")
    max_new_tokens: int = option(64, help="seq2seq runs: longest generated answer, in tokens")

    def __post_init__(self) -> None:
        self.run = Path(self.run).expanduser()
        self.workspace = Path(self.workspace).expanduser()
        self.kind = run_kind(self.run)
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise UserError(f"--port must be a whole number (got {self.port})")
        if not 1 <= self.port <= 65535:
            raise UserError(f"--port must be from 1 to 65535 (got {self.port})")
        if not is_address(self.host):
            raise UserError(f"--host '{self.host}' is not an address or host name; use 127.0.0.1")
        checks.count("max_input_chars", self.max_input_chars)
        checks.count("queue_size", self.queue_size)
        checks.count("concurrency", self.concurrency)
        checks.count("batch_size", self.batch_size)
        checks.count("max_upload_mb", self.max_upload_mb)
        checks.count("train_samples", self.train_samples, low=0)
        checks.at_least("max_epochs", self.max_epochs, 0.01, 1000)
        checks.count("max_new_tokens", self.max_new_tokens)
        if self.concurrency > self.queue_size:
            raise UserError(
                f"--concurrency {self.concurrency} exceeds --queue-size {self.queue_size}; "
                "the queue must hold at least what runs at once"
            )
        self._check_workspace()

    def _check_workspace(self) -> None:
        ws = self.workspace
        if ws.exists() and not ws.is_dir():
            raise UserError(f"--workspace {ws} is a file; name a folder, e.g. runs/app-jobs")
        inside = enclosing_output(ws)
        if inside is not None or read_marker(ws) is not None:
            raise UserError(
                f"--workspace {ws} is (inside) the day3 output {inside or ws}; a new run there "
                "would be deleted with it: name a folder of its own, e.g. runs/app-jobs"
            )

    @property
    def exposed(self) -> bool:
        """True when the app listens beyond this machine (no login: anyone can use it)."""
        return not is_loopback(self.host)
