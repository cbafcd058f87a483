"""Every fenced Python or shell block of the decks and the notes runs, or says why it cannot.

- Python blocks are executed, each in a fresh namespace, one document's blocks in order in one
  temporary folder (a later block may read what an earlier one wrote). A block that trains says
  how it runs small here with a `<!-- smoke: OLD => NEW -->` comment just above it: the test
  makes those replacements (each OLD must be in the block) and runs the result.
- Shell lines: `day3 ...` is parsed by the real argument parser (a renamed or missing flag
  fails), and the cheap verbs (estimate on paper, overview) are also run; `python LESSON ...`
  must be one of the commands the lesson's own docstring gives (tests/lessons runs its smoke
  form from a fresh shell); `torchrun`/`accelerate launch ... -m day3.cli ...` are parsed the
  same way; `make TARGET` must be a Makefile target; `source`/`export` set up the shell.
- A block that cannot run here (a GPU, the Hub, a token) carries `<!-- illustrative: why -->`
  just above it; a block without a language is refused (say what it is).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap

import pytest

from tests.cli.test_docs import as_argv
from tests.docs.markdown import DOCS, ROOT, Block, blocks
from tests.lessons.test_lessons import LESSONS, PRODUCES, docstring_commands

BLOCKS = [b for doc in DOCS if doc.is_file() for b in blocks(doc)]
CODE = [b for b in BLOCKS if b.language in ("python", "shell")]
ENV = re.compile(r"[A-Z_][A-Z0-9_]*=\S+")
CHEAP = {"estimate", "overview"}  # verbs that run in seconds without training anything


def normal(command: str) -> str:
    return " ".join(shlex.split(command))


def lesson_commands() -> dict[str, set[str]]:
    return {str(p.relative_to(ROOT)): {normal(c) for c in docstring_commands(p)} for p in LESSONS}


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m[1] for line in text.splitlines() if (m := re.match(r"^([\w.-]+)\s*:(?!=)", line))}


def shell_lines(block: Block) -> list[str]:
    text = block.code.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip().removeprefix("$ ")
        line = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def check_shell_line(line: str, parser, lessons: dict, targets: set) -> list[str] | None:
    """None when the line is fine without running; else the day3 argv to parse (and maybe run)."""
    words = shlex.split(line)
    while words and ENV.fullmatch(words[0]):
        words.pop(0)
    head = words[0] if words else ""
    if head == "source" and words[1:] == [".venv/bin/activate"] or head == "export":
        return None
    if head == "make":
        unknown = [t for t in words[1:] if t not in targets]
        assert not unknown, f"`{line}`: no Makefile target {unknown}"
        return None
    if head == "python":
        lesson = words[1] if len(words) > 1 else ""
        assert lesson in lessons, f"`{line}`: {lesson} is not a lesson of the course"
        assert normal(line) in lessons[lesson], (
            f"`{line}` is not one of the commands {lesson} gives in its docstring: "
            f"{sorted(lessons[lesson])}"
        )
        assert lesson in PRODUCES, f"{lesson}: tests/lessons does not run it"
        return None
    if head in ("torchrun", "accelerate"):
        assert "-m" in words and words[words.index("-m") + 1] == "day3.cli", line
        if "--config_file" in words:
            config = ROOT / words[words.index("--config_file") + 1]
            assert config.is_file(), f"`{line}`: {config} does not exist"
        return as_argv("day3 " + " ".join(words[words.index("-m") + 2 :]))
    assert head == "day3", f"`{line}`: not a command the test knows how to check; mark the block"
    return as_argv(shlex.join(words))


def test_every_block_says_what_it_is():
    unnamed = [b.where() for b in BLOCKS if b.language == "none"]
    assert unnamed == [], "fenced blocks without a language (```python, ```bash, ```text)"
    assert len(CODE) >= 15  # the decks and notes do show code


def test_illustrative_blocks_say_why():
    for b in CODE:
        if b.marker and b.marker[0] == "illustrative":
            assert len(b.marker[1].split()) >= 2, f"{b.where()}: say why it cannot run here"


def test_shell_blocks_name_real_commands(capsys):
    from day3.cli.main import build_parser

    lessons, targets = lesson_commands(), makefile_targets()
    checked = 0
    for b in CODE:
        if b.language != "shell" or (b.marker and b.marker[0] == "illustrative"):
            continue
        for line in shell_lines(b):
            argv = check_shell_line(line, build_parser(), lessons, targets)
            checked += 1
            if argv is None:
                continue
            try:
                build_parser().parse_args(argv)
            except SystemExit:
                err = capsys.readouterr().err.strip().splitlines()
                pytest.fail(f"{b.where()}: `{line}` does not parse: {err[-1] if err else ''}")
    assert checked >= 20


@pytest.mark.slow
def test_the_cheap_day3_commands_run(tmp_path):
    """Parsing proves the flags exist; running the cheap ones proves they work."""
    cheap = []
    for b in CODE:
        if b.language == "shell" and not (b.marker and b.marker[0] == "illustrative"):
            for line in shell_lines(b):
                words = [w for w in shlex.split(line) if not ENV.fullmatch(w)]
                if words[:1] == ["day3"] and words[1:2] and words[1] in CHEAP and \
                        "--measure" not in words:  # fmt: skip
                    cheap.append(as_argv(shlex.join(words)))
    assert cheap, "the decks quote no cheap day3 command"
    env = {**os.environ, "DAY3_OFFLINE": "1"}
    for argv in dict.fromkeys(map(tuple, cheap)):
        done = subprocess.run([sys.executable, "-m", "day3.cli", *argv], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, f"day3 {' '.join(argv)}: {done.stderr[-1500:]}"
        assert done.stdout.strip() or done.stderr.strip()


RUNNER = textwrap.dedent(
    """
    import json, os, sys, traceback
    from day3.core.env import configure
    configure()
    failures = []
    for cwd, where, code in json.load(open(sys.argv[1])):
        os.chdir(cwd)  # one folder per document: its blocks share it, in order
        try:
            exec(compile(code, where, "exec"), {"__name__": "__main__"})
        except BaseException:
            failures.append([where, traceback.format_exc(limit=3)[-2000:]])
    print(json.dumps(failures))
    """
)


def smoke_code(b: Block) -> str:
    code = b.code
    if b.marker and b.marker[0] == "smoke":
        for pair in b.marker[1].split(";"):
            old, _, new = (part.strip() for part in pair.partition("=>"))
            assert old and old in code, f"{b.where()}: smoke replacement {old!r} not in the block"
            code = code.replace(old, new)
    return code


@pytest.mark.slow
def test_python_blocks_run(tmp_path):
    """All documents' blocks in one process (one torch import), each document in its folder."""
    todo = []
    for b in CODE:
        if b.language == "python" and not (b.marker and b.marker[0] == "illustrative"):
            cwd = tmp_path / b.doc.stem
            cwd.mkdir(exist_ok=True)
            todo.append([str(cwd), b.where(), smoke_code(b)])
    assert len({cwd for cwd, _, _ in todo}) >= 3, "too few documents with runnable Python"
    (tmp_path / "runner.py").write_text(RUNNER)
    (tmp_path / "blocks.json").write_text(json.dumps(todo))
    env = {**os.environ, "DAY3_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(tmp_path / "runner.py"), str(tmp_path / "blocks.json")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    failures = json.loads(done.stdout.strip().splitlines()[-1])
    assert failures == [], "\n\n".join(f"{w}:\n{t}" for w, t in failures)
