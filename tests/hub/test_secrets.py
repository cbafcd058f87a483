"""The Hugging Face token: read from the environment (or the stored login) when pushing, handed to
the Hub client as an argument, and never written or printed. The end-to-end test runs every verb
as a user would, in fresh processes with HF_TOKEN set to a unique sentinel, then greps every
byte they left behind."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

import day3.hub.push as hub
from day3.classifier.strategies import StrategyConfig
from day3.classifier.train import ClassifierJob
from day3.classifier.train import training_arguments as classifier_arguments
from day3.core.device import pick_device
from day3.seq2seq.train import Seq2SeqBudget
from day3.seq2seq.train import training_arguments as seq2seq_arguments

SEPARATOR = "\n=== day3 "
# argv lists in, each command's stdout behind a separator out; stops at the first failure.
SESSION = f"""
import json, sys
from day3.cli.main import main
for argv in json.loads(sys.argv[1]):
    print({SEPARATOR!r} + argv[0], flush=True)
    code = main(argv)
    sys.stdout.flush()
    if code:
        sys.exit(code)
"""


def sentinels() -> dict[str, str]:
    """A different never-seen value per variable, so a hit says which one leaked."""
    tail = secrets.token_hex(16)
    return {
        "HF_TOKEN": f"hf_SENTINEL{tail}",
        "HUGGING_FACE_HUB_TOKEN": f"hf_SENTINELlegacy{secrets.token_hex(16)}",
    }


def needles(tokens: dict[str, str]) -> list[bytes]:
    """The whole tokens, and their random parts alone (a masked 'hf_***<hex>' still leaks)."""
    out = []
    for value in tokens.values():
        out += [value.encode(), value.removeprefix("hf_SENTINEL").removeprefix("legacy").encode()]
    return out


def files_containing(found_in: list[Path], tokens: dict[str, str]) -> list[Path]:
    """Every file under the given folders whose bytes hold any needle."""
    hits = []
    for root in found_in:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(n in data for n in needles(tokens)):
                    hits.append(path)
    return hits


def test_the_grep_finds_a_planted_token(tmp_path):
    """The scan below is only worth something if it would see a leak: plant one, deep and in
    the middle of binary bytes, and in a masked form."""
    tokens = sentinels()
    deep = tmp_path / "a" / "b" / "weights.safetensors"
    deep.parent.mkdir(parents=True)
    deep.write_bytes(os.urandom(4096) + tokens["HF_TOKEN"].encode() + os.urandom(4096))
    masked = tmp_path / "log.txt"
    masked.write_text("token: hf_***" + tokens["HUGGING_FACE_HUB_TOKEN"][-32:])
    (tmp_path / "clean.json").write_text(json.dumps({"hub_token": "<HUB_TOKEN>"}))
    assert files_containing([tmp_path], tokens) == [deep, masked]
    assert files_containing([tmp_path], sentinels()) == []


# --- TrainingArguments never hold the token ---------------------------------------------------


@pytest.fixture
def token_env(monkeypatch) -> dict[str, str]:
    tokens = sentinels()
    for name, value in tokens.items():
        monkeypatch.setenv(name, value)
    return tokens


def assert_no_token(args, tokens: dict[str, str]) -> None:
    assert args.hub_token is None and args.push_to_hub is False
    assert args.to_dict()["hub_token"] == "<HUB_TOKEN>"  # redacted even if one were set
    text = json.dumps(args.to_dict(), default=str) + str(args) + repr(args)
    assert not any(t in text for t in tokens.values())


def test_classifier_training_arguments_hold_no_token(tmp_path, token_env):
    cpu = pick_device("cpu", False)
    assert_no_token(classifier_arguments(tmp_path, StrategyConfig(), cpu), token_env)


def test_seq2seq_training_arguments_hold_no_token(tmp_path, token_env):
    cpu = pick_device("cpu", False)
    assert_no_token(seq2seq_arguments(str(tmp_path), Seq2SeqBudget(max_steps=2), cpu), token_env)


def test_job_settings_hold_no_token(tmp_path, token_env):
    job = ClassifierJob(model="tiny-bert", output=tmp_path / "run", device="cpu")
    assert_no_token(job.training, token_env)
    text = json.dumps(job.settings(), default=str)
    assert "<HUB_TOKEN>" in text and not any(t in text for t in token_env.values())


def test_a_token_set_by_hand_is_redacted_in_settings(tmp_path, token_env):
    """Even a lesson that sets hub_token itself gets a placeholder in settings.json."""
    cpu = pick_device("cpu", False)
    args = classifier_arguments(tmp_path, StrategyConfig(), cpu, hub_token=token_env["HF_TOKEN"])
    job = ClassifierJob(model="tiny-bert", output=tmp_path / "run", device="cpu", training=args)
    assert token_env["HF_TOKEN"] not in json.dumps(job.settings(), default=str)


# --- the online push hands the token to the client, nowhere else ------------------------------


class ReadingApi:
    """A fake HfApi that reads every byte of the upload (test_hub's FakeApi records names)."""

    def __init__(self) -> None:
        self.tokens: list[str | None] = []
        self.payload = b""

    def create_repo(self, repo_id, **kwargs):
        self.tokens.append(kwargs.get("token"))
        return f"https://huggingface.co/{repo_id}"

    def upload_folder(self, **kwargs):
        self.tokens.append(kwargs.get("token"))
        folder = Path(kwargs["folder_path"])
        self.payload = b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())
        rest = {k: v for k, v in kwargs.items() if k != "token"}
        self.other_args = json.dumps(rest, default=str)


