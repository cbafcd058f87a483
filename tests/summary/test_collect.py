"""`day3 summary`: the facts come from the learner's run folders, exactly; a broken folder is
skipped with its reason; nothing outside RUNS_DIR is read; no runs gives the note; bad input is
one UserError saying how to fix it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from day3.core.errors import UserError
from day3.core.runs import MARKER, read_marker
from day3.summary import collect as collect_module
from day3.summary import kinds
from day3.summary.collect import SummaryConfig, collect, discover, run_summary
from day3.summary.render import markdown
from tests.summary.fakes import metrics, output, summary


def test_a_classifier_run_gives_its_own_numbers(tmp_path):
    runs = tmp_path / "runs"
    output(runs / "sentiment", "classifier-run", {"metrics.json": metrics(0.8125)},
           written="2026-12-01T11:05:31+0000")  # fmt: skip
    facts, md = summary(runs)
    assert facts["outputs"] == 1 and facts["skipped"] == []
    (run,) = facts["classifier_runs"]
    assert run == {
        "kind": "classifier-run",
        "path": f"{runs.as_posix()}/sentiment",
        "date": "2026-12-01 11:05",
        "model": "minilm",
        "strategy": "lora:16",
        "data": "embedded movie-review sample",
        "n_train": 400,
        "n_validation": 80,
        "accuracy": 0.8125,
        "f1": 0.8,
        "baseline_accuracy": 0.5,
        "trainable_params": 5218,
        "trainable_percent": 0.52,
        "train_seconds": 12.34,
        "device": None,
    }
    row = next(line for line in md.splitlines() if "/sentiment`" in line)
    assert "| 0.5000 → 0.8125 | 0.8000 | 5,218 (0.52%) | 12.3 |" in row
    assert "| 400 / 80 |" in row and "| lora:16 |" in row
    assert "Your outputs from this session: 1 × classifier-run." in md


def test_runs_are_listed_oldest_first_and_the_best_is_named(tmp_path):
    runs = tmp_path / "runs"
    output(runs / "b-late", "classifier-run", {"metrics.json": metrics(0.9)},
           written="2026-12-02T09:00:00+0000")  # fmt: skip
    output(runs / "a-early", "classifier-run", {"metrics.json": metrics(0.7)},
           written="2026-12-01T09:00:00+0000")  # fmt: skip
    facts, md = summary(runs)
    assert [r["path"].rsplit("/", 1)[1] for r in facts["classifier_runs"]] == ["a-early", "b-late"]
    assert (facts["first"], facts["last"]) == ("2026-12-01 09:00", "2026-12-02 09:00")
    assert f"Highest validation accuracy: 0.9000 in `{runs.as_posix()}/b-late`" in md
    assert "too." not in md
    output(runs / "c-tie", "classifier-run", {"metrics.json": metrics(0.9)},
           written="2026-12-03T09:00:00+0000")  # fmt: skip
    _, md = summary(runs)
    assert f"in `{runs.as_posix()}/b-late` (strategy lora:16; data: embedded movie-review " in md
    assert "sample), reached by 1 other run too." in md


def test_equal_accuracies_name_no_best(tmp_path):
    runs = tmp_path / "runs"
    for name in ("a", "b"):
        output(runs / name, "classifier-run", {"metrics.json": metrics(0.5)})
    _, md = summary(runs)
    assert "Highest validation accuracy" not in md


def test_comparison_forgetting_bench_and_throughput_tables(tmp_path):
    runs = tmp_path / "runs"
    row = {"strategy": "ia3", "objective": "single-task", "accuracy": 0.75, "trainable_percent":
           0.07, "saved_mb": 0.31, "train_seconds": 41.2, "peak_memory_mb": 812.0,
           "sts_before": 0.8, "sts_after": 0.79, "sts_drop": 0.0123}  # fmt: skip
    settings = {"model": "minilm", "new_task": "sst2"}
    output(runs / "strategies", "comparison",
           {"comparison.json": {"rows": [row], "notes": [], "settings": settings}})  # fmt: skip
    result = {"strategy": "full", "new_task": "dialogsum", "new_task_score": 0.25,
              "probes": {"sentiment": {"before": 0.9, "after": 0.6, "drop": 0.3}},
              "average_forgetting": 0.3, "train_seconds": 90.0}  # fmt: skip
    output(runs / "flan", "forgetting-report", {"forgetting.json": {
        "results": [result], "settings": {"model": "mini-flan", "stand_in": True}}})  # fmt: skip
    bench = {"name": "bf16", "tokens_per_second": 2279.4, "padding_fraction": 0.58, "mfu": 0.0002,
             "peak_memory_mb": 552.0, "accuracy": 0.5, "train_seconds": 0.4}  # fmt: skip
    output(runs / "bench", "bench-training", {"bench_training.json": {
        "rows": [bench], "settings": {"model": "tiny-bert"}}})  # fmt: skip
    speed = {"method": "length-sorted batches", "batch_size": 64, "dtype": "bf16",
             "sentences_per_second": 5127.1, "speedup": 13.35}  # fmt: skip
    output(runs / "speed", "throughput-report", {"throughput.json": {
        "rows": [speed], "data": "embedded reviews", "sentences": 64}})  # fmt: skip
    facts, md = summary(runs)
    assert facts["outputs"] == 4 and facts["skipped"] == []
    assert facts["comparisons"][0]["rows"][0]["sts_drop"] == 0.0123
    assert facts["forgetting"][0]["rows"][0]["average_forgetting"] == 0.3
    assert facts["forgetting"][0]["new_task"] == "dialogsum"
    assert "| ia3 | 0.7500 | 0.07 | 0.31 | 41.2 | 812 | +0.0123 |" in md
    assert "mini-flan (stand-in) → dialogsum; probes: sentiment" in md
    assert "| full | 0.2500 | +0.3000 | 90.0 |" in md
    assert "| bf16 | 2,279 | 58% | 0.02% | 552 | 0.5000 | 0.4 |" in md
    assert "| length-sorted batches | 64 | bf16 | 5,127 | 13.3 |" in md
    assert "64 sentences of embedded reviews" in md


def test_what_the_kit_writes_is_what_the_summary_reads(tmp_path):
    """The kit's own report writers, not a hand-made copy of their format."""
    from day3.compare.report import write_comparison
    from day3.forgetting.report import ForgettingResult, write_report

    runs = tmp_path / "runs"
    row = {"strategy": "lora:16", "objective": "single-task", "accuracy": 0.8, "trainable_params":
           5218, "trainable_percent": 0.52, "saved_mb": 0.02, "saved_what": "adapter + head",
           "train_seconds": 3.0, "peak_memory_mb": 600.0, "sts_before": None, "sts_after": None,
           "sts_drop": None}  # fmt: skip
    write_comparison([row], ["a note"], {"model": "tiny-bert", "new_task": "sst2"},
                     runs / "compare", overwrite=False)  # fmt: skip
    result = ForgettingResult.from_scores("frozen", "sst2", 0.6, {"sts": 0.5}, {"sts": 0.5}, 1.0)
    write_report([result], {"model": "tiny-bert"}, runs / "forget")
    facts, md = summary(runs)
    assert facts["skipped"] == []
    assert facts["comparisons"][0]["rows"][0]["accuracy"] == 0.8
    assert facts["forgetting"][0]["rows"][0]["average_forgetting"] == 0.0
    assert "| lora:16 | 0.8000 | 0.52 | 0.02 | 3.0 | 600 | n/a |" in md


