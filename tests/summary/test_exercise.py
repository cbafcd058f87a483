"""`day3 summary`: the final exercise's score (check.json of `day3 check`) and the journey's
numbers (journey.json of `day3 journey`), as the learner's own folders hold them."""

from __future__ import annotations

from pathlib import Path

from tests.summary.fakes import CHECK, metrics, output, summary


def test_a_real_grading_shows_its_score_and_hints(tmp_path, monkeypatch):
    """check.json as `day3 check` writes it (a file that does not compile: graded at once)."""
    from day3.exercise.check import DEFAULT_OUTPUT, CheckConfig, run_check

    monkeypatch.chdir(tmp_path)
    Path("mine.py").write_text("def mask_padding_labels(:\n")
    graded = run_check(CheckConfig(file=Path("mine.py"), seed=7))  # into runs/final-exercise
    facts, md = summary(Path("runs"))
    check = facts["exercise"]
    assert check["path"] == DEFAULT_OUTPUT.as_posix() == "runs/final-exercise"
    assert (
        (check["score"], check["max_score"]) == (graded["score"], graded["max_score"]) == (0, 100)
    )
    assert [t["name"] for t in check["tasks"]] == [t["task"] for t in graded["tasks"]] + [
        "end_to_end"
    ]
    assert {t["passed"] for t in check["tasks"]} == {False}
    assert "Score **0/100** (`runs/final-exercise`, " in md
    hint = graded["tasks"][0]["hint"]
    assert hint.startswith("mine.py does not load: SyntaxError at line 1")
    assert f"| mask_padding_labels | 0/10 | FAIL | {hint} |" in md
    assert "| end_to_end | 0/20 | FAIL | runs once every task passes (not yet: " in md


def test_a_journey_gives_zero_shot_tuned_and_forgetting(tmp_path):
    runs = tmp_path / "runs"
    facts = {
        "data": {"source": "embedded", "n_train": 400},
        "zero-shot": {"accuracy": 0.6125, "seconds": 1.0},
        "fine-tune": {"strategy": "lora:16", "trainable_params": 74_498, "train_seconds": 30.0},
        "evaluate": {"accuracy": 0.8375, "f1": 0.8371, "n": 80},
        "forgetting": {"probe": "sts-embedded", "before": 0.82, "after": 0.8, "drop": 0.02},
    }
    timings = [{"stage": "data", "seconds": 1.5}, {"stage": "fine-tune", "seconds": 40.0}]
    output(runs / "journey" / "report", "journey", {"journey.json": {
        "facts": facts, "timings": timings, "settings": {"model": "minilm"}}})  # fmt: skip
    got, md = summary(runs)
    (j,) = got["journeys"]
    assert (j["zero_shot_accuracy"], j["accuracy"], j["probe_after"]) == (0.6125, 0.8375, 0.8)
    assert (j["trainable_params"], j["seconds"]) == (74_498, 41.5)
    assert "## Your journeys" in md
    assert (
        f"| `{runs.as_posix()}/journey/report` | 2026-12-01 10:00 | minilm | lora:16 | embedded "
        "| 0.6125 → 0.8375 | 0.8371 | sts-embedded: 0.8200 → 0.8000 | 42 |"
    ) in md
    assert "Your outputs from this session: 1 × journey." in md
    output(runs / "broken", "journey", {"journey.json": {"facts": {}}})
    got, _ = summary(runs)
    assert [s["why"] for s in got["skipped"]] == ["journey.json has no fine-tune or evaluate facts"]


def test_the_exercise_score_is_shown_when_graded(tmp_path):
    runs = tmp_path / "runs"
    output(runs / "check-old", "exercise-check",
           {"check.json": CHECK | {"score": 9}}, written="2026-12-01T09:00:00+0000")  # fmt: skip
    output(runs / "check", "exercise-check", {"check.json": CHECK},
           written="2026-12-01T10:00:00+0000")  # fmt: skip
    facts, md = summary(runs)
    assert facts["exercise"]["score"] == 7 and facts["exercise"]["max_score"] == 10
    assert facts["exercise"]["path"].endswith("/check")  # the latest grading, not the best
    assert "Score **7/10**" in md and "The latest of 2 gradings; the best: 9/10." in md
    assert "| count_trainable | 3/3 | pass |  |" in md
    assert "| pick_strategy | 0/4 | FAIL | returns 'full' for a tiny budget; see Session 3 |" in md
    assert "No exercise score yet" not in md
    assert "Your outputs from this session: 2 × exercise-check." in md


def test_the_graders_own_summary_format_reads_the_same(tmp_path):
    """`day3 check --json` names a task's points {earned, points} and adds the end-to-end run."""
    runs = tmp_path / "runs"
    task = {"task": "count_trainable", "title": "…", "points": 3, "earned": 3, "status": "pass",
            "passed": True, "hint": None}  # fmt: skip
    e2e = {"task": "end_to_end", "points": 4, "earned": 0, "status": "skip", "passed": False,
           "hint": "skipped (--no-end-to-end)"}  # fmt: skip
    check = {"score": 3, "max_score": 3, "tasks": [task], "end_to_end": e2e}
    output(runs / "check", "exercise-check", {"check.json": check})
    facts, md = summary(runs)
    assert facts["exercise"]["tasks"] == [
        {"name": "count_trainable", "points": 3, "max_points": 3, "passed": True, "hint": None},
        {"name": "end_to_end", "points": 0, "max_points": 4, "passed": None,
         "hint": "skipped (--no-end-to-end)"},
    ]  # fmt: skip
    assert "| end_to_end | 0/4 | skipped | skipped (--no-end-to-end) |" in md


def test_without_a_graded_exercise_the_summary_says_how(tmp_path):
    runs = tmp_path / "runs"
    output(runs / "sentiment", "classifier-run", {"metrics.json": metrics(0.8)})
    _, md = summary(runs)
    assert "No exercise score yet" in md and "grade it with `day3 check`" in md
