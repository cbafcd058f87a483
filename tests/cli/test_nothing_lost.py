"""Nothing lost: every verb that writes refuses, before any work, to put its output where it
would replace something it did not create. One table, every writing verb, the same four places:
a folder with someone's file in it, a folder that holds day3 runs (even with --overwrite), a
folder inside a run, and the verb's own input. Each case must exit 2 with one `error:` line and
leave every file under the test folder byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from day3.cli.main import main
from day3.core.runs import MARKER
from tests.conftest import ROOT, write_jsonl

POS = ["a wonderful film", "i loved it", "brilliant fun", "superb acting", "a warm delight"]
NEG = ["a dull mess", "i hated it", "boring and long", "terrible acting", "a tedious slog"]
ROWS = [{"sentence": t, "label": y} for t, y in zip(POS + NEG, [1] * 5 + [0] * 5, strict=True)]
PAIRS = "sentence1\tsentence2\tscore\n" + "".join(
    f"{a}\t{b}\t{s}\n" for a, b, s in zip(POS, NEG, [0.5, 1.0, 2.0, 3.5, 4.0], strict=True)
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, tiny_bert) -> dict:
    root = tmp_path_factory.mktemp("nothing-lost-inputs")
    data = write_jsonl(root / "good.jsonl", ROWS * 2)
    (root / "pairs.tsv").write_text(PAIRS)
    run = root / "run"
    argv = ["finetune-classifier", "--model", tiny_bert, "--data", data, "--output", run]
    argv += ["--epochs", "1", "--batch-size", "8", "--label-names", "negative,positive"]
    assert main([str(a) for a in argv]) == 0
    return {"model": tiny_bert, "data": data, "pairs": root / "pairs.tsv", "run": run}


# verb -> argv without --output (the output is appended), and whether it takes --overwrite.
VERBS = {
    "finetune-classifier": (
        lambda i: ["finetune-classifier", "--model", i["model"], "--data", i["data"]],
        "--output",
    ),
    "forgetting-encoder": (
        lambda i: (
            ["forgetting", "encoder", "--model", i["model"], "--data", i["data"]]
            + ["--probe", i["pairs"], "--strategies", "frozen"]
        ),
        "--output",
    ),
    "compare-strategies": (
        lambda i: (
            ["compare-strategies", "--model", i["model"], "--data", i["data"]]
            + ["--probe", i["pairs"], "--strategies", "frozen"]
        ),
        "--output",
    ),
    "forgetting-seq2seq": (
        lambda i: ["forgetting", "seq2seq", "--model", "tiny-t5", "--steps", "1"],
        "--output",
    ),
    "throughput": (
        lambda i: ["throughput", i["run"], "--data", "embedded", "--repeats", "1"],
        "--output",
    ),
    "push-dry-run": (lambda i: ["push", i["run"], "--repo-id", "me/tiny"], "--dry-run"),
    "build-mini-flan": (lambda i: ["build-mini-flan"], "--output"),
    "summary": (lambda i: ["summary", i["run"].parent], "--output"),
    "check": (
        lambda i: ["check", ROOT / "4_WrapUpAndDemo/final_exercise.py", "--no-end-to-end"],
        "--output",
    ),
    "journey": (lambda i: ["journey", "--model", i["model"], "--data", i["data"]], "--output"),
    "bench-training": (
        lambda i: ["bench-training", "--model", i["model"], "--rows", "dynamic-padding"],
        "--output",
    ),
}
NO_OVERWRITE = {"build-mini-flan"}  # it has --force, which rebuilds only a build


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def fake_run(folder: Path) -> Path:
    """A folder the kit wrote: its marker, and a weight file someone would hate to lose."""
    folder.mkdir(parents=True)
    (folder / MARKER).write_text(json.dumps({"kind": "classifier-run", "state": "complete"}))
    (folder / "model.safetensors").write_bytes(b"weights of a week-long run")
    return folder


def place(case: str, tmp: Path, inputs: dict) -> tuple[Path, list[str], str]:
    """(output to pass, extra flags, pattern of the error) for one of the four places."""
    if case == "someones-folder":
        out = tmp / "mine"
        out.mkdir()
        (out / "thesis.txt").write_text("three years of work")
        return out, [], r"exists and is not (empty; choose another|a mini-FLAN build)|holds thesis"
    if case == "holds-runs-with-overwrite":
        fake_run(tmp / "runs" / "sentiment")
        return tmp / "runs", ["--overwrite"], r"holds other day3 outputs|not a mini-FLAN build"
    if case == "inside-a-run":
        return fake_run(tmp / "old-run") / "v2", [], r"inside the day3 output"
    if case == "the-input-run":
        return inputs["run"], ["--overwrite"], r"is the input .* or inside it|overlaps the run"
    raise ValueError(case)


CASES = ["someones-folder", "holds-runs-with-overwrite", "inside-a-run"]


def _run(capsys, argv) -> tuple[int, str]:
    capsys.readouterr()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("verb", VERBS)
def test_a_pre_existing_file_survives_every_verb(verb, case, tmp_path, inputs, capsys):
    import re

    make, flag = VERBS[verb]
    out, extra, pattern = place(case, tmp_path, inputs)
    if verb in NO_OVERWRITE:
        extra = [e for e in extra if e != "--overwrite"]
    before, run_before = snapshot(tmp_path), snapshot(inputs["run"])
    code, err = _run(capsys, [*make(inputs), flag, out, *extra])
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == 2 and len(lines) == 1, err
    assert re.search(pattern, lines[0]), lines[0]
    assert snapshot(tmp_path) == before  # nothing replaced, nothing added
    assert snapshot(inputs["run"]) == run_before


@pytest.mark.parametrize("verb", ["throughput", "push-dry-run"])
def test_a_verb_never_writes_over_its_own_input(verb, inputs, capsys):
    make, flag = VERBS[verb]
    before = snapshot(inputs["run"])
    for out in (inputs["run"], inputs["run"] / "report", inputs["run"].parent):
        code, err = _run(capsys, [*make(inputs), flag, out, "--overwrite"])
        assert code == 2 and "error:" in err, (out, err)
    assert snapshot(inputs["run"]) == before