def test_the_kinds_are_the_kits_own():
    from day3.classifier.train import RUN_KIND
    from day3.compare.report import REPORT_KIND as COMPARISON
    from day3.exercise.check import KIND as EXERCISE
    from day3.forgetting.report import REPORT_KIND as FORGETTING

    assert (kinds.CLASSIFIER, kinds.COMPARISON, kinds.FORGETTING, kinds.EXERCISE) == (
        RUN_KIND,
        COMPARISON,
        FORGETTING,
        EXERCISE,
    )


def test_no_runs_folder_yet_is_the_note_not_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a fresh checkout: no lesson has run, runs/ does not exist
    facts, md = summary(SummaryConfig().runs)
    assert facts["outputs"] == 0 and facts["skipped"] == []
    assert "**No run folders under `runs` yet.**" in md and "## Key takeaways" in md
    assert not Path("runs").exists()  # reading made nothing


def test_no_runs_gives_the_note_and_the_takeaways(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "notes.txt").write_text("not a run")
    facts, md = summary(runs)
    assert facts["outputs"] == 0 and facts["skipped"] == []
    assert f"**No run folders under `{runs.as_posix()}` yet.**" in md
    assert "## What you trained" not in md
    assert "## Key takeaways" in md and "## Further reading" in md
    assert "try `python 3_FineTuning/distilbert_finetuning.py`" in md
    assert "arXiv:2106.09685" in md  # LoRA, Hu et al. 2021


