"""`day3 estimate` fed the mistakes users make: each ends in exit 2, one line `error: what; how
to fix`, nothing on stdout (README "Bad input"). The parser is built from EstimateConfig with
day3.core.flags, as day3.cli.main builds every verb's."""

from __future__ import annotations

import pytest

from day3.core.errors import UserError
from day3.estimate.memory import EstimateConfig, run_estimate
from tests.estimate.cli import run_cli

CASES = [
    # (argv, a piece of the error line)
    (["--model", "no-such-model"], "unknown model 'no-such-model'"),
    (["--model", "no-org/no-model"], "unknown model 'no-org/no-model'"),
    (["--model", "./not/there"], "model folder ./not/there does not exist; check the path"),
    (["--model", ""], "--model is empty; use one of"),
    (["--model=-7e9"], "a parameter count must be at least 1"),
    (["--model", "0"], "a parameter count must be at least 1"),
    (["--model", "nan"], "--model nan is not a finite parameter count"),
    (["--model", "inf"], "--model inf is not a finite parameter count"),
    (["--model", "1e400"], "--model 1e400 is not a finite parameter count"),
    (["--model", "1e20"], "at most 1e+15 parameters"),
    (["--model", "mini-flan"], "would build it first"),
    (["--method", "adapterz"], "unknown method 'adapterz'; choose one of full, lora, lora:R"),
    (["--method", "lora:0"], "the LoRA rank must be a positive integer; write e.g. lora:16"),
    (["--method", "lora:x"], "the LoRA rank must be a positive integer"),
    (["--method", "full:4"], "only lora and qlora take a rank; write e.g. lora:16"),
    (["--precision", "fp8"], "unknown precision 'fp8'; choose one of fp32, bf16, fp16, int8"),
    (["--method", "qlora", "--precision", "bf16"], "qlora means a 4-bit base"),
    (["--precision", "int4"], "full fine-tuning trains every weight; use --method qlora"),
    (["--optimizer", "adam"], "unknown optimizer 'adam'; choose one of adamw, adamw8bit"),
    (["--hardware", "tpu"], "unknown hardware 'tpu'; choose one of cpu, t4"),
    (["--hardware", "t4", "--precision", "bf16"], "t4 has no bf16 math"),
    (["--batch-size", "0"], "--batch-size must be at least 1 (got 0)"),
    (["--batch-size", "-8"], "--batch-size must be at least 1 (got -8)"),
    (["--seq-len", "0"], "--seq-len must be at least 1 (got 0)"),
    (["--seq-len", "99999999999"], "--seq-len must be at most"),
    (["--tokens", "inf"], "--tokens must be a finite number (got inf)"),
    (["--tokens", "nan"], "--tokens must be a finite number (got nan)"),
    (["--tokens", "1e400"], "--tokens must be a finite number (got inf)"),
    (["--tokens", "-5"], "--tokens must be at least 1 (got -5.0)"),
    (["--mfu", "0"], "--mfu must be positive (got 0.0)"),
    (["--mfu", "1.5"], "--mfu must be at most 1 (got 1.5)"),
    (["--mfu", "nan"], "--mfu must be a finite number (got nan)"),
    (["--steps", "0"], "--steps must be at least 1 (got 0)"),
    (["--model", "7e9", "--method", "lora"], "needs the architecture"),
    (["--model", "7e9", "--optimizer", "adafactor"], "adafactor's states depend on the weight"),
    (["--model", "7e9", "--measure"], "--measure needs a model it can build"),
    (["--model", "llama-2-7b", "--measure"], "is a causal-lm model: drop --measure"),
    (["--method", "qlora", "--measure"], "bitsandbytes"),
    (["--optimizer", "adamw8bit", "--measure"], "bitsandbytes"),
    (["--hardware", "a100", "--measure"], "no CUDA device; use --hardware cpu"),
    (["--precision", "fp16"], "cpu has no fp16 math"),
    (["--seq-len", "4096", "--measure"], "longer than the model's 512 positions"),
    (["--batch-size", "100000", "--measure"], "lower --batch-size or --seq-len"),
    # argparse's own: a word where a number goes (one line too, exit 2)
    (["--batch-size", "eight"], "argument --batch-size: invalid int value: 'eight'"),
    (["--mfu", "half"], "argument --mfu: invalid float value: 'half'"),
]


@pytest.mark.parametrize(("argv", "message"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_is_one_error_line_and_exit_2(argv, message, capsys):
    assert run_cli(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    # what is wrong; how to fix it (a range check's message is the rule itself, as in the kit)
    assert "; " in lines[0] or " must be " in lines[0]


def test_a_folder_that_is_not_a_model(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert run_cli(["--model", tmp_path]) == 2
    assert "is not a model folder (no config.json" in capsys.readouterr().err
    assert run_cli(["--model", tmp_path / "notes.txt"]) == 2
    assert "is a file; pass a model folder" in capsys.readouterr().err


def test_a_broken_config_is_one_line(tmp_path, capsys):
    (tmp_path / "config.json").write_text('{"model_type": "no-such-architecture"}')
    assert run_cli(["--model", tmp_path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a config transformers can read" in err[0]


def test_the_python_api_checks_the_same():
    with pytest.raises(UserError, match="--batch-size must be at least 1"):
        EstimateConfig(batch_size=0)
    with pytest.raises(UserError, match="unknown hardware"):
        run_estimate(model="minilm", hardware="abacus")
    with pytest.raises(UserError, match="--mfu must be a finite number"):
        EstimateConfig(mfu=float("inf"))


def test_good_input_prints_json_only_with_json(capsys):
    import json

    assert run_cli(["--model", "tiny-bert", "--json"]) == 0
    captured = capsys.readouterr()
    (line,) = captured.out.strip().splitlines()
    printed = json.loads(line)
    assert printed["total_bytes"] > printed["weights_bytes"] > 0
    assert run_cli(["--model", "tiny-bert"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # the table is for people: stderr
    assert "weights" in captured.err and "4·P_t" in captured.err


def test_every_command_the_doc_quotes_parses():
    import re
    import shlex

    from tests.conftest import ROOT
    from tests.estimate.cli import parser

    text = (ROOT / "docs" / "estimate.md").read_text(encoding="utf-8")
    commands = re.findall(r"^day3 estimate (.+)$", text, flags=re.M)
    assert len(commands) >= 4
    for command in commands:
        parser().parse_args(shlex.split(command))  # a bad flag exits 2 here
