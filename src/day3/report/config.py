"""`ReportConfig`: what `day3 report` reads, where it writes, which documents it rewrites.
Its fields are the verb's flags (day3.core.flags): help, default and check exist here only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from day3.core.errors import UserError
from day3.core.flags import comma_list, option

GENERATED = Path("Slides/generated")  # the decks' images and includes, committed
DOCS = ("Slides/*.md", "LECTURE_NOTES.md")  # where the includes live


@dataclass
class ReportConfig:
    """`day3 report`: the slides' and notes' numbers, tables and figures, from run folders."""

    runs: Path = option(
        Path("runs"), positional=True, nargs="?", help="the folder holding your run folders"
    )
    output: Path | None = option(
        None,
        help=f"folder to write (default {GENERATED}; with --smoke a new temporary folder)",
    )
    smoke: bool = option(
        False,
        help="train tiny runs first (seconds) and report on them; the decks are left alone",
    )
    docs: tuple[str, ...] = option(
        (),
        parse=comma_list,
        help="Markdown files whose includes are rewritten, comma-separated (default: "
        "Slides/*.md and LECTURE_NOTES.md when writing Slides/generated; none with --smoke)",
    )
    rewrite: bool = option(
        True, flag="--no-rewrite", help="write the generated folder only, leave the documents"
    )
    time: tuple[str, ...] = option(
        (),
        parse=comma_list,
        help="lessons to run first with their default command, comma-separated; each wall "
        "time is kept in RUNS/lesson-times/ for the slides",
    )
    overwrite: bool = option(False, help="replace a non-empty --output")

    def __post_init__(self) -> None:
        self.runs = Path(self.runs).expanduser()
        self.replace_own = self.output is None and not self.smoke  # its own previous report
        if not self.smoke and not self.runs.is_dir():
            raise UserError(
                f"runs folder {self.runs} does not exist; run a lesson first (e.g. python "
                "3_FineTuning/distilbert_finetuning.py), pass the folder that holds your runs, "
                "or try --smoke"
            )
        if self.output is not None:
            self.output = Path(self.output).expanduser()
        elif not self.smoke:
            self.output = GENERATED
            if not GENERATED.parent.is_dir():
                raise UserError(
                    f"no {GENERATED.parent}/ here: run day3 report from the course folder, or "
                    "pass --output DIR for the generated files"
                )
        if isinstance(self.docs, str):
            self.docs = comma_list(self.docs)
        if isinstance(self.time, str):
            self.time = comma_list(self.time)
        if self.smoke and self.time:
            raise UserError(
                "--time runs real lessons and --smoke reports on tiny runs; use one of them"
            )
        for lesson in self.time:
            path = Path(lesson)
            if path.suffix != ".py" or not path.is_file():
                raise UserError(
                    f"--time {lesson}: not a lesson file; pass a path such as "
                    "3_FineTuning/distilbert_finetuning.py, from the course folder"
                )

    def documents(self) -> list[Path]:
        """The Markdown files to rewrite: the ones named, or by default the decks and notes
        (none for a smoke report, whose numbers mean nothing)."""
        if not self.rewrite:
            return []
        if self.docs:
            paths = [Path(d) for d in self.docs]
            missing = [str(p) for p in paths if not p.is_file()]
            if missing:
                raise UserError(f"--docs: no such file {', '.join(missing)}; check the path")
            return paths
        if self.smoke or Path(self.output).resolve() != GENERATED.resolve():
            return []  # the decks show Slides/generated: only that folder's includes go in
        return [p for pattern in DOCS for p in sorted(Path().glob(pattern))]
