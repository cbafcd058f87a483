"""The summary's facts (day3.summary.collect) as Markdown, and that Markdown as one HTML page.

Every number shown comes from a run folder; a value the folder did not have reads "n/a", never
0. Texts from the folders (strategy names, paths, hints) are escaped for a table cell, and the
HTML is rendered with raw HTML switched off, so a run folder can add no markup to the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

NA = "n/a"
EXERCISE_FILE = "4_WrapUpAndDemo/final_exercise.py"


def markdown(facts: dict) -> str:
    """The whole summary: your outputs, section by section, the exercise, the skipped folders,
    then each session's takeaways and the further reading."""
    parts = [head(facts)]
    if facts["outputs"] == 0:
        parts.append(no_runs(facts))
    parts += [
        trained(facts["classifier_runs"]),
        comparisons(facts["comparisons"]),
        forgetting(facts["forgetting"]),
        benchmarks(facts["benchmarks"]),
        throughput(facts["throughput"]),
        uploads(facts["uploads"]),
        journeys(facts["journeys"]),
        others(facts["other"]),
        exercise(facts),
        skipped(facts),
        takeaways(facts["sessions"]),
        reading(facts["reading"]),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def head(facts: dict) -> str:
    where = code(facts["runs_dir"])
    if facts["outputs"] == 0:
        return f"# Course summary\n\nBuilt from the run folders under {where}."
    first, last = facts["first"], facts["last"]
    span = first if first == last else f"{first or 'an unknown date'} to {last}"
    return (
        f"# Course summary\n\nBuilt from the run folders under {where}: "
        f"{count(facts['outputs'], 'output')}, written {span or 'at unknown dates'}."
    )


def no_runs(facts: dict) -> str:
    return (
        f"**No run folders under {code(facts['runs_dir'])} yet.** Your own numbers (what you "
        "trained, its accuracy, forgetting and strategies tables, your exercise score) appear "
        "here once you have run the lessons: start with "
        "`python 3_FineTuning/distilbert_finetuning.py` (add `--smoke` for a seconds-long "
        "plumbing run), or pass the folder that holds your runs: `day3 summary PATH`. Below "
        "are the course's takeaways and further reading."
    )


def trained(runs: list[dict]) -> str:
    if not runs:
        return ""
    heads = ["run", "date", "model", "strategy", "data", "train / val"]
    heads += ["accuracy (before → after)", "macro-F1", "trainable params", "train s"]
    rows = [
        [code(r["path"]), r["date"], r["model"], r["strategy"], r["data"],
         f"{fmt(r['n_train'], '{:,}')} / {fmt(r['n_validation'], '{:,}')}",
         _before_after(r["baseline_accuracy"], r["accuracy"]), fmt(r["f1"], "{:.4f}"),
         _trainable(r["trainable_params"], r["trainable_percent"]),
         fmt(r["train_seconds"], "{:.1f}")]
        for r in runs
    ]  # fmt: skip
    text = "## What you trained\n\n" + table(heads, rows)
    scored = [r for r in runs if r["accuracy"] is not None]
    best = max(scored, key=lambda r: r["accuracy"], default=None)
    if best is not None and min(r["accuracy"] for r in scored) < best["accuracy"]:
        text += (
            f"\n\nHighest validation accuracy: {best['accuracy']:.4f} in {code(best['path'])} "
            f"(strategy {cell(best['strategy'])}; data: {cell(best['data'])})"
            + _also(sum(r["accuracy"] == best["accuracy"] for r in scored) - 1)
            + ". Runs on other data or other validation sets are not comparable with each other."
        )
    return text


def comparisons(reports: list[dict]) -> str:
    heads = ["strategy", "accuracy", "trainable %", "saved MB", "train s", "peak MB"]
    heads += ["STS-B drop"]

    def rows(report: dict) -> list[list]:
        return [
            [r["strategy"], fmt(r["accuracy"], "{:.4f}"), fmt(r["trainable_percent"], "{:.2f}"),
             fmt(r["saved_mb"], "{:.2f}"), fmt(r["train_seconds"], "{:.1f}"),
             fmt(r["peak_memory_mb"], "{:.0f}"), fmt(r["sts_drop"], "{:+.4f}")]
            for r in report["rows"]
        ]  # fmt: skip

    def title(report: dict) -> str:
        on = f" on {cell(report['new_task'])}" if report["new_task"] else ""
        return f"{cell(report['model'] or 'a model')}{on}"

    note = (
        "Same data, steps and seed in every row of a table. STS-B drop = similarity score "
        "before minus after training (positive: forgotten); n/a where it was not measured."
    )
    return _reports("Your strategies comparisons", reports, title, heads, rows, note)


def forgetting(reports: list[dict]) -> str:
    heads = ["strategy", "new-task score", "average forgetting", "train s"]

    def rows(report: dict) -> list[list]:
        return [
            [r["strategy"], fmt(r["new_task_score"], "{:.4f}"),
             fmt(r["average_forgetting"], "{:+.4f}"), fmt(r["train_seconds"], "{:.1f}")]
            for r in report["rows"]
        ]  # fmt: skip

    def title(report: dict) -> str:
        model = cell(report["model"] or "a model") + (" (stand-in)" if report["stand_in"] else "")
        probes = ", ".join(cell(p) for p in report["probes"]) or NA
        return f"{model} → {cell(report['new_task'] or 'a new task')}; probes: {probes}"

    note = (
        "average forgetting = mean over the probes of (score before − score after): positive "
        "means the model lost that ability. Higher new-task score is better, lower forgetting "
        "is better."
    )
    return _reports("Your forgetting measurements", reports, title, heads, rows, note)


def benchmarks(reports: list[dict]) -> str:
    heads = ["row", "real tokens/s", "padding", "MFU", "peak MB", "accuracy", "train s"]

    def rows(report: dict) -> list[list]:
        return [
            [r["name"], fmt(r["tokens_per_second"], "{:,.0f}"),
             fmt(r["padding_fraction"], "{:.0%}"), fmt(r["mfu"], "{:.2%}"),
             fmt(r["peak_memory_mb"], "{:.0f}"), fmt(r["accuracy"], "{:.4f}"),
             fmt(r["train_seconds"], "{:.1f}")]
            for r in report["rows"]
        ]  # fmt: skip

    def title(report: dict) -> str:
        return cell(report["model"] or "a model")

    note = "padding = share of the tokens that were padding; MFU = share of this machine's peak."
    return _reports("Your training benchmarks", reports, title, heads, rows, note)


def throughput(reports: list[dict]) -> str:
    heads = ["method", "batch", "dtype", "sentences/s", "× naive"]

    def rows(report: dict) -> list[list]:
        return [
            [r["method"], fmt(r["batch_size"], "{}"), r["dtype"],
             fmt(r["sentences_per_second"], "{:,.0f}"), fmt(r["speedup"], "{:.1f}")]
            for r in report["rows"]
        ]  # fmt: skip

    def title(report: dict) -> str:
        return f"{fmt(report['sentences'], '{:,}')} sentences of {cell(report['data'] or NA)}"

    return _reports("Your inference speed", reports, title, heads, rows, "")


def _reports(
    heading: str,
    reports: list[dict],
    title: Callable[[dict], str],
    heads: list[str],
    rows: Callable[[dict], list[list]],
    note: str,
) -> str:
    """One section: a sub-heading and a table per report, then the note on reading them."""
    if not reports:
        return ""
    parts = [f"## {heading}"]
    for report in reports:
        parts.append(f"### {code(report['path'])}: {title(report)} ({report['date'] or NA})")
        parts.append(table(heads, rows(report)))
    if note:
        parts.append(note)
    return "\n\n".join(parts)


def uploads(staged: list[dict]) -> str:
    if not staged:
        return ""
    lines = [
        f"- {code(u['path'])} ({u['date'] or NA}): {cell(u['model'] or 'a model')}, "
        f"{cell(u['strategy'] or NA)}, validation accuracy {fmt(u['accuracy'], '{:.4f}')}; "
        + ("model card README.md" if u["card"] else "no model card")
        for u in staged
    ]
    return "## Your staged uploads\n\nExactly what `day3 push` would upload:\n\n" + "\n".join(lines)


def journeys(runs: list[dict]) -> str:
    if not runs:
        return ""
    heads = ["report", "date", "model", "strategy", "data", "accuracy (zero-shot → tuned)"]
    heads += ["macro-F1", "forgetting probe (before → after)", "total s"]
    rows = [
        [code(j["path"]), j["date"], j["model"], j["strategy"], j["data"],
         _before_after(j["zero_shot_accuracy"], j["accuracy"]), fmt(j["f1"], "{:.4f}"),
         Markup(f"{cell(j['probe'])}: {_before_after(j['probe_before'], j['probe_after'])}"),
         fmt(j["seconds"], "{:.0f}")]
        for j in runs
    ]  # fmt: skip
    return "## Your journeys\n\nThe day in one run (`day3 journey`):\n\n" + table(heads, rows)


def others(outputs: list[dict]) -> str:
    if not outputs:
        return ""
    rows = [[o["kind"], code(o["path"]), o["date"], _files(o["files"])] for o in outputs]
    return "## Your other outputs\n\n" + table(["kind", "folder", "date", "files"], rows)


def exercise(facts: dict) -> str:
    check = facts["exercise"]
    if check is None:
        return (
            "## Final exercise\n\nNo exercise score yet: fill in "
            f"{code(EXERCISE_FILE)}, then grade it with `day3 check` (or "
            f"`python {EXERCISE_FILE}`); it saves your score in `runs/final-exercise`, and once "
            f"that folder is under {code(facts['runs_dir'])} the score shows here."
        )
    head = (
        f"## Final exercise\n\nScore **{check['score']:g}/{check['max_score']:g}** "
        f"({code(check['path'])}, {check['date'] or NA})."
    )
    graded = facts["exercise_checks"]
    if len(graded) > 1:
        best = max(graded, key=lambda c: c["score"])
        head += (
            f" The latest of {len(graded)} gradings; the best: "
            f"{best['score']:g}/{best['max_score']:g}."
        )
    if not check["tasks"]:
        return head
    rows = [
        [t["name"], f"{fmt(t['points'], '{:g}')}/{fmt(t['max_points'], '{:g}')}",
         {True: "pass", False: "FAIL", None: "skipped"}[t["passed"]], t["hint"] or ""]
        for t in check["tasks"]
    ]  # fmt: skip
    return head + "\n\n" + table(["task", "points", "result", "hint"], rows)


def skipped(facts: dict) -> str:
    lines = [f"- {code(s['path'])}: {cell(s['why'])}" for s in facts["skipped"]]
    if facts["truncated"]:
        lines.append(
            "- the search stopped after a great many folders: pass the folder that holds your "
            "runs (`day3 summary PATH`)"
        )
    if not lines:
        return ""
    return "## Skipped\n\nNot summarized, and why:\n\n" + "\n".join(lines)


def takeaways(sessions: list[dict]) -> str:
    parts = ["## Key takeaways"]
    for s in sessions:
        bullets = "\n".join(f"- {t}" for t in s["takeaways"])
        if s["yours"]:
            yours = ", ".join(f"{n} × {kind}" for kind, n in s["yours"].items())
            mine = f"Your outputs from this session: {yours}."
        else:
            mine = f"None of your run folders comes from this session yet: try `{s['start']}`."
        parts.append(f"### Session {s['number']}: {s['title']} ({code(s['folder'] + '/')})")
        parts.append(bullets + "\n\n" + mine)
    return "\n\n".join(parts)


def reading(refs: list[dict]) -> str:
    lines = [
        f"- **{r['topic']}**: {r['cite']} ({_link(r['where'])}). {r['says'][:1].upper()}"
        f"{r['says'][1:]}"
        for r in refs
    ]
    return "## Further reading\n\n" + "\n".join(lines)


def html(text: str, title: str = "Course summary") -> str:
    """The Markdown as a standalone page (tables, headings, links; raw HTML shown as text)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("js-default").render(text)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}"
        "</body>\n</html>\n"
    )


CSS = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5}table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;"
    "padding:.25rem .5rem;text-align:left}th{background:#f3f3f3}code{background:#f3f3f3;"
    "padding:0 .2rem}"
)


def table(heads: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = ["| " + " | ".join(heads) + " |", "|" + " --- |" * len(heads)]
    lines += ["| " + " | ".join(_cell_of(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell_of(value) -> str:
    # A cell built here (code spans, formatted numbers) is already escaped; None is n/a.
    return NA if value is None else str(value) if isinstance(value, Markup) else cell(value)


class Markup(str):
    """Text built by this module, already safe for a table cell."""


def cell(value) -> str:
    """A text from a run folder, safe in a Markdown table cell: one line, pipes escaped."""
    if value is None:
        return NA
    return _one_line(value).replace("\\", "\\\\").replace("|", "\\|")


def code(text: str) -> Markup:
    """A path or command as a code span (where a backslash is itself: only pipes escaped)."""
    return Markup("`" + _one_line(text).replace("`", "'").replace("|", "\\|") + "`")


def _one_line(value) -> str:
    return " ".join(str(value).split())


def fmt(value, pattern: str) -> Markup:
    return Markup(NA if value is None else pattern.format(value))


def count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _before_after(before: float | None, after: float | None) -> Markup:
    if before is None:
        return fmt(after, "{:.4f}")
    return Markup(f"{before:.4f} → {fmt(after, '{:.4f}')}")


def _trainable(params: int | None, percent: float | None) -> Markup:
    if params is None:
        return Markup(NA)
    return Markup(f"{params:,}" + ("" if percent is None else f" ({percent:.2f}%)"))


def _also(n: int) -> str:
    return f", reached by {count(n, 'other run')} too" if n else ""


def _files(names: list[str], shown: int = 6) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f", +{more} more" if more > 0 else "") or "(empty)"


def _link(where: str) -> str:
    if where.startswith("arXiv:"):
        return f"[{where}](https://arxiv.org/abs/{where.removeprefix('arXiv:')})"
    return f"<{where}>"
