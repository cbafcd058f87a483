"""What each kind of run folder holds, read into plain facts for the summary.

The kinds are those the kit's writers put in their marker (day3.core.runs): a classifier run
(`metrics.json`), a strategies comparison (`comparison.json`), a forgetting report
(`forgetting.json`), the training benchmark (`bench_training.json`), an inference throughput
report (`throughput.json`), a staged upload (`metrics.json` beside the model card), the journey's
report (`journey.json`, in runs/journey/report) and a graded final exercise (`check.json`, in
runs/final-exercise). Any other kind (`overview`, `report`, one added later) is listed as it is:
kind, place, date, files. The kit's own earlier summaries are not summarized again.

Each reader takes the folder and RUNS_DIR (resolved) and returns a dict; a folder whose main file
is missing or broken raises `Unreadable`, and the summary lists it as skipped, with that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from day3.core.runs import MARKER
from day3.summary.files import Unreadable, mapping, number, read_json, records, text, whole

# The kinds of day3.classifier.train.RUN_KIND, day3.compare.report.REPORT_KIND and
# day3.forgetting.report.REPORT_KIND, written out here so that the summary imports no torch
# (tests/summary check they are the same).
CLASSIFIER, COMPARISON, FORGETTING = "classifier-run", "comparison", "forgetting-report"
BENCH, THROUGHPUT, UPLOAD = "bench-training", "throughput-report", "upload"
EXERCISE = "exercise-check"  # day3.exercise.check.KIND: runs/final-exercise, by `day3 check`
JOURNEY = "journey"  # the report part of `day3 journey` (runs/journey/report)
SUMMARY = "course-summary"  # what `day3 summary --output` writes: never summarized itself


def classifier_run(folder: Path, root: Path) -> dict:
    m = read_json(folder / "metrics.json", root)
    val, base = mapping(m.get("validation")), mapping(m.get("baseline"))
    return {
        "model": text(m.get("model")),
        "strategy": text(m.get("strategy")),
        "data": text(m.get("data")),
        "n_train": whole(m.get("n_train")),
        "n_validation": whole(val.get("n")) or whole(m.get("n_validation")),
        "accuracy": number(val.get("accuracy")),
        "f1": number(val.get("f1")),
        "baseline_accuracy": number(base.get("accuracy")),
        "trainable_params": whole(m.get("trainable_params")),
        "trainable_percent": number(m.get("trainable_percent")),
        "train_seconds": number(m.get("train_seconds")),
        "device": text(m.get("device")),
    }


def comparison(folder: Path, root: Path) -> dict:
    report = read_json(folder / "comparison.json", root)
    rows = records(report.get("rows"))
    if not rows:
        raise Unreadable("comparison.json has no rows")
    s = mapping(report.get("settings"))
    return {
        "model": text(s.get("model")),
        "new_task": text(s.get("new_task")),
        "n_train": whole(s.get("n_train")),
        "rows": [
            {
                "strategy": text(r.get("strategy")),
                "accuracy": number(r.get("accuracy")),
                "trainable_percent": number(r.get("trainable_percent")),
                "saved_mb": number(r.get("saved_mb")),
                "train_seconds": number(r.get("train_seconds")),
                "peak_memory_mb": number(r.get("peak_memory_mb")),
                "sts_drop": number(r.get("sts_drop")),
            }
            for r in rows
        ],
    }


def forgetting_report(folder: Path, root: Path) -> dict:
    report = read_json(folder / "forgetting.json", root)
    results = records(report.get("results"))
    if not results:
        raise Unreadable("forgetting.json has no results")
    s = mapping(report.get("settings"))
    return {
        "model": text(s.get("model")),
        "stand_in": s.get("stand_in") is True,
        "new_task": text(results[0].get("new_task")),
        "probes": sorted(k for k in mapping(results[0].get("probes")) if isinstance(k, str)),
        "rows": [
            {
                "strategy": text(r.get("strategy")),
                "new_task_score": number(r.get("new_task_score")),
                "average_forgetting": number(r.get("average_forgetting")),
                "train_seconds": number(r.get("train_seconds")),
            }
            for r in results
        ],
    }


def bench_training(folder: Path, root: Path) -> dict:
    report = read_json(folder / "bench_training.json", root)
    rows = records(report.get("rows"))
    if not rows:
        raise Unreadable("bench_training.json has no rows")
    return {
        "model": text(mapping(report.get("settings")).get("model")),
        "rows": [
            {
                "name": text(r.get("name")),
                "tokens_per_second": number(r.get("tokens_per_second")),
                "padding_fraction": number(r.get("padding_fraction")),
                "mfu": number(r.get("mfu")),
                "peak_memory_mb": number(r.get("peak_memory_mb")),
                "accuracy": number(r.get("accuracy")),
                "train_seconds": number(r.get("train_seconds")),
            }
            for r in rows
        ],
    }


def throughput_report(folder: Path, root: Path) -> dict:
    report = read_json(folder / "throughput.json", root)
    rows = records(report.get("rows"))
    if not rows:
        raise Unreadable("throughput.json has no rows")
    return {
        "data": text(report.get("data")),
        "sentences": whole(report.get("sentences")),
        "rows": [
            {
                "method": text(r.get("method")),
                "batch_size": whole(r.get("batch_size")),
                "dtype": text(r.get("dtype")),
                "sentences_per_second": number(r.get("sentences_per_second")),
                "speedup": number(r.get("speedup")),
            }
            for r in rows
        ],
    }


def upload(folder: Path, root: Path) -> dict:
    m = read_json(folder / "metrics.json", root)
    return {
        "model": text(m.get("model")),
        "strategy": text(m.get("strategy")),
        "accuracy": number(mapping(m.get("validation")).get("accuracy")),
        "card": (folder / "README.md").is_file(),
    }


def journey(folder: Path, root: Path) -> dict:
    """journey.json of `day3 journey`: zero-shot, fine-tuned, and what the encoder forgot."""
    report = read_json(folder / "journey.json", root)
    facts, s = mapping(report.get("facts")), mapping(report.get("settings"))
    tuned, scored = mapping(facts.get("fine-tune")), mapping(facts.get("evaluate"))
    if not tuned and not scored:
        raise Unreadable("journey.json has no fine-tune or evaluate facts")
    forgot = mapping(facts.get("forgetting"))
    seconds = [number(t.get("seconds")) for t in records(report.get("timings"))]
    return {
        "model": text(s.get("model")),
        "strategy": text(tuned.get("strategy")) or text(s.get("strategy")),
        "data": text(mapping(facts.get("data")).get("source")),
        "zero_shot_accuracy": number(mapping(facts.get("zero-shot")).get("accuracy")),
        "accuracy": number(scored.get("accuracy")),
        "f1": number(scored.get("f1")),
        "trainable_params": whole(tuned.get("trainable_params")),
        "probe": text(forgot.get("probe")),
        "probe_before": number(forgot.get("before")),
        "probe_after": number(forgot.get("after")),
        "seconds": sum(seconds) if seconds and None not in seconds else None,
    }


def exercise_check(folder: Path, root: Path) -> dict:
    """check.json of `day3 check`: the score and each task's points, pass and hint. A task's
    points are {points, max_points} or, as the grader's own summary has them, {earned, points}."""
    report = read_json(folder / "check.json", root)
    score, best = number(report.get("score")), number(report.get("max_score"))
    if score is None or best is None:
        raise Unreadable("check.json has no score and max_score")
    items = records(report.get("tasks"))
    if isinstance(report.get("end_to_end"), dict):
        items.append(report["end_to_end"])
    return {"score": score, "max_score": best, "tasks": [_task(t) for t in items]}


