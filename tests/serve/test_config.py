"""ServeConfig: every bad value is refused in one line before anything loads, and a folder is
served only when the kit wrote it as a classifier run or a seq2seq model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from day3.core.errors import UserError
from day3.core.runs import MARKER
from day3.serve.config import ServeConfig, is_loopback, run_kind


def _kit_folder(path: Path, kind: str, state: str = "complete") -> Path:
    path.mkdir(parents=True)
    (path / MARKER).write_text(json.dumps({"kind": kind, "state": state}))
    return path


@pytest.mark.parametrize(
    "make, settings, message",
    [
        (lambda t: t / "nowhere", {}, r"run folder .*nowhere does not exist; pass a folder"),
        (lambda t: (t / "f.txt", (t / "f.txt").write_text("x"))[0], {}, r"is a file; pass a run"),
        (lambda t: (t / "plain").mkdir() or t / "plain", {}, r"plain is not a day3 run; pass"),
        (
            lambda t: _kit_folder(t / "report", "forgetting-report"),
            {},
            r"is a day3 'forgetting-report' output; pass a classifier run folder",
        ),
        (
            lambda t: _kit_folder(t / "half", "classifier-run", "partial"),
            {},
            r"half is an unfinished run",
        ),
        (None, {"port": 0}, r"^--port must be from 1 to 65535 \(got 0\)$"),
        (None, {"port": 65536}, r"^--port must be from 1 to 65535"),
        (None, {"port": True}, r"^--port must be a whole number"),
        (None, {"host": "local host"}, r"^--host 'local host' is not an address"),
        (None, {"host": "http://x"}, r"^--host 'http://x' is not an address"),
        (None, {"queue_size": 0}, r"^--queue-size must be at least 1"),
        (None, {"max_input_chars": -5}, r"^--max-input-chars must be at least 1"),
        (None, {"batch_size": 2.5}, r"^--batch-size must be a whole number"),
        (None, {"max_upload_mb": 0}, r"^--max-upload-mb must be at least 1"),
        (None, {"max_epochs": float("nan")}, r"^--max-epochs must be a finite number"),
        (None, {"train_samples": -1}, r"^--train-samples must be at least 0"),
        (None, {"concurrency": 5, "queue_size": 4}, r"--concurrency 5 exceeds --queue-size 4"),
    ],
)
def test_bad_settings_are_one_line_errors(tiny_run, tmp_path, make, settings, message):
    run = make(tmp_path) if make else tiny_run
    with pytest.raises(UserError) as e:
        ServeConfig(run, **settings)
    text = str(e.value)
    assert "\n" not in text
    assert re.search(message, text), text


def test_the_workspace_may_not_be_a_file_or_inside_a_run(tiny_run, tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(UserError, match=r"--workspace .*taken is a file"):
        ServeConfig(tiny_run, workspace=tmp_path / "taken")
    with pytest.raises(UserError, match=r"inside\) the day3 output .*tiny-run"):
        ServeConfig(tiny_run, workspace=tiny_run / "jobs")


def test_a_good_config_knows_its_run_and_whether_it_is_exposed(tiny_run, tmp_path):
    config = ServeConfig(tiny_run, workspace=tmp_path / "ws")
    assert (config.kind, config.host, config.port, config.exposed) == (
        "classifier", "127.0.0.1", 7860, False,
    )  # fmt: skip
    assert ServeConfig(tiny_run, host="0.0.0.0").exposed
    assert not ServeConfig(tiny_run, host="::1").exposed
    assert [is_loopback(h) for h in ("localhost", "127.0.0.2", "10.0.0.1")] == [True, True, False]


def test_a_t5_folder_is_a_seq2seq_run(tmp_path):
    from day3.models.tiny import build_tiny_model

    assert run_kind(build_tiny_model("t5", tmp_path / "t5")) == "seq2seq"


def test_day3_serve_on_a_missing_folder_or_a_non_run_says_one_line_and_exits_2(tmp_path, capsys):
    import importlib

    cli = importlib.import_module("day3.cli.main")  # the module (day3.cli.main is also a name)
    if not any(verb.name == "serve" for verb in cli.VERBS):
        pytest.skip("the serve verb is not registered in day3.cli.main yet")
    (tmp_path / "plain").mkdir()
    for folder, what in (("nowhere", "does not exist; pass a folder"), ("plain", "not a day3 run")):
        assert cli.main(["serve", str(tmp_path / folder)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and what in err, err
