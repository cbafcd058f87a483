"""Bad input, everywhere: every verb that reads user data, models or numbers, fed the mistakes
users make. Each case must end in exit code 2, exactly one error line that names the problem and
(in the case's pattern) the fix, no traceback, nothing on stdout and nothing written next to the
inputs (no --output, no `<output>.partial`, no --dry-run folder). README.md "Bad input" lists
the same classes.

The error line is `error: …` (our UserError). For values argparse itself cannot parse (a word
where a number goes, a missing required flag) it is argparse's `day3 VERB: error: …` after a
usage line: also exit 2, also one line naming the flag. Every range check (0, negative) is ours.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch

from day3.cli.main import main
from day3.data.files import MAX_LINE_BYTES
from tests.conftest import write_jsonl

ERROR_LINE = re.compile(r"^(day3 [\w -]+: )?error: ")
POS = ["a wonderful film", "i loved it", "brilliant fun", "superb acting", "a warm delight"]
NEG = ["a dull mess", "i hated it", "boring and long", "terrible acting", "a tedious slog"]
PAIRS = "sentence1\tsentence2\tscore\n" + "".join(
    f"{a}\t{b}\t{s}\n" for a, b, s in zip(POS, NEG, [0.5, 1.0, 2.0, 3.5], strict=False)
)


def rows(labels: list, column: str = "sentence") -> list[dict]:
    return [{column: (POS + NEG)[i % 10], "label": y} for i, y in enumerate(labels)]


GOOD = [1, 0] * 6  # 12 rows: enough to hold out a stratified validation set


def _pickle_copy(src: Path, dest: Path) -> Path:
    """A copy of a model folder whose weights are pickle only (pytorch_model.bin)."""
    from safetensors.torch import load_file

    shutil.copytree(src, dest)
    for weights in dest.rglob("*.safetensors"):
        torch.save(load_file(weights), weights.with_name("pytorch_model.bin"))
        weights.unlink()
    return dest


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny_bert) -> Path:
    """One trained run for every eval / predict / push case (seconds on a 2-layer model)."""
    root = tmp_path_factory.mktemp("bad-input-run")
    train = write_jsonl(root / "train.jsonl", rows(GOOD * 2))
    val = write_jsonl(root / "val.jsonl", rows(GOOD))
    argv = ["finetune-classifier", "--model", tiny_bert, "--data", train]
    argv += ["--validation-file", val, "--output", root / "run", "--epochs", "1"]
    argv += ["--batch-size", "8", "--label-names", "negative,positive"]
    assert main([str(a) for a in argv]) == 0
    return root / "run"


@pytest.fixture(scope="module")
def pickle_bert(tmp_path_factory, tiny_bert) -> Path:
    return _pickle_copy(tiny_bert, tmp_path_factory.mktemp("pickle") / "bert")


@pytest.fixture(scope="module")
def pickle_run(tmp_path_factory, tiny_run) -> Path:
    return _pickle_copy(tiny_run, tmp_path_factory.mktemp("pickle") / "run")


@dataclass
class Ctx:
    """What a case's argv is built from; files are written into `tmp`, the checked folder."""

    tmp: Path
    request: pytest.FixtureRequest

    used: set[str] = field(default_factory=set)

    def fixture(self, name: str) -> Path:
        self.used.add(name)
        return self.request.getfixturevalue(name)

    @property
    def out(self) -> Path:
        return self.tmp / "out"

    def jsonl(self, data: list[dict], name: str = "d.jsonl") -> Path:
        return write_jsonl(self.tmp / name, data)

    def text(self, content: str, name: str) -> Path:
        (self.tmp / name).write_text(content, encoding="utf-8")
        return self.tmp / name

    def raw(self, content: bytes, name: str) -> Path:
        (self.tmp / name).write_bytes(content)
        return self.tmp / name

    def folder(self, name: str, files: dict[str, str]) -> Path:
        (self.tmp / name).mkdir()
        for rel, content in files.items():
            (self.tmp / name / rel).write_text(content)
        return self.tmp / name

    def ft(self, *extra) -> list:
        good = self.jsonl(rows(GOOD), "good.jsonl")
        model = self.fixture("tiny_bert")
        return [
            "finetune-classifier",
            "--model",
            model,
            "--data",
            good,
            "--output",
            self.out,
            *extra,
        ]

    def ev(self, file: Path, *extra) -> list:
        return ["eval-classifier", self.fixture("tiny_run"), file, *extra]

    def fe(self, *extra) -> list:
        probe = self.text(PAIRS, "pairs.tsv")
        return [
            "forgetting",
            "encoder",
            "--probe",
            probe,
            "--strategies",
            "frozen",
            *self._enc(extra),
        ]

    def cs(self, *extra) -> list:
        return ["compare-strategies", "--strategies", "frozen"] + self._enc(extra)

    def _enc(self, extra) -> list:
        good = self.jsonl(rows(GOOD), "good.jsonl")
        return ["--model", self.fixture("tiny_bert"), "--data", good, "--output", self.out, *extra]

    def fs(self, *extra) -> list:
        # tiny-t5, not the default mini-flan: a check that came too late costs seconds, not the
        # minutes of building the stand-in.
        return ["forgetting", "seq2seq", "--model", "tiny-t5", "--output", self.out, *extra]

    def tp(self, *extra) -> list:
        return ["throughput", self.fixture("tiny_run"), "--data", "embedded", "--repeats", "1",
                "--output", self.out, *extra]  # fmt: skip

    def env(self, name: str, value: str) -> None:
        self.request.getfixturevalue("monkeypatch").setenv(name, value)

    def push(self, *extra) -> list:
        return ["push", self.fixture("tiny_run"), "--repo-id", "me/tiny", *extra]