def test_push_passes_the_token_as_an_argument_only(
    tmp_path, monkeypatch, capsys, token_env, tiny_bert, sentiment_jsonl
):
    train, val = sentiment_jsonl
    run_dir = tmp_path / "run"
    from day3.cli.main import main

    code = main(
        [
            *("finetune-classifier", "--model", str(tiny_bert), "--data", str(train)),
            *("--validation-file", str(val), "--output", str(run_dir), "--epochs", "1"),
        ]
    )
    assert code == 0
    monkeypatch.setattr(hub, "is_offline", lambda: False)
    api = ReadingApi()
    files = hub.push(run_dir, "user/name", api=api)
    assert api.tokens == [token_env["HF_TOKEN"]] * 2
    assert len(api.payload) > 10_000 and "README.md" in {str(f) for f in files}
    assert not any(n in api.payload or n.decode() in api.other_args for n in needles(token_env))
    out, err = capsys.readouterr()
    assert not any(t in out + err for t in token_env.values())
    assert files_containing([tmp_path], token_env) == []


# --- end to end: every verb, fresh processes, every byte checked -----------------------------


@pytest.mark.slow
def test_no_verb_writes_or_prints_the_token(tmp_path, tiny_bert, sentiment_jsonl):
    tokens = sentinels()
    train, val = sentiment_jsonl
    work = tmp_path / "work"  # everything the processes may write lives under here
    env = {
        **os.environ,
        **tokens,
        "DAY3_OFFLINE": "1",
        "DAY3_CACHE": str(work / "day3-cache"),
        "HF_HOME": str(work / "hf-home"),
        "MPLCONFIGDIR": str(work / "mpl"),
        "TMPDIR": str(work / "tmp"),
    }
    for d in ("day3-cache", "hf-home", "mpl", "tmp"):
        (work / d).mkdir(parents=True)
    captured: list[bytes] = []

    def session(*commands: tuple) -> list[str]:
        """One fresh interpreter runs each `day3 ...` command line through the CLI's main
        (the torch import is paid once per session); returns each command's stdout."""
        argvs = json.dumps([[str(a) for a in c] for c in commands])
        proc = subprocess.run(
            [sys.executable, "-c", SESSION, argvs],
            env=env,
            cwd=work,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        captured.extend([proc.stdout, proc.stderr])
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
        parts = proc.stdout.decode().split(SEPARATOR)[1:]
        assert [p.split("\n", 1)[0] for p in parts] == [c[0] for c in commands]
        return [p.split("\n", 1)[1] for p in parts]

    data = ("--data", train, "--validation-file", val, "--epochs", "1", "--batch-size", "8")
    runs = {s: work / "runs" / s for s in ("full", "lora")}
    uploads = {s: work / "uploads" / s for s in runs}
    trained = session(
        *[
            ("finetune-classifier", "--model", tiny_bert, *data, "--strategy", s, "--output", out)
            for s, out in runs.items()
        ]
    )
    assert all(json.loads(out)["n"] == 12 for out in trained)
    scored, predicted, *_ = session(
        ("eval-classifier", runs["full"], val),
        ("predict", runs["lora"], "a wonderful film", "a dull mess"),
        *[("push", runs[s], "--repo-id", "user/name", "--dry-run", d) for s, d in uploads.items()],
    )
    assert json.loads(scored)["n"] == 12
    assert len(predicted.strip().splitlines()) == 2
    assert all((d / "README.md").is_file() for d in uploads.values())

    # What was produced is what we think: the scan below covers real artefacts.
    assert (runs["full"] / "model.safetensors").is_file()
    assert (runs["lora"] / "adapter" / "adapter_model.safetensors").is_file()
    assert not list(work.rglob("training_args.bin")) and not list(work.rglob("*.bin"))
    for run in runs.values():
        settings = json.loads((run / "settings.json").read_text())
        assert settings["training_args"]["hub_token"] in (None, "<HUB_TOKEN>")
        assert settings["training_args"]["push_to_hub"] is False

    leaked = files_containing([work, tiny_bert, train.parent], tokens)
    assert leaked == []
    assert not any(n in blob for blob in captured for n in needles(tokens))

    # And the same scan does see a leak in this very tree.
    planted = uploads["lora"] / "adapter" / "adapter_model.safetensors"
    planted.write_bytes(planted.read_bytes() + tokens["HF_TOKEN"].encode())
    assert files_containing([work], tokens) == [planted]