def test_a_broken_marker_is_skipped_with_its_reason(tmp_path):
    runs = tmp_path / "runs"
    output(runs / "good", "classifier-run", {"metrics.json": metrics(0.8)})
    (runs / "bad").mkdir()
    (runs / "bad" / MARKER).write_text("{not json")
    (runs / "nokind").mkdir()
    (runs / "nokind" / MARKER).write_text(json.dumps({"state": "complete"}))
    output(runs / "nometrics", "classifier-run", {})
    output(runs / "garbled", "classifier-run", {"metrics.json": "[1, 2]"})
    half = output(runs / "run.partial", "classifier-run", {"metrics.json": metrics(0.1)})
    marker = json.loads((half / MARKER).read_text()) | {"state": "partial"}
    (half / MARKER).write_text(json.dumps(marker))
    facts, md = summary(runs)
    why = {s["path"].rsplit("/", 1)[1]: s["why"] for s in facts["skipped"]}
    assert set(why) == {"bad", "nokind", "nometrics", "garbled", "run.partial"}
    assert why["bad"].startswith(f"{MARKER} is not valid JSON (")
    assert why["nokind"] == f"its marker {MARKER} names no kind"
    assert why["nometrics"] == "metrics.json is missing"
    assert why["garbled"] == "metrics.json holds no JSON object"
    assert why["run.partial"] == "unfinished: interrupted, or still being written"
    assert [r["accuracy"] for r in facts["classifier_runs"]] == [0.8]
    assert f"- `{runs.as_posix()}/nometrics`: metrics.json is missing" in md


def test_odd_values_read_as_n_a_not_a_crash(tmp_path):
    runs = tmp_path / "runs"
    odd = metrics(0.8) | {"validation": {"accuracy": "high", "f1": None}, "train_seconds": True}
    odd |= {"trainable_params": [1], "strategy": {"name": "full"}, "baseline": "none"}
    output(runs / "odd", "classifier-run", {"metrics.json": odd})
    facts, md = summary(runs)
    (run,) = facts["classifier_runs"]
    assert (run["accuracy"], run["f1"], run["train_seconds"]) == (None, None, None)
    assert (run["trainable_params"], run["strategy"], run["baseline_accuracy"]) == (None,) * 3
    row = next(line for line in md.splitlines() if "/odd`" in line)
    assert row.endswith("| n/a | n/a | n/a | n/a |")


def test_an_unknown_kind_is_listed_with_its_place_date_and_files(tmp_path):
    runs = tmp_path / "runs"
    output(runs / "slides", "report", {"manifest.json": {}, "tables": "x"},
           written="2026-12-03T08:30:00+0000")  # fmt: skip
    facts, md = summary(runs)
    assert facts["other"] == [{"kind": "report", "path": f"{runs.as_posix()}/slides",
                               "date": "2026-12-03 08:30",
                               "files": ["manifest.json", "tables"]}]  # fmt: skip
    assert (
        f"| report | `{runs.as_posix()}/slides` | 2026-12-03 08:30 | manifest.json, tables |" in md
    )


def test_an_earlier_summary_is_not_summarized(tmp_path):
    runs = tmp_path / "runs"
    output(runs / "summary", "course-summary", {"summary.md": "# old"})
    facts, _ = summary(runs)
    assert facts["outputs"] == 0 and facts["other"] == [] and facts["skipped"] == []


