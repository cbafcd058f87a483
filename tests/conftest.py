"""Offline, tiny, hermetic: every test sees no Hub, a private cache, and no data mirror unless
it asks for one (integration tests read $DAY3_DATA_DIR as CI sets it)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

os.environ["DAY3_OFFLINE"] = "1"  # before day3 (and so before any HF library) is imported
# A private cache (models built on first use): one per test process. Under `pytest -n N` the
# workers inherit the controller's environment, so each worker makes its own, unless the user
# named one: two workers building, checking and loading the same cached models race.
if "DAY3_CACHE" not in os.environ or os.environ.get("DAY3_TEST_OWN_CACHE") == "1":
    os.environ["DAY3_CACHE"] = tempfile.mkdtemp(prefix="day3-test-cache-")
    os.environ["DAY3_TEST_OWN_CACHE"] = "1"
# Unit tests must not depend on the mirror: it is taken out of the environment and kept for the
# integration tests (in DAY3_TEST_MIRROR too, for the `pytest -n` workers started after this).
MIRROR = os.environ.pop("DAY3_DATA_DIR", None) or os.environ.get("DAY3_TEST_MIRROR")
if MIRROR:
    os.environ["DAY3_TEST_MIRROR"] = MIRROR
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):  # `pytest -n N`: the cores split N ways
    _workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    _threads = max(1, (os.cpu_count() or 1) // _workers)
    os.environ.setdefault("OMP_NUM_THREADS", str(_threads))  # before torch is imported; the
    os.environ.setdefault("MKL_NUM_THREADS", str(_threads))  # subprocesses inherit it too

import pytest  # noqa: E402

from day3.core.env import configure  # noqa: E402

configure()  # what every entry point does first: offline switches before any HF import

from day3.models.tiny import build_tiny_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    return build_tiny_model("bert", tmp_path_factory.mktemp("models") / "tiny-bert")


@pytest.fixture(scope="session")
def tiny_distilbert(tmp_path_factory) -> Path:
    return build_tiny_model("distilbert", tmp_path_factory.mktemp("models") / "tiny-distilbert")


@pytest.fixture
def mirror(monkeypatch) -> Path:
    """The real data mirror, for integration tests; skipped when CI/the user gave none."""
    if not MIRROR or not Path(MIRROR).is_dir():
        pytest.skip("no data mirror: set DAY3_DATA_DIR=../shared/data")
    monkeypatch.setenv("DAY3_DATA_DIR", MIRROR)
    return Path(MIRROR)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def at_once(fn, n: int, timeout: float | None = None) -> list:
    """`fn(i)` for i in range(n), each in its own thread, released together (a barrier): the
    overlap a race or a burst needs. Their results, in order (None for one still running
    after `timeout` seconds)."""
    import threading

    results: list = [None] * n
    start = threading.Barrier(n)

    def run(i: int) -> None:
        start.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results


def sentiment_rows() -> list[dict]:
    """Twelve short, balanced reviews in the user-file format (sentence, label)."""
    pos = [
        "a wonderful film",
        "i loved it",
        "great acting and a moving story",
        "brilliant fun",
        "a warm, funny delight",
        "superb from start to finish",
    ]
    neg = [
        "a dull mess",
        "i hated it",
        "boring and far too long",
        "terrible acting",
        "a lifeless, tedious slog",
        "awful from start to finish",
    ]
    return [{"sentence": t, "label": 1} for t in pos] + [{"sentence": t, "label": 0} for t in neg]


@pytest.fixture
def sentiment_jsonl(tmp_path) -> tuple[Path, Path]:
    """A small, balanced train/validation pair in the user-file format."""
    rows = sentiment_rows()
    train = write_jsonl(tmp_path / "train.jsonl", rows * 3)
    val = write_jsonl(tmp_path / "validation.jsonl", rows)
    return train, val