# One case per entry: id (verb-problem), argv built from a Ctx, the error line's pattern.
# fmt: off
HUGE = b"sentence\tlabel\n" + b"x" * (MAX_LINE_BYTES + 1) + b"\t1\n"
Argv = Callable[[Ctx], list]
C: list[tuple[str, Argv, str]] = [
    # ---- finetune-classifier: the data file
    ("ft-no-text-column", lambda c: c.ft("--data", c.jsonl(rows(GOOD, "text"))),
     r"no column 'sentence' \(columns: text, label\); pass --text-column"),
    ("ft-no-label-column", lambda c: c.ft("--data", c.text("sentence,stars\na,1\n", "d.csv")),
     r"no column 'label' \(columns: sentence, stars\); pass --label-column"),
    ("ft-string-labels", lambda c: c.ft("--data", c.jsonl(rows(["pos", "neg"] * 6))),
     r"label 'pos' in line 1 .*--label-map neg=0,pos=1"),
    ("ft-float-labels", lambda c: c.ft("--data", c.jsonl(rows([0.5, 1.0] * 6))),
     r"label '0.5' in line 1 .*not an integer class id"),
    ("ft-negative-label", lambda c: c.ft("--data", c.jsonl(rows([*GOOD, -1]))),
     r"label -1 in line 13: labels must be 0..K-1 .*--label-names"),
    ("ft-label-out-of-range", lambda c: c.ft("--data", c.jsonl(rows([*GOOD, 2])),
                                             "--label-names", "neg,pos"),
     r"label 2 in line 13 is outside 0..1 \(2 classes: neg, pos\); .*--label-names"),
    ("ft-class-absent", lambda c: c.ft("--data", c.jsonl(rows([0, 2] * 6))),
     r"label 2 in line 2: .*every class present \(found 0, 2\).*--label-names"),
    ("ft-one-class", lambda c: c.ft("--data", c.jsonl(rows([0] * 12))),
     r"every class present \(found 0\).*--label-names"),
    ("ft-label-not-in-map", lambda c: c.ft("--data", c.jsonl(rows(["pos", "meh"] * 6)),
                                           "--label-map", "neg=0,pos=1"),
     r"label 'meh' in line 2 is not in --label-map \(keys: neg, pos\); add it"),
    ("ft-null-label", lambda c: c.ft("--data", c.jsonl(rows([*GOOD, None]))),
     r"label empty in line 13 .*--label-map"),
    ("ft-empty-text", lambda c: c.ft("--data", c.jsonl([*rows(GOOD), {"sentence": " "}])),
     r"line 13 has an empty text in column 'sentence'; fill or remove"),
    ("ft-empty-file", lambda c: c.ft("--data", c.raw(b"", "d.csv")),
     r"d.csv is empty; it needs a header row"),
    ("ft-whitespace-file", lambda c: c.ft("--data", c.text(" \n\n", "d.jsonl")),
     r"d.jsonl has no content; it needs at least one data row"),
    ("ft-header-only-csv", lambda c: c.ft("--data", c.text("sentence,label\n", "d.csv")),
     r"d.csv has a header but no data rows; add rows"),
    ("ft-header-only-tsv", lambda c: c.ft("--data", c.text("sentence\tlabel\n\n", "d.tsv")),
     r"d.tsv has a header but no data rows; add rows"),
    ("ft-jsonl-empty-objects", lambda c: c.ft("--data", c.text("{}\n{}\n", "d.jsonl")),
     r"d.jsonl has no data rows; add rows"),
    ("ft-non-utf8", lambda c: c.ft("--data", c.raw(b"sentence,label\na,1\ncaf\xe9,0\n", "d.csv")),
     r"line 3 is not valid UTF-8 \(byte 0xe9\); re-save the file as UTF-8"),
    ("ft-huge-line", lambda c: c.ft("--data", c.raw(HUGE, "d.tsv")),
     r"d.tsv: line 2 is [\d,]+ bytes long, over the [\d,]+-byte limit per line; .*one row per"),
    ("ft-malformed-jsonl", lambda c: c.ft("--data", c.text('{"sentence": "a", "label": 1}\n'
                                                           '{"sentence": "b"\n', "d.jsonl")),
     r"line 2 is not valid JSON \(.*\); fix or remove that line"),
    ("ft-jsonl-not-object", lambda c: c.ft("--data", c.text('{"sentence": "a", "label": 1}\n[1]\n',
                                                            "d.jsonl")),
     r"line 2 is not a JSON object; each line must be"),
    ("ft-unknown-extension", lambda c: c.ft("--data", c.text("a,1\n", "d.txt")),
     r"unsupported file type '.txt'; use one of .tsv, .csv, .jsonl, .parquet"),
    ("ft-corrupt-parquet", lambda c: c.ft("--data", c.raw(b"not parquet", "d.parquet")),
     r"d.parquet is not a readable parquet file .*; re-export it"),
    ("ft-missing-data-file", lambda c: c.ft("--data", c.tmp / "missing.csv"),
     r"data file .*missing.csv does not exist; check the path"),
    ("ft-unknown-data-name", lambda c: c.ft("--data", "sst"),
     r"'sst' is neither a file nor a known data set; use sst2, imdb, embedded, auto or the path"),
    ("ft-data-is-folder", lambda c: c.ft("--data", c.folder("dir.csv", {})),
     r"dir.csv is a folder; pass a csv, tsv, jsonl or parquet file"),
    ("ft-known-set-offline", lambda c: c.ft("--data", "sst2"),
     r"'sst2' \(train\) has no local copy .*DAY3_DATA_DIR.*--data embedded"),
    ("ft-too-few-rows", lambda c: c.ft("--data", c.jsonl(rows([0, 1, 0, 1]))),
     r"only 4 rows: too few to hold out a validation set; pass --validation-file"),
    ("ft-bad-validation-file", lambda c: c.ft("--validation-file", c.jsonl(rows(["x"]), "v.jsonl")),
     r"v.jsonl: label 'x' in line 1 .*--label-map"),
    ("ft-missing-validation-file", lambda c: c.ft("--validation-file", c.tmp / "v.tsv"),
     r"v.tsv does not exist; check the path"),
    # ---- finetune-classifier: the model
    ("ft-model-missing-folder", lambda c: c.ft("--model", c.tmp / "nope"),
     r"model folder .*nope does not exist; check the path, or use --model minilm"),
    ("ft-model-not-a-model", lambda c: c.ft("--model", c.folder("m", {"notes.txt": "x"})),
     r"m is not a model folder \(no config.json .*\); point --model at a folder"),
    ("ft-model-no-weights", lambda c: c.ft("--model", c.folder("m", {"config.json": "{}"})),
     r"m has no weights \(\*.safetensors\); save the model with save_pretrained"),
    ("ft-model-pickle-only", lambda c: c.ft("--model", c.fixture("pickle_bert")),
     r"has only pickle weights \(\*.bin\), .*pass --allow-pickle if you trust"),
    ("ft-model-unknown-offline", lambda c: c.ft("--model", "no-org/no-model"),
     r"'no-org/no-model' is not available offline .*; use --model minilm \(the embedded encoder.*or a local folder; .*hf download no-org/no-model"),
    ("ft-model-hub-alias-offline", lambda c: c.ft("--model", "distilbert"),
     r"'distilbert' is not available offline .*--model minilm"),
    ("ft-model-empty", lambda c: c.ft("--model", ""), r"--model is empty; try --model minilm"),
    # ---- finetune-classifier: numbers and other flags
    ("ft-epochs-negative", lambda c: c.ft("--epochs", "-1"), r"--epochs must be positive \(got -1"),
    ("ft-epochs-zero", lambda c: c.ft("--epochs", "0"), r"--epochs must be positive \(got 0"),
    ("ft-epochs-not-a-number", lambda c: c.ft("--epochs", "three"),
     r"^error: argument --epochs: invalid float value: 'three'; see `day3 finetune-classifier --help`"),
    ("ft-batch-size-zero", lambda c: c.ft("--batch-size", "0"),
     r"--batch-size must be at least 1 \(got 0\)"),
    ("ft-lr-zero", lambda c: c.ft("--lr", "0"), r"--lr must be positive \(got 0"),
    ("ft-lr-negative", lambda c: c.ft("--lr", "-1"), r"--lr must be positive \(got -1"),
    ("ft-lora-r-zero", lambda c: c.ft("--strategy", "lora", "--lora-r", "0"),
     r"--lora-r must be at least 1 \(got 0\)"),
    ("ft-strategy-lora-0", lambda c: c.ft("--strategy", "lora:0"), r"LoRA rank must be a positive integer, e.g. lora:16"),
    ("ft-strategy-lora-word", lambda c: c.ft("--strategy", "lora:big"),
     r"bad strategy 'lora:big': the LoRA rank must be a positive integer, e.g. lora:16"),
    ("ft-strategy-unknown", lambda c: c.ft("--strategy", "adapterz"),
     r"unknown strategy 'adapterz'; choose one of full, lora, dora, ia3, prompt-tuning, frozen"),
    ("ft-max-length-zero", lambda c: c.ft("--max-length", "0"),
     r"--max-length must be at least 8 tokens \(got 0\)"),
    ("ft-max-train-samples-zero", lambda c: c.ft("--max-train-samples", "0"),
     r"--max-train-samples must be at least 1 \(got 0\)"),
    ("ft-max-train-samples-negative", lambda c: c.ft("--max-train-samples", "-5"),
     r"--max-train-samples must be at least 1 \(got -5\)"),
    ("ft-max-eval-samples-zero", lambda c: c.ft("--max-eval-samples", "0"),
     r"--max-eval-samples must be at least 1 \(got 0\)"),
    ("ft-label-map-syntax", lambda c: c.ft("--label-map", "neg:0,pos:1"),
     r"bad --label-map 'neg:0,pos:1'; write it as neg=0,pos=1"),
    ("ft-label-map-ids", lambda c: c.ft("--label-map", "neg=1,pos=2"),
     r"--label-map ids must be 0..K-1 \(got \[1, 2\]\); number the classes from 0"),
    ("ft-label-names-one", lambda c: c.ft("--label-names", "positive"),
     r"--label-names needs at least two classes, e.g. negative,positive"),
    ("ft-output-is-file", lambda c: c.ft("--output", c.text("x", "out.txt")),
     r"output .*out.txt exists and is a file; choose another --output"),
    ("ft-output-not-empty", lambda c: c.ft("--output", c.folder("prev", {"keep.txt": "x"})),
     r"output folder .*prev exists and is not empty; choose another --output or pass --overwrite"),
    ("ft-output-git-checkout",
     lambda c: c.ft("--output", c.folder("repo", {".git": "gitdir: x"}), "--overwrite"),
     r"--output .*repo is .* a git checkout; .*name a new folder, e.g. runs/my-run"),
    ("ft-output-cwd-parent", lambda c: c.ft("--output", "..", "--overwrite"),
     r"--output .* is the current folder, one above it, .*name a new folder"),
    ("ft-no-output", lambda c: [a for a in c.ft() if a not in ("--output", c.out)],
     r"^error: the following arguments are required: --output; see `day3 finetune-classifier --help`"),
    # ---- eval-classifier
    ("ev-no-text-column", lambda c: c.ev(c.jsonl(rows(GOOD, "review"))),
     r"no column 'sentence' \(columns: review, label\); pass --text-column"),
    ("ev-no-label-column", lambda c: c.ev(c.text("sentence\tstars\na\t1\n", "d.tsv")),
     r"no column 'label' \(columns: sentence, stars\); pass --label-column"),
    ("ev-label-not-in-run", lambda c: c.ev(c.text("sentence\tlabel\ngood\t7\n", "d.tsv")),
     r"label 7 in row 1 \(line 2\) is outside 0..1 \(2 classes: negative, positive\); "
     r"the run was trained on these classes: fix the row or map labels onto them with --label-map"),
    ("ev-string-labels", lambda c: c.ev(c.jsonl(rows(["positive", "negative"]))),
     r"label 'positive' in line 1 .*--label-map"),
    ("ev-label-map-syntax", lambda c: c.ev(c.jsonl(rows(GOOD)), "--label-map", "pos"),
     r"bad --label-map 'pos'; write it as neg=0,pos=1"),
    ("ev-empty-file", lambda c: c.ev(c.raw(b"", "d.tsv")), r"d.tsv is empty"),
    ("ev-header-only", lambda c: c.ev(c.text("sentence\tlabel\n", "d.tsv")),
     r"has a header but no data rows"),
    ("ev-non-utf8", lambda c: c.ev(c.raw(b"sentence\tlabel\n\xff\xfe\t1\n", "d.tsv")),
     r"line 2 is not valid UTF-8 \(byte 0xff\)"),
    ("ev-huge-line", lambda c: c.ev(c.raw(HUGE, "d.tsv")), r"line 2 is [\d,]+ bytes long"),
    ("ev-malformed-jsonl", lambda c: c.ev(c.text('{"sentence": "a", "label": 1}\n{oops}\n',
                                                 "d.jsonl")),
     r"line 2 is not valid JSON"),
    ("ev-jsonl-not-object", lambda c: c.ev(c.text('"just a string"\n', "d.jsonl")),
     r"line 1 is not a JSON object"),
    ("ev-unknown-extension", lambda c: c.ev(c.text("a\t1\n", "d.xlsx")),
     r"unsupported file type '.xlsx'"),
    ("ev-missing-file", lambda c: c.ev(c.tmp / "nope.tsv"), r"nope.tsv does not exist"),
    ("ev-missing-run", lambda c: ["eval-classifier", c.tmp / "norun", c.jsonl(rows(GOOD))],
     r"run folder .*norun does not exist; pass a folder written by `day3 finetune-classifier`"),
    ("ev-run-not-a-model", lambda c: ["eval-classifier", c.folder("r", {"a": ""}),
                                      c.jsonl(rows(GOOD))],
     r"r is not a model folder"),
    ("ev-pickle-run", lambda c: ["eval-classifier", c.fixture("pickle_run"), c.jsonl(rows(GOOD))],
     r"only pickle weights .*--allow-pickle"),
    # ---- predict
    ("pr-empty-text", lambda c: ["predict", c.fixture("tiny_run"), ""],
     r"no text to classify; pass one or more quoted sentences"),
    ("pr-blank-texts", lambda c: ["predict", c.fixture("tiny_run"), "  ", "\t"],
     r"no text to classify"),
    ("pr-no-text", lambda c: ["predict", c.fixture("tiny_run")],
     r"no text to classify; pass one or more quoted sentences or --file"),
    ("pr-batch-size-zero", lambda c: ["predict", c.fixture("tiny_run"), "hi", "--batch-size", "0"],
     r"--batch-size must be at least 1 \(got 0\)"),
    ("pr-missing-file", lambda c: ["predict", c.fixture("tiny_run"), "--file", c.tmp / "t.txt"],
     r"t.txt does not exist; check the path"),
    ("pr-file-non-utf8", lambda c: ["predict", c.fixture("tiny_run"), "--file",
                                    c.raw(b"fine\nbad \xe9\n", "t.txt")],
     r"t.txt: line 2 is not valid UTF-8 \(byte 0xe9\); re-save the file as UTF-8"),
    ("pr-file-no-column", lambda c: ["predict", c.fixture("tiny_run"), "--file",
                                     c.jsonl(rows(GOOD, "review"))],
     r"has no column 'sentence' .*; pass --text-column"),
    ("pr-file-huge-line", lambda c: ["predict", c.fixture("tiny_run"), "--file",
                                     c.raw(HUGE, "t.txt")],
     r"t.txt: line 2 is [\d,]+ bytes long"),
    ("pr-missing-run", lambda c: ["predict", c.tmp / "norun", "hi"], r"norun does not exist"),
    ("pr-run-not-a-model", lambda c: ["predict", c.folder("r", {"a": ""}), "hi"],
     r"r is not a model folder"),
    ("pr-pickle-run", lambda c: ["predict", c.fixture("pickle_run"), "hi"],
     r"only pickle weights .*--allow-pickle"),
    # ---- build-mini-flan: refused before minutes of building
    ("bmf-output-is-file", lambda c: ["build-mini-flan", "--output", c.text("x", "f.txt")],
     r"--output .*f.txt exists and is not a mini-FLAN build; choose another folder"),
    ("bmf-output-not-a-build", lambda c: ["build-mini-flan", "--output",
                                          c.folder("mine", {"keep.txt": "x"})],
     r"--output .*mine exists and is not a mini-FLAN build; choose another folder"),
    # ---- forgetting encoder
    ("fe-epochs-zero", lambda c: c.fe("--epochs", "0"), r"--epochs must be positive"),
    ("fe-batch-size-zero", lambda c: c.fe("--batch-size", "0"), r"--batch-size must be at least"),
    ("fe-max-length-zero", lambda c: c.fe("--max-length", "0"), r"--max-length must be at least"),
    ("fe-max-train-samples-zero", lambda c: c.fe("--max-train-samples", "0"),
     r"--max-train-samples must be at least 1"),
    ("fe-max-probe-pairs-one", lambda c: c.fe("--max-probe-pairs", "1"),
     r"--max-probe-pairs must be at least 2 \(got 1\)"),
    ("fe-strategy-lora-0", lambda c: c.fe("--strategies", "full,lora:0"),
     r"LoRA rank must be a positive integer"),
    ("fe-strategy-unknown", lambda c: c.fe("--strategies", "full,adapterz"),
     r"unknown strategy 'adapterz'; choose one of"),
    ("fe-strategy-twice", lambda c: c.fe("--strategies", "full,full"),
     r"lists a strategy twice .*; give each once"),
    ("fe-strategies-empty", lambda c: c.fe("--strategies", ","),
     r"--strategies is empty; try --strategies"),
    ("fe-probe-missing", lambda c: c.fe("--probe", c.tmp / "nope.tsv"), r"nope.tsv does not exist"),
    ("fe-probe-no-column", lambda c: c.fe("--probe", c.text("sentence1\tscore\na\t1\n", "p.tsv")),
     r"no column 'sentence2' .*similarity data needs sentence1, sentence2, score"),
    ("fe-probe-bad-score", lambda c: c.fe("--probe", c.text(PAIRS + "a\tb\t7\n", "p.tsv")),
     r"score '7' in row 5 \(line 6\) is not a number from 0 to 5; fix or remove"),
    ("fe-probe-stsb-offline", lambda c: c.fe("--probe", "stsb"), r"'stsb' .*DAY3_DATA_DIR"),
    ("fe-bad-data", lambda c: c.fe("--data", c.jsonl(rows(["pos"] * 12))),
     r"label 'pos' in line 1 .*--label-map"),
    ("fe-model-missing", lambda c: c.fe("--model", c.tmp / "nope"), r"nope does not exist"),
    ("fe-output-is-file", lambda c: c.fe("--output", c.text("x", "o.txt")),
     r"exists and is a file; choose another --output"),
    # ---- compare-strategies
    ("cs-epochs-negative", lambda c: c.cs("--epochs", "-1"), r"--epochs must be positive"),
    ("cs-batch-size-zero", lambda c: c.cs("--batch-size", "0"), r"--batch-size must be at least"),
    ("cs-max-length-zero", lambda c: c.cs("--max-length", "0"), r"--max-length must be at least"),
    ("cs-max-train-samples-neg", lambda c: c.cs("--max-train-samples", "-5"),
     r"--max-train-samples must be at least 1 \(got -5\)"),
    ("cs-strategy-lora-0", lambda c: c.cs("--strategies", "lora:0"), r"LoRA rank must be a positive integer"),
    ("cs-strategy-unknown", lambda c: c.cs("--strategies", "adapterz"),
     r"unknown strategy 'adapterz' in --strategies; choose from"),
    ("cs-similarity-weight", lambda c: c.cs("--similarity-weight", "-1"),
     r"--similarity-weight must be at least 0 \(got -1"),
    ("cs-max-probe-pairs-one", lambda c: c.cs("--max-probe-pairs", "1"),
     r"--max-probe-pairs must be at least 2"),
    ("cs-only-multitask-offline", lambda c: c.cs("--strategies", "multitask", "--probe", "stsb"),
     r"only multitask was asked for and it needs STS-B pairs; set DAY3_DATA_DIR"),
    ("cs-bad-data", lambda c: c.cs("--data", c.jsonl(rows([0.5] * 12))),
     r"label '0.5' in line 1 .*not an integer class id"),
    ("cs-output-is-file", lambda c: c.cs("--output", c.text("x", "o.txt")),
     r"exists and is a file"),
    # ---- forgetting seq2seq: refused before any model is built or loaded
    ("fs-strategy-lora-0", lambda c: c.fs("--strategies", "full,lora:0"),
     r"bad seq2seq strategy 'lora:0'; use full, lora, lora:R"),
    ("fs-strategy-replay", lambda c: c.fs("--strategies", "replay:1.5"),
     r"bad seq2seq strategy 'replay:1.5'; .*replay:F \(0 < F < 1\)"),
    ("fs-strategy-unknown", lambda c: c.fs("--strategies", "adapterz"), r"bad seq2seq strategy"),
    ("fs-steps-zero", lambda c: c.fs("--steps", "0"), r"--steps must be at least 1 \(got 0\)"),
    ("fs-batch-size-zero", lambda c: c.fs("--batch-size", "0"), r"--batch-size must be at least"),
    ("fs-lr-zero", lambda c: c.fs("--lr", "0"), r"--lr must be positive \(got 0"),
    ("fs-lr-negative", lambda c: c.fs("--lr", "-0.1"), r"--lr must be positive \(got -0.1"),
    ("fs-train-samples-zero", lambda c: c.fs("--train-samples", "0"),
     r"--train-samples must be at least 1 \(got 0\)"),
    ("fs-unknown-new-task", lambda c: c.fs("--new-task", "sort"),
     r"unknown new task 'sort' for mini-flan; choose max"),
    ("fs-model-missing", lambda c: c.fs("--model", c.tmp / "nope"), r"nope does not exist"),
    ("fs-output-is-file", lambda c: c.fs("--output", c.text("x", "o.txt")),
     r"exists and is a file"),
    # ---- push
    ("push-bad-repo-id", lambda c: c.push("--dry-run", c.out) + ["--repo-id", "not a repo"],
     r"bad --repo-id 'not a repo'; write it as user/name"),
    ("push-offline", lambda c: c.push(), r"the Hub is unreachable \(offline\); use --dry-run DIR"),
    ("push-missing-run", lambda c: ["push", c.tmp / "norun", "--repo-id", "me/x", "--dry-run",
                                    c.out], r"norun does not exist; pass a folder written by"),
    ("push-not-a-run", lambda c: ["push", c.folder("r", {"a": ""}), "--repo-id", "me/x",
                                  "--dry-run", c.out], r"has no metrics.json .*; pass a folder"),
    ("push-dry-run-is-file", lambda c: c.push("--dry-run", c.text("x", "o.txt")),
     r"--dry-run .*o.txt exists and is a file; choose another folder"),
    ("push-dry-run-not-empty", lambda c: c.push("--dry-run", c.folder("prev", {"k": "x"})),
     r"--dry-run folder .*prev exists and is not empty; .*--overwrite"),
    ("push-dry-run-inside-run", lambda c: c.push("--dry-run", c.fixture("tiny_run") / "up"),
     r"--dry-run folder .* overlaps the run folder; choose another folder"),
]
# ---- classes found by a held-out batch of broken inputs, for every verb they apply to
BIG = "99999999999999999999"  # too large for a C integer
EXTRA = "sentence,label\na good film,1\na bad film,0,oops\n"
C += [
    ("ft-csv-extra-field", lambda c: c.ft("--data", c.text(EXTRA, "d.csv")),
     r"d.csv: line 3 has 3 fields where the header has 2 \(sentence, label\); fix that line"),
    ("ft-tsv-extra-field", lambda c: c.ft("--data", c.text("sentence\tlabel\na\t1\nb\t0\tx\n",
                                                           "d.tsv")),
     r"d.tsv: line 3 has 3 fields where the header has 2 .*stray tab"),
    ("ft-csv-missing-field", lambda c: c.ft("--data", c.text("sentence,label\na,1\nb\n", "d.csv")),
     r"d.csv: line 3 has 1 fields where the header has 2"),
    ("ft-csv-unclosed-quote", lambda c: c.ft("--data", c.text('sentence,label\n"a,1\n', "d.csv")),
     r"d.csv: line \d+ is not valid CSV \(.*\); fix that line"),
    ("ft-csv-duplicate-column", lambda c: c.ft("--data", c.text("label,label\n1,0\n", "d.csv")),
     r"the header \(line 1\) names column 'label' twice; give each column a name"),
    ("ft-label-too-big", lambda c: c.ft("--data", c.text("sentence,label\n" + "a,1\nb,0\n" * 6
                                                         + f"c,{BIG}\n", "d.csv")),
     rf"label {BIG} in row 13 \(line 14\): labels must be 0..K-1"),
    ("ft-label-too-big-named", lambda c: c.ft("--data", c.jsonl(rows([*GOOD, int(BIG)])),
                                              "--label-names", "neg,pos"),
     rf"label {BIG} in line 13 is outside 0..1"),
    ("ft-epochs-inf", lambda c: c.ft("--epochs", "1e400"), r"--epochs must be a finite number \(got inf"),
    ("ft-epochs-nan", lambda c: c.ft("--epochs", "nan"), r"--epochs must be a finite number \(got nan"),
    ("ft-lr-nan", lambda c: c.ft("--lr", "nan"), r"--lr must be a finite number \(got nan"),
    ("ft-lr-inf", lambda c: c.ft("--lr", "inf"), r"--lr must be a finite number \(got inf"),
    ("ft-seed-too-big", lambda c: c.ft("--seed", BIG), r"--seed must be a whole number from 0 to"),
    ("ft-max-length-huge", lambda c: c.ft("--max-length", BIG), r"--max-length must be at most"),
    ("ft-batch-size-huge", lambda c: c.ft("--batch-size", BIG), r"--batch-size must be at most"),
    ("ft-save-steps-bad-data", lambda c: c.ft("--data", c.text(EXTRA, "d.csv"), "--save-steps", "2"),
     r"line 3 has 3 fields"),  # and no OUTPUT.checkpoints/day3-run.json (nothing written)
    ("ft-resume-bad-data", lambda c: c.ft("--data", c.text(EXTRA, "d.csv"), "--resume"),
     r"line 3 has 3 fields"),
    ("ft-data-dir-missing", lambda c: c.env("DAY3_DATA_DIR", str(c.tmp / "no-mirror"))
     or c.ft("--data", "sst2"), r"DAY3_DATA_DIR=.*no-mirror is not a folder that exists"),
    ("ev-csv-extra-field", lambda c: c.ev(c.text(EXTRA, "d.csv")), r"line 3 has 3 fields"),
    ("ev-label-too-big", lambda c: c.ev(c.text(f"sentence\tlabel\ngood\t{BIG}\n", "d.tsv")),
     rf"label {BIG} in row 1 \(line 2\) is outside 0..1"),
    ("pr-file-extra-field", lambda c: ["predict", c.fixture("tiny_run"), "--file",
                                       c.text(EXTRA, "t.csv")], r"t.csv: line 3 has 3 fields"),
    ("fe-epochs-inf", lambda c: c.fe("--epochs", "inf"), r"--epochs must be a finite number"),
    ("fe-epochs-nan", lambda c: c.fe("--epochs", "nan"), r"--epochs must be a finite number"),
    ("fe-probe-extra-field", lambda c: c.fe("--probe", c.text(PAIRS + "a\tb\t1\tx\n", "p.tsv")),
     r"p.tsv: line 6 has 4 fields where the header has 3"),
    ("fe-probe-constant-scores", lambda c: c.fe("--probe", c.text(
        "sentence1\tsentence2\tscore\na\tb\t2\nc\td\t2\n", "p.tsv")),
     r"every pair has the same score \(2\); a rank correlation needs"),
    ("fe-data-extra-field", lambda c: c.fe("--data", c.text(EXTRA, "d.csv")), r"line 3 has 3"),
    ("cs-epochs-inf", lambda c: c.cs("--epochs", "1e400"), r"--epochs must be a finite number"),
    ("cs-similarity-weight-nan", lambda c: c.cs("--similarity-weight", "nan"),
     r"--similarity-weight must be a finite number \(got nan"),
    ("cs-data-extra-field", lambda c: c.cs("--data", c.text(EXTRA, "d.csv")), r"line 3 has 3"),
    ("fs-lr-nan", lambda c: c.fs("--lr", "nan"), r"--lr must be a finite number \(got nan"),
    ("fs-lr-inf", lambda c: c.fs("--lr", "inf"), r"--lr must be a finite number \(got inf"),
    ("fs-strategy-replay-nan", lambda c: c.fs("--strategies", "replay:nan"),
     r"bad seq2seq strategy 'replay:nan'"),
    ("fs-strategy-replay-inf", lambda c: c.fs("--strategies", "replay:inf"),
     r"bad seq2seq strategy 'replay:inf'"),
    ("fs-model-unknown-offline", lambda c: c.fs("--model", "google/flan-t5-base"),
     r"not available offline .*; use --model mini-flan \(the kit's offline T5 stand-in\) or a "
     r"local T5 folder; .*hf download google/flan-t5-base"),
    ("fs-steps-huge", lambda c: c.fs("--steps", BIG), r"--steps must be at most"),
    ("fs-seed-too-big", lambda c: c.fs("--seed", BIG), r"--seed must be a whole number from 0"),
    ("tp-batch-size-zero", lambda c: c.tp("--batch-size", "0"), r"--batch-size must be at least 1"),
    ("tp-repeats-huge", lambda c: c.tp("--repeats", BIG), r"--repeats must be at most"),
    ("tp-data-extra-field", lambda c: c.tp("--data", c.text(EXTRA, "t.csv")), r"line 3 has 3"),
    ("tp-output-is-the-run", lambda c: c.tp("--output", c.fixture("tiny_run")),
     r"--output .* is the input .* or inside it"),
    ("ov-probe-timeout-nan", lambda c: ["overview", "--probe-timeout", "nan"],
     r"--probe-timeout must be a finite number \(got nan"),
    ("ov-probe-timeout-zero", lambda c: ["overview", "--probe-timeout", "0"],
     r"--probe-timeout must be positive"),
]
if not torch.cuda.is_available():
    C.append(("ft-device-cuda-without-cuda", lambda c: c.ft("--device", "cuda"),
              r"--device cuda was asked for but torch sees no CUDA device; use --device auto"))
