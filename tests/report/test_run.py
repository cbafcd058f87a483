"""`day3 report` as a whole: what a missing input gives, how the documents are rewritten (all or
none), and what the smoke report holds (the shared smoke fixture: one report per session)."""

from __future__ import annotations

import json
import re

import pytest

from day3.core.errors import UserError
from day3.core.runs import RunFolder, read_marker, write_json, writing
from day3.report import finetuning, hf, run, wrapup
from day3.report.config import ReportConfig
from day3.report.inputs import find_outputs
from day3.report.run import known_names, run_report

# Sections that read run folders only: a report from an empty runs folder in a second.
CHEAP = (hf.HELLO, finetuning.SENTIMENT, wrapup.JOURNEY)


@pytest.fixture
def cheap(monkeypatch):
    monkeypatch.setattr(run, "SECTIONS", CHEAP)
    return {n for s in CHEAP for n in s.names} | set(run.EXTRA)


def test_a_missing_input_says_which_command_makes_it(tmp_path, cheap):
    (tmp_path / "runs").mkdir()
    manifest = run_report(ReportConfig(runs=tmp_path / "runs", output=tmp_path / "gen"))
    gen = tmp_path / "gen"
    assert set(manifest["files"]) == cheap
    assert all(e["missing"] for n, e in manifest["files"].items() if n != "tables/inputs.md")
    number = (gen / "numbers/hello.accuracy.txt").read_text()
    assert number == "(not measured yet: `python 1_HuggingFace/hello_world_demo.py`)\n"
    table = (gen / "tables/sentiment.md").read_text()
    assert "`python 3_FineTuning/distilbert_finetuning.py`, then `day3 report runs/`" in table
    png = (gen / "figures/sentiment_confusion.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 2000  # a figure that says so, not a hole
    assert "3 of 3 missing" in (gen / "tables/inputs.md").read_text()  # hello's three numbers
    assert read_marker(gen)["kind"] == "report"
    assert json.loads((gen / "manifest.json").read_text())["files"] == manifest["files"]


def _deck(tmp_path, body: str):
    deck = tmp_path / "deck.md"
    deck.write_text(body, encoding="utf-8")
    return deck


def test_the_documents_get_the_new_text_between_their_markers(tmp_path, cheap):
    (tmp_path / "runs").mkdir()
    deck = _deck(
        tmp_path, "# x\n\nacc <!-- include: numbers/hello.n.txt -->80<!-- end include -->\n"
    )
    config = ReportConfig(runs=tmp_path / "runs", output=tmp_path / "gen", docs=(str(deck),))
    manifest = run_report(config)
    assert manifest["changed"] == [str(deck)]
    assert deck.read_text() == (
        "# x\n\nacc <!-- include: numbers/hello.n.txt -->(not measured yet: "
        "`python 1_HuggingFace/hello_world_demo.py`)<!-- end include -->\n"
    )


def test_a_wrong_reference_changes_nothing_at_all(tmp_path, cheap):
    (tmp_path / "runs").mkdir()
    good = _deck(tmp_path, "<!-- include: numbers/hello.n.txt -->80<!-- end include -->\n")
    bad = tmp_path / "bad.md"
    bad.write_text("# y\n\n![](generated/figures/nope.png)\n")
    config = ReportConfig(
        runs=tmp_path / "runs", output=tmp_path / "gen", docs=(str(good), str(bad))
    )
    with pytest.raises(UserError, match=r"bad.md:3: image generated/figures/nope.png is not"):
        run_report(config)
    assert "80" in good.read_text()  # the good document was not rewritten either
    assert not (tmp_path / "gen").exists() and not (tmp_path / "gen.partial").exists()


def test_a_folder_it_did_not_write_is_not_replaced(tmp_path, cheap):
    (tmp_path / "runs").mkdir()
    mine = tmp_path / "gen"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        run_report(ReportConfig(runs=tmp_path / "runs", output=mine))
    assert (mine / "notes.txt").read_text() == "mine"


def test_outputs_are_found_by_their_marker_and_complete_only(tmp_path):
    runs = tmp_path / "runs"
    for name in ("a", "b/c"):
        with writing(RunFolder(runs / name, kind="classifier-run")) as path:
            write_json(path / "metrics.json", {"x": 1})
    (runs / "d.partial").mkdir()
    (runs / "d.partial" / "day3-output.json").write_text('{"kind": "x", "state": "complete"}')
    (runs / "e").mkdir()
    (runs / "e" / "day3-output.json").write_text('{"kind": "x", "state": "writing"}')
    inputs = find_outputs(runs)
    assert sorted(inputs.relative(o) for o in inputs.outputs) == ["runs/a", "runs/b/c"]
    assert inputs.relative(inputs.pick("classifier-run", ("b/c",))) == "runs/b/c"
    assert inputs.pick("classifier-run", ("nope",), fallback=False) is None


@pytest.mark.slow
def test_the_smoke_report_is_complete_and_real(smoke):
    manifest = json.loads((smoke / "manifest.json").read_text())
    assert manifest["smoke"] is True and set(manifest["files"]) == known_names()
    made = {n for n, e in manifest["files"].items() if not e["missing"]}
    assert all(name.startswith("numbers/time/") for name in set(manifest["files"]) - made)
    from PIL import Image

    for name in sorted(n for n in made if n.endswith(".png")):
        image = Image.open(smoke / name).convert("RGB")
        assert image.width > 400 and len(set(image.resize((64, 36)).getdata())) > 20, name
    times = (smoke / "numbers/time/hello_world_demo.txt").read_text()
    assert re.fullmatch(r"\d+ s on \d+ CPU cores\n", times), times
    assert re.fullmatch(r"\d\.\d{3}\n", (smoke / "numbers/sentiment.accuracy.txt").read_text())
    tokens = (smoke / "tables/minilm_tokens.md").read_text()
    assert "| [CLS] | the | acting |" in tokens and "| 101 |" in tokens  # the real MiniLM
    strategies = (smoke / "tables/strategies.md").read_text()
    assert all(s in strategies for s in ("full", "lora", "ia3", "prompt-tuning", "frozen"))