def test_nothing_outside_runs_dir_is_read(tmp_path, monkeypatch):
    outside = tmp_path / "outside"
    output(outside / "secret-run", "classifier-run", {"metrics.json": metrics(0.4242)})
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "linked").symlink_to(outside / "secret-run")  # a folder link: not followed
    inside = output(runs / "mine", "classifier-run", {})
    (inside / "metrics.json").symlink_to(outside / "secret-run" / "metrics.json")
    read: list[Path] = []
    real_read = Path.read_text

    def spy(self, *args, **kwargs):
        read.append(self.resolve())
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", spy)
    facts, md = summary(runs)
    assert read and all(runs.resolve() in p.parents for p in read), read
    assert facts["classifier_runs"] == [] and "0.4242" not in md
    why = {s["path"].rsplit("/", 1)[1]: s["why"] for s in facts["skipped"]}
    assert why == {
        "linked": "a symbolic link: not followed (only what lies inside is read)",
        "mine": "metrics.json is a link leading outside the runs folder (not followed)",
    }


def test_a_huge_tree_stops_with_a_note(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    for i in range(5):
        (runs / f"d{i}").mkdir(parents=True)
    found, skipped, truncated = discover(runs.resolve(), limit=3)
    assert truncated and found == [] and skipped == []
    assert discover(runs.resolve(), limit=10)[2] is False
    monkeypatch.setattr(collect_module, "LIMIT", 3)
    _, md = summary(runs)
    assert "- the search stopped after a great many folders: pass the folder" in md


def test_runs_dir_may_itself_be_one_run_folder(tmp_path):
    run = output(tmp_path / "sentiment", "classifier-run", {"metrics.json": metrics(0.8)})
    facts = collect(run)
    assert [r["path"] for r in facts["classifier_runs"]] == [run.as_posix()]


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda t: t / "nope", r"runs folder .*nope does not exist; run a lesson first"),
        (lambda t: _file(t / "runs.txt"), r"runs.txt is a file, not a folder; pass the folder"),
    ],
    ids=["missing", "a-file"],
)
def test_bad_runs_dir_is_one_error_saying_how_to_fix(tmp_path, make, pattern):
    with pytest.raises(UserError, match=pattern):
        SummaryConfig(make(tmp_path))


def _file(path: Path) -> Path:
    path.write_text("x")
    return path


def test_the_output_may_not_be_the_runs_folder_or_hold_it(tmp_path):
    runs = tmp_path / "course" / "runs"
    runs.mkdir(parents=True)
    for out in (runs, runs.parent):
        with pytest.raises(UserError, match=r"is the runs folder .* or holds it; write the"):
            SummaryConfig(runs, output=out)


def test_the_output_never_replaces_a_run_it_reads(tmp_path):
    runs = tmp_path / "runs"
    run = output(runs / "sentiment", "classifier-run", {"metrics.json": metrics(0.8)})
    with pytest.raises(UserError, match=r"is one of the run folders the summary reads \(a cla"):
        SummaryConfig(runs, output=run, overwrite=True)
    assert read_marker(run)["kind"] == "classifier-run"


def test_output_writes_markdown_html_and_facts_whole(tmp_path):
    runs = tmp_path / "runs"
    strategy = "<script>alert(1)</script>|x"
    output(runs / "sentiment", "classifier-run",
           {"metrics.json": metrics(0.8125, strategy=strategy)})  # fmt: skip
    out = runs / "summary"  # inside RUNS_DIR: allowed, and skipped by the next summary
    facts = run_summary(SummaryConfig(runs, output=out))
    assert read_marker(out)["kind"] == "course-summary"
    assert (out / "summary.md").read_text() == markdown(facts)
    assert (
        json.loads((out / "summary.json").read_text())["classifier_runs"][0]["accuracy"] == 0.8125
    )
    page = (out / "summary.html").read_text()
    assert "<table>" in page and "<td>0.5000 → 0.8125</td>" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;|x" in page
    again = run_summary(SummaryConfig(runs))
    assert again["outputs"] == 1  # the summary folder is not one of the learner's outputs
    with pytest.raises(UserError, match="exists and is not empty; choose another --output"):
        run_summary(SummaryConfig(runs, output=out))
    assert not list(runs.glob("*.partial"))
