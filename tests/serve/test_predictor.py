"""The Predict side without a server: a batch of requests answered as the kit's predictor
answers them, in the callers' order, each bad request refused on its own, models loaded
once, and only the runs the app serves (never a path a client made up)."""

from __future__ import annotations

import json
import shutil

import pytest

import day3.classifier.predict as kit_predict
from day3.core.errors import UserError
from day3.serve import predictor as serve_predictor
from day3.serve.predictor import Runs

TEXTS = ["a wonderful film", "i hated every minute of it, " * 5, "fine", "dull"]


def test_a_batch_gets_the_kits_predictions_in_the_callers_order(tiny_run, tmp_path):
    runs = Runs(tiny_run, tmp_path / "ws", max_input_chars=200)
    labels, answers = runs.answer_batch(TEXTS, [str(tiny_run)] * len(TEXTS))
    model, tok = kit_predict.load_classifier_folder(tiny_run)
    expected = kit_predict.predict(model, tok, TEXTS, batch_size=1)  # one by one: no batching
    assert answers == [p.label for p in expected]
    for probs, p in zip(labels, expected, strict=True):
        assert set(probs) == {"negative", "positive"}
        assert probs[p.label] == pytest.approx(p.score, abs=1e-5)
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)


def test_each_bad_request_is_refused_alone_and_the_rest_answered(tiny_run, tmp_path):
    runs = Runs(tiny_run, tmp_path / "ws", max_input_chars=20)
    texts = ["a wonderful film", "x" * 21, "   ", "dull", "dull"]
    names = [str(tiny_run), None, str(tiny_run), "/etc", str(tiny_run.parent)]
    labels, answers = runs.answer_batch(texts, names)
    assert answers[0] in ("negative", "positive") and labels[0] is not None
    assert answers[1] == (
        "refused: the text has 21 characters, more than the 20 this app accepts; shorten it"
    )
    assert answers[2] == "refused: the text is empty; type a sentence"
    assert answers[3] == "refused: /etc is not a run this app serves; pick one from the list"
    assert answers[4].startswith(f"refused: {tiny_run.parent} is not a run this app serves")
    assert labels[1:] == [None] * 4


def test_only_the_served_run_and_finished_job_runs_may_be_named(tiny_run, tmp_path):
    ws = tmp_path / "ws"
    runs = Runs(tiny_run, ws, max_input_chars=100)
    assert runs.resolve(None) == runs.resolve("") == tiny_run.resolve()
    assert runs.resolve(str(tiny_run / ".." / tiny_run.name)) == tiny_run.resolve()
    job_run = ws / "job-001" / "run"
    shutil.copytree(tiny_run, job_run)
    (ws / "job-002").mkdir()
    half = ws / "job-002" / "run"
    shutil.copytree(tiny_run, half)
    marker = json.loads((half / "day3-output.json").read_text())
    (half / "day3-output.json").write_text(json.dumps({**marker, "state": "partial"}))
    assert runs.resolve(str(job_run)) == job_run.resolve()
    for foreign in (str(half), str(ws), str(ws / "job-001"), "/", "../../etc"):
        with pytest.raises(UserError, match="is not a run this app serves"):
            runs.resolve(foreign)
    assert [value for _, value in runs.choices()] == [str(tiny_run.resolve()), str(job_run)]


def test_a_model_is_loaded_once_and_the_served_one_is_never_dropped(
    tiny_run, tmp_path, monkeypatch
):
    loads = []
    real = kit_predict.load_classifier_folder
    monkeypatch.setattr(kit_predict, "load_classifier_folder", lambda f: loads.append(f) or real(f))
    ws = tmp_path / "ws"
    for i in range(1, 4):
        shutil.copytree(tiny_run, ws / f"job-00{i}" / "run")
    runs = Runs(tiny_run, ws, max_input_chars=100)
    for _ in range(3):
        runs.answer_batch(["a film"], [None])
    assert len(loads) == 1
    for i in (1, 2, 3):
        runs.answer_batch(["a film"], [str(ws / f"job-00{i}" / "run")])
    assert len(loads) == 4
    assert len(runs.loaded) == serve_predictor.MAX_LOADED
    assert tiny_run.resolve() in runs.loaded


def test_a_seq2seq_run_answers_with_generated_text(tmp_path):
    from day3.models.tiny import build_tiny_model

    t5 = build_tiny_model("t5", tmp_path / "t5")
    runs = Runs(t5, tmp_path / "ws", max_input_chars=100, max_new_tokens=4)
    labels, answers = runs.answer_batch(["translate to french : the red cat", "hello"])
    assert labels == [None, None]
    assert all(isinstance(a, str) and 0 < len(a.split()) <= 4 for a in answers), answers


def test_while_a_job_trains_a_forward_pass_takes_its_share_of_the_cores(
    tiny_run, tmp_path, monkeypatch
):
    import subprocess
    import sys

    import torch

    from day3.core import sharing
    from day3.serve.predictor import serving_threads

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv(sharing.ENV, raising=False)
    monkeypatch.setattr(sharing, "cores", lambda: 4)
    monkeypatch.setattr(sharing, "_registry", lambda: tmp_path / "jobs")
    assert serving_threads() == 4  # no training: every core
    job = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    before = torch.get_num_threads()
    try:
        (tmp_path / "jobs").mkdir()
        (tmp_path / "jobs" / str(job.pid)).write_text("training\n")  # as share_cpu registers
        assert serving_threads() == 2  # one training + the app: half each
        monkeypatch.setattr(sharing, "cores", lambda: 6)
        torch.set_num_threads(1)
        Runs(tiny_run, tmp_path / "ws", max_input_chars=100).answer_batch(["a film"], [None])
        assert torch.get_num_threads() == 3  # what the forward pass ran with: 6 cores / 2
        monkeypatch.setenv("OMP_NUM_THREADS", "3")
        assert serving_threads() is None  # the user's choice wins
    finally:
        torch.set_num_threads(before)
        job.kill()
        job.wait()