def _task(t: dict) -> dict:
    if "max_points" in t:
        earned, most = number(t.get("points")), number(t.get("max_points"))
    else:
        earned, most = number(t.get("earned")), number(t.get("points"))
    passed = t.get("passed") is True
    if t.get("status") == "skip":
        passed = None  # neither: it was not run
    hint = text(t.get("hint"))
    return {"name": text(t.get("name")) or text(t.get("task")), "points": earned,
            "max_points": most, "passed": passed, "hint": hint}  # fmt: skip


def other(folder: Path, root: Path) -> dict:
    """A kind the summary has no reader for: the files it holds, as names."""
    try:
        names = sorted(p.name for p in folder.iterdir())
    except OSError as e:
        raise Unreadable(f"the folder cannot be listed ({e.strerror or e})") from None
    return {"files": [n for n in names if n != MARKER]}


READERS: dict[str, Callable[[Path, Path], dict]] = {
    CLASSIFIER: classifier_run,
    COMPARISON: comparison,
    FORGETTING: forgetting_report,
    BENCH: bench_training,
    THROUGHPUT: throughput_report,
    UPLOAD: upload,
    JOURNEY: journey,
    EXERCISE: exercise_check,
}

# facts key of each kind in run_summary's result; everything else goes to "other".
SECTIONS = {
    CLASSIFIER: "classifier_runs",
    COMPARISON: "comparisons",
    FORGETTING: "forgetting",
    BENCH: "benchmarks",
    THROUGHPUT: "throughput",
    UPLOAD: "uploads",
    JOURNEY: "journeys",
    EXERCISE: "exercise_checks",
}
