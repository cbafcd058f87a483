"""The app over HTTP, as a client or an attacker sees it: one public endpoint (/predict) that
answers like the kit; no file outside the app served, whatever the path says; uploads kept in
their temp folder and size-limited; a full queue answered "busy" at once; safe launch options.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from day3.classifier.predict import load_classifier_folder, predict
from day3.core.errors import UserError
from day3.serve.app import build_app, launch, launch_options
from day3.serve.config import ServeConfig
from day3.serve.predictor import Predictor
from tests.conftest import at_once
from tests.serve.conftest import start_app


def test_predict_is_the_one_public_endpoint_and_answers_like_the_kit(app, tiny_run):
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {
        "/predict"
    }
    probs, answer = client.predict("a wonderful film", str(tiny_run), api_name="/predict")
    model, tokenizer = load_classifier_folder(tiny_run)  # the kit's predictor, not the app's
    (expected,) = predict(model, tokenizer, ["a wonderful film"])
    shown = {c["label"]: c["confidence"] for c in probs["confidences"]}
    assert answer == expected.label and set(shown) == {"negative", "positive"}
    assert shown[expected.label] == pytest.approx(expected.score, abs=1e-5)
    _, refused = client.predict("x" * 2001, str(tiny_run), api_name="/predict")
    assert refused.startswith("refused: the text has 2,001 characters")


def test_no_file_outside_the_app_is_served(app, tiny_run, tmp_path, monkeypatch):
    secret = "day3-secret-7f3a"
    (tiny_run.parent / "notes.txt").write_text(secret)
    (tmp_path / ".env").write_text(f"HF_TOKEN={secret}\n")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")  # so that ../.env is a real file next to the cwd
    uploads = os.environ["GRADIO_TEMP_DIR"]
    probes = [
        "/file=/etc/passwd",
        "/gradio_api/file=/etc/passwd",
        "/gradio_api/file=%2Fetc%2Fpasswd",
        "/gradio_api/file=../.env",
        f"/gradio_api/file={tmp_path}/.env",
        f"/gradio_api/file={tiny_run.parent}/notes.txt",
        f"/gradio_api/file={tiny_run}/model.safetensors",
        f"/gradio_api/file={uploads}/../../etc/passwd",
        f"/gradio_api/file={uploads}/%2e%2e/%2e%2e/etc/passwd",
        "/gradio_api/file=/proc/self/environ",
    ]
    for probe in probes:
        r = httpx.get(app.url + probe)
        assert r.status_code in (403, 404), (probe, r.status_code)
        assert secret not in r.text and "root:" not in r.text, probe


def test_an_upload_with_a_path_in_its_name_stays_in_its_temp_folder(app, tmp_path):
    uploads = Path(os.environ["GRADIO_TEMP_DIR"]).resolve()
    target = tmp_path / "escaped.csv"
    for name in (f"../../../../../..{target}", str(target), "..%2f..%2fescaped.csv"):
        r = httpx.post(
            app.url + "/gradio_api/upload", files={"files": (name, b"sentence,label\na,1\n")}
        )
        assert r.status_code == 200, r.text
        (saved,) = r.json()
        assert uploads in Path(saved).resolve().parents, saved
        assert not target.exists()
    big = b"x" * (app.config.max_upload_mb * 2**20 + 1)
    r = httpx.post(app.url + "/gradio_api/upload", files={"files": ("big.csv", big)})
    assert r.status_code == 413


def test_the_train_tab_reads_no_file_a_client_did_not_upload(app, tmp_path):
    """A hand-made request that names a file on the server is refused by Gradio itself."""
    outside = tmp_path / "private.csv"
    outside.write_text("sentence,label\n" + "secret,1\n" * 20)
    config = httpx.get(app.url + "/config").json()
    (fn,) = [i for i, d in enumerate(config["dependencies"])
             if any(t[1] == "upload" for t in d["targets"])]  # fmt: skip
    body = {
        "data": [{"path": str(outside), "meta": {"_type": "gradio.FileData"}}],
        "fn_index": fn,
        "session_hash": "probe123",
        "trigger_id": config["dependencies"][fn]["targets"][0][0],
    }
    assert httpx.post(app.url + "/gradio_api/queue/join", json=body).status_code == 200
    params = {"session_hash": "probe123"}
    with httpx.stream("GET", app.url + "/gradio_api/queue/data", params=params, timeout=20) as s:
        done = next(line for line in s.iter_lines() if "process_completed" in line)
    assert '"success":false' in done and "secret" not in done and "32 training" not in done


def test_a_burst_beyond_the_queue_is_answered_busy_at_once(tiny_run, tmp_path, monkeypatch):
    slow = Predictor.answer
    monkeypatch.setattr(Predictor, "answer", lambda self, t: time.sleep(0.5) or slow(self, t))
    served = start_app(tiny_run, tmp_path / "ws", queue_size=2, batch_size=1)
    results: list[tuple[int, str, float]] = []

    def ask(i: int) -> None:
        start = time.monotonic()
        r = httpx.post(served.url + "/gradio_api/call/predict",
                       json={"data": [f"film {i}", None]}, timeout=30)  # fmt: skip
        if r.status_code == 200:
            stream = httpx.get(f"{served.url}/gradio_api/call/predict/{r.json()['event_id']}",
                               timeout=30)  # fmt: skip
            outcome = "complete" if "event: complete" in stream.text else stream.text
        else:
            outcome = r.json().get("detail", r.text)
        results.append((r.status_code, outcome, time.monotonic() - start))

    try:
        at_once(ask, 12, timeout=60)
    finally:
        served.demo.close()
    busy = [r for r in results if r[0] == 503]
    answered = [r for r in results if r[0] == 200]
    assert len(results) == 12 and len(busy) + len(answered) == 12, results
    assert busy and answered, results
    assert all(r[1].startswith("Queue is full. Max size is 2") and r[2] < 5 for r in busy), busy
    assert all(r[1] == "complete" for r in answered), answered


def test_requests_that_arrive_together_share_one_forward_pass(tiny_run, tmp_path, monkeypatch):
    sizes: list[int] = []
    slow = Predictor.answer
    monkeypatch.setattr(
        Predictor,
        "answer",
        lambda self, t: sizes.append(len(t)) or time.sleep(0.3) or slow(self, t),
    )
    served = start_app(tiny_run, tmp_path / "ws", batch_size=8)
    answers: list[str] = []

    def ask(i: int) -> None:
        r = httpx.post(served.url + "/gradio_api/call/predict",
                       json={"data": [f"film number {i}", None]}, timeout=30)  # fmt: skip
        stream = httpx.get(f"{served.url}/gradio_api/call/predict/{r.json()['event_id']}",
                           timeout=30)  # fmt: skip
        answers.append(stream.text.split("event: complete\ndata: ", 1)[-1])

    try:
        at_once(ask, 6, timeout=30)
    finally:
        served.demo.close()
    assert sum(sizes) == 6 and max(sizes) > 1, sizes  # fewer passes than requests
    assert len(answers) == 6 and all('"negative"' in a or '"positive"' in a for a in answers)


def test_it_listens_on_this_machine_only_and_shares_nothing(app):
    assert app.url.startswith("http://127.0.0.1:")
    options = launch_options(app.config)
    assert (options["server_name"], options["share"], options["allowed_paths"]) == (
        "127.0.0.1", False, None,
    )  # fmt: skip
    assert options["max_file_size"] == app.config.max_upload_mb * 2**20
    assert options["run_history"] is False and options["mcp_server"] is False
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert app.demo.analytics_enabled is False
    assert app.demo._queue.max_size == app.config.queue_size
    (predict,) = [f for f in app.demo.fns.values() if f.api_name == "predict"]
    assert (predict.batch, predict.max_batch_size, predict.concurrency_limit) == (
        True, app.config.batch_size, app.config.concurrency,
    )  # fmt: skip


def test_a_port_in_use_is_a_one_line_error(app, tiny_run, tmp_path):
    port = int(app.url.rsplit(":", 1)[1])
    config = ServeConfig(tiny_run, port=port, workspace=tmp_path / "ws")
    demo = build_app(config)
    try:
        with pytest.raises(UserError) as e:
            launch(demo, config)
    finally:
        demo.close()
    assert str(e.value) == (
        f"cannot listen on 127.0.0.1:{port} (the port is in use, or the address is not this "
        "machine's); pass another --port or --host"
    )