# fmt: on


def _files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


@pytest.mark.parametrize("argv,pattern", [pytest.param(a, p, id=i) for i, a, p in C])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    capsys, tmp_path, request, argv: Argv, pattern: str
):
    ctx = Ctx(tmp_path, request)
    args = [str(a) for a in argv(ctx)]
    before = _files(tmp_path)
    run_before = _files(ctx.fixture("tiny_run")) if "tiny_run" in ctx.used else None
    capsys.readouterr()
    try:
        code = main(args)
    except SystemExit as e:  # argparse: usage + `day3 VERB: error: …`
        code = e.code
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ERROR_LINE.match(ln)]
    assert code == 2, err
    assert len(lines) == 1, err
    assert re.search(pattern, lines[0]), f"{lines[0]!r} does not match {pattern!r}"
    assert "Traceback" not in err
    assert out == ""
    assert _files(tmp_path) == before  # no --output, no .partial, no dry-run folder
    if run_before is not None:
        assert _files(ctx.fixture("tiny_run")) == run_before


def test_the_table_covers_every_verb():
    ids = [i for i, _, _ in C]
    assert len(ids) == len(set(ids))
    verbs = {"ft", "ev", "pr", "bmf", "fe", "cs", "fs", "push", "tp", "ov"}
    assert {i.split("-")[0] for i in ids} == verbs


