"""The final exercise's tasks: name, points, where the course shows how, and the grader; and
how one task's report from the worker becomes pass, fail or skip with its hint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from day3.exercise.graders import (
    grade_count,
    grade_end_to_end,
    grade_forgetting,
    grade_lora,
    grade_mask,
    grade_memory,
    grade_metrics,
)


@dataclass(frozen=True)
class Task:
    name: str  # the function the learner writes
    title: str
    points: int
    how: str  # where the course shows how: every "not done yet" hint names it
    grade: Callable[[object, dict], str | None]


TASKS = (
    Task(
        "mask_padding_labels",
        "mask padding labels with -100 (seq2seq)",
        10,
        "DataCollatorForSeq2Seq(label_pad_token_id=-100) in src/day3/seq2seq/train.py",
        grade_mask,
    ),
    Task(
        "measure_forgetting",
        "forgetting on probes: before, after, drop",
        15,
        "score_probes in src/day3/forgetting/probes.py, ForgettingResult in forgetting/report.py",
        grade_forgetting,
    ),
    Task(
        "pick_strategy",
        "a strategy that fits a memory budget",
        15,
        "run_estimate in src/day3/estimate/memory.py",
        grade_memory,
    ),
    Task(
        "count_trainable",
        "trainable parameters: count and percent",
        10,
        "count_parameters in src/day3/classifier/strategies.py",
        grade_count,
    ),
    Task(
        "lora_targets",
        "LoRA target modules of any architecture",
        15,
        "LORA_TARGETS in src/day3/classifier/strategies.py; print(model) shows the layer names",
        grade_lora,
    ),
    Task(
        "compute_metrics",
        "compute_metrics for the Trainer: accuracy, macro-F1",
        15,
        "classification_metrics in src/day3/classifier/evaluate.py",
        grade_metrics,
    ),
)
END_TO_END = Task(
    "end_to_end",
    "your functions together on tiny models",
    20,
    "the hint names the step that failed",
    grade_end_to_end,
)
BY_NAME = {t.name: t for t in (*TASKS, END_TO_END)}


def error_hint(task: Task, error: dict) -> str:
    """The hint for a task that raised instead of returning."""
    kind, message, where = error["type"], error.get("message") or "", error.get("where")
    if kind == "NotImplementedError":
        return f"not done yet: {task.name} still raises NotImplementedError; write its body (see {task.how})"
    place = f" ({where})" if where else ""
    if kind == "SystemExit":
        return f"{task.name} called exit(){place}; return a value instead"
    said = f": {message}" if message else ""
    return f"{task.name} raised {kind}{said}{place}; fix it (see {task.how})"


def grade_outcome(task: Task, raw: dict) -> tuple[str, str | None]:
    """(status, hint) of one task from what the worker reported: "pass" (hint None), "fail" or
    "skip" (the kit cannot grade it here; it counts neither way)."""
    if "skip" in raw:
        return "skip", raw["skip"]
    if "problem" in raw:  # a timeout, a crash, a file that does not load, a missing function
        return "fail", raw["problem"]
    cases = raw.get("cases") or []
    if not cases:
        return "skip", f"the grader built no cases for {task.name}; a kit problem: report it"
    for case in cases:
        if "error" in case:
            return "fail", error_hint(task, case["error"])
        try:
            hint = task.grade(case.get("answer"), case["facts"])
        except Exception as e:  # an answer shaped so oddly that the grader tripped on it
            hint = f"the answer could not be read ({type(e).__name__}: {e}); return what the docstring says"
        if hint:
            return "fail", hint
    return "pass", None
