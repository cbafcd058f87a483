"""Fixtures of the serve tests: one tiny classifier run (a 2-layer random BERT, seconds), an
app serving it in this process on a free port (always closed), and a headless Chromium from
the system (never a browser download), skipped with the reason where there is none."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

# Gradio's uploads go to a folder of the test session's own (read when gradio is imported).
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="day3-serve-gradio-"))
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A complete classifier run folder (tiny-bert, 32 embedded reviews, one epoch)."""
    from day3.classifier.run import run_classifier_job
    from day3.classifier.train import ClassifierJob
    from day3.data.classification import DataSpec

    output = tmp_path_factory.mktemp("serve") / "runs" / "tiny-run"
    data = DataSpec("embedded", max_train_samples=32, max_eval_samples=16)
    run_classifier_job(ClassifierJob(model="tiny-bert", data=data, epochs=1, output=output))
    return output


def start_app(run: Path, workspace: Path, **settings) -> SimpleNamespace:
    """The app on `run`, listening on a free port of 127.0.0.1 (close it with .demo.close())."""
    from day3.serve.app import ServeConfig, build_app, free_port, launch

    config = ServeConfig(run, port=free_port(), workspace=workspace, **settings)
    demo = build_app(config)
    url = launch(demo, config).rstrip("/")
    return SimpleNamespace(url=url, demo=demo, config=config, board=demo.day3.board)


@pytest.fixture(scope="module")
def app(tiny_run, tmp_path_factory) -> Iterator[SimpleNamespace]:
    """One app for a test module: the tiny run served, its Train tab on tiny-bert."""
    workspace = tmp_path_factory.mktemp("workspace") / "app-jobs"
    served = start_app(
        tiny_run, workspace, train_model="tiny-bert", train_samples=32, max_epochs=1000
    )
    try:
        yield served
    finally:
        served.demo.close()
        served.board.stop_own(timeout=10)
        shutil.rmtree(workspace, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium from the system, driven by playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright); no browser tests")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); no browser tests")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()