# ---------------------------------------------------------------- --allow-pickle lets it through


def test_allow_pickle_trains_from_a_pickle_only_model(capsys, tmp_path, pickle_bert):
    data = write_jsonl(tmp_path / "d.jsonl", rows(GOOD))
    argv = ["finetune-classifier", "--model", pickle_bert, "--data", data, "--epochs", "1"]
    argv += ["--batch-size", "8", "--output", tmp_path / "run", "--allow-pickle"]
    capsys.readouterr()
    assert main([str(a) for a in argv]) == 0, capsys.readouterr().err
    assert (tmp_path / "run" / "model.safetensors").is_file()  # what it writes is safetensors
    assert not list((tmp_path / "run").rglob("*.bin"))


def test_allow_pickle_reads_a_pickle_only_run(capsys, tmp_path, pickle_run, tiny_run):
    data = write_jsonl(tmp_path / "d.jsonl", rows(GOOD))
    capsys.readouterr()
    assert main(["eval-classifier", str(pickle_run), str(data), "--allow-pickle"]) == 0
    out = capsys.readouterr().out
    assert '"n": 12' in out
    assert main(["predict", str(pickle_run), "a wonderful film", "--allow-pickle"]) == 0
    from_pickle = capsys.readouterr().out
    assert main(["predict", str(tiny_run), "a wonderful film"]) == 0
    # The pickle copy holds the same weights: the same label, the same probability.
    assert from_pickle == capsys.readouterr().out
    label, _, text = from_pickle.strip().split("\t")
    assert label in ("negative", "positive") and text == "a wonderful film"
