"""Session 4 and the whole day: the journey's stages, every lesson's measured time, and the
table of which command makes which input (Slides/README.md shows it)."""

from __future__ import annotations

from day3.report.sections import COMPUTED, Section, Sink, source_line, table
from day3.report.timing import FOLDER, KIND, LESSONS, duration, read_records, stem


def _journey(found, inputs, sink: Sink) -> None:
    report = found.json("journey.json")
    timings, facts = report.get("timings", []), report.get("facts", {})
    rows = [[t["stage"], f"{t['seconds']:.1f}"] for t in timings]
    total = sum(t["seconds"] for t in timings)
    rows.append(["**total**", f"**{total:.1f}**"])
    s = report.get("settings", {})
    extra = f"; {s.get('model')}, {s.get('strategy')}, {s.get('epochs')} epochs"
    sink.text(
        "tables/journey.md",
        table(["stage", "seconds"], rows) + "\n\n" + source_line(inputs, found, extra),
    )
    sink.text("numbers/journey.total.txt", duration(total))
    pick = {
        "journey.zero_shot": ("zero-shot", "accuracy"),
        "journey.accuracy": ("evaluate", "accuracy"),
        "journey.drop": ("forgetting", "drop"),
    }
    for name, (stage, key) in pick.items():
        value = facts.get(stage, {}).get(key)
        text = (
            "(not in this run)" if value is None else f"{value:{'+' if key == 'drop' else ''}.3f}"
        )
        sink.text(f"numbers/{name}.txt", text)


JOURNEY = Section(
    key="journey",
    what="the end-to-end journey: each stage and its time",
    command="python 4_WrapUpAndDemo/journey_demo.py",
    names=(
        "tables/journey.md",
        "numbers/journey.total.txt",
        "numbers/journey.zero_shot.txt",
        "numbers/journey.accuracy.txt",
        "numbers/journey.drop.txt",
    ),
    find=lambda inputs: inputs.pick("journey", ("journey/report",)),
    make=_journey,
)


def time_name(lesson: str) -> str:
    return f"numbers/time/{stem(lesson)}.txt"


def time_command(lesson: str) -> str:
    return f"day3 report runs/ --time {lesson}"


def _times(found, inputs, sink: Sink) -> None:
    records = read_records([o.path for o in inputs.of_kind(KIND)])
    rows = []
    for lesson in LESSONS:
        rec = records.get(stem(lesson))
        if rec is None:
            sink.missing(time_name(lesson), "not timed yet", time_command(lesson))
            rows.append([f"`{lesson}`", "not timed yet", ""])
            continue
        text = f"{duration(rec['seconds'])} on {rec['cpus']} CPU cores"
        sink.text(time_name(lesson), text, source=f"{inputs.runs.name}/{FOLDER}")
        rows.append([f"`{rec['command']}`", text, rec.get("date", "")])
    note = (
        f"<sub>Each lesson timed by `{time_command('LESSON')}`: its default command, whole.</sub>"
    )
    sink.text(
        "tables/lesson_times.md", table(["command", "wall time", "date"], rows) + "\n\n" + note
    )


TIMES = Section(
    key="times",
    what="every lesson's wall time here, run with its default command",
    command=time_command("LESSON"),
    names=(*(time_name(lesson) for lesson in LESSONS), "tables/lesson_times.md"),
    find=lambda inputs: COMPUTED,
    make=_times,
)

SECTIONS = (JOURNEY, TIMES)


def inputs_table(sections, sink: Sink) -> str:
    """Which input each section used (or lacks) and the command that makes it."""
    rows = []
    for section in sections:
        entries = [sink.entries[n] for n in section.names]
        sources = sorted({e["source"] for e in entries if e["source"]})
        missing = sum(e["missing"] for e in entries)
        used = ", ".join(f"`{s}`" for s in sources) if sources else "—"
        state = f"{missing} of {len(entries)} missing" if missing else "all made"
        rows.append(
            [
                section.what,
                used,
                f"`{section.command}`"
                if " " in section.command and not section.command.startswith("nothing")
                else section.command,
                state,
            ]
        )
    return table(["what", "input used", "made by", "files"], rows)
