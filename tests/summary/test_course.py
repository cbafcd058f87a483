"""The summary's fixed part (takeaways, reading) quotes no measured number; its flags are the
config's own."""

from __future__ import annotations

import re
from pathlib import Path

from day3.core.flags import Parser, add_flags, build
from day3.summary.collect import SummaryConfig
from day3.summary.course import READING, SESSIONS

# A measured number: a decimal, a percentage, a speed-up, a time, a size, a rate.
MEASURED = re.compile(
    r"\d+\.\d+|\d[\d,]*\s*(%|x\b|×|s\b|ms\b|min\b|minutes|seconds|MB|GB|/s\b|sentences|tokens)"
)


def test_four_sessions_each_with_takeaways_and_a_place_to_start():
    assert [s.number for s in SESSIONS] == [1, 2, 3, 4]
    assert [s.folder for s in SESSIONS] == [
        "1_HuggingFace",
        "2_TrainingLLMs",
        "3_FineTuning",
        "4_WrapUpAndDemo",
    ]
    root = Path(__file__).resolve().parents[2]
    for s in SESSIONS:
        assert len(s.takeaways) >= 3, s.title
        lesson = s.start.removeprefix("python ")
        assert s.start == "day3 check" or (root / lesson).is_file(), s.start


def test_takeaways_and_reading_quote_no_measured_number():
    texts = [t for s in SESSIONS for t in s.takeaways] + [r.says for r in READING]
    offenders = [t for t in texts if MEASURED.search(t)]
    assert offenders == []


def test_the_reading_names_what_the_kit_builds_on():
    cites = {r.topic: (r.cite, r.where) for r in READING}
    assert cites["LoRA"] == (
        "Hu et al. 2021, LoRA: Low-Rank Adaptation of Large Language Models",
        "arXiv:2106.09685",
    )
    assert cites["QLoRA"][1] == "arXiv:2305.14314"
    assert cites["IA3"][0].startswith("Liu et al. 2022") and cites["IA3"][1] == "arXiv:2205.05638"
    assert cites["Prompt tuning"][0].startswith("Lester et al. 2021")
    assert cites["Catastrophic forgetting"][0].startswith("Kirkpatrick et al. 2017")
    assert cites["Activation memory"][1] == "arXiv:2205.05198"  # Korthikanti et al. 2022
    docs = {r.where for r in READING if r.where.startswith("https://")}
    assert {
        f"https://huggingface.co/docs/{d}" for d in ("transformers", "datasets", "peft")
    } <= docs
    assert all(r.says and "\n" not in r.says for r in READING)


def test_the_flags_are_the_configs(tmp_path):
    parser = add_flags(Parser(prog="day3 summary"), SummaryConfig)
    args = parser.parse_args([])
    assert (args.runs, args.output, args.overwrite) == (Path("runs"), None, False)
    (tmp_path / "mine").mkdir()
    args = parser.parse_args([str(tmp_path / "mine"), "--output", str(tmp_path / "s")])
    config = build(SummaryConfig, args)
    assert (config.runs, config.output) == (tmp_path / "mine", tmp_path / "s")
