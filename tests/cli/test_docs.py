"""Quoted commands cannot rot: every `day3 ...` command that the READMEs, benchmarks/RESULTS.md
or a lesson's docstring tells a reader to type is parsed by the real argument parser. A flag
that was renamed, or a required one left out, fails here, not in a learner's terminal."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest

from day3.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
ENV = re.compile(r"[A-Z_][A-Z0-9_]*=\S+")


def documents() -> dict[str, str]:
    """Text a reader copies commands from: Markdown files and lesson docstrings."""
    docs = {}
    for path in sorted(ROOT.glob("**/*.md")):
        if not any(part.startswith(".") or part in ("runs", "node_modules") for part in path.parts):
            docs[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    for path in sorted(ROOT.glob("[0-9]_*/*.py")) + sorted(ROOT.glob("benchmarks/*.py")):
        docs[str(path.relative_to(ROOT))] = ast.get_docstring(ast.parse(path.read_text())) or ""
    return docs


def shell_lines(text: str) -> list[str]:
    """Lines a reader types: in ```fenced``` shell blocks of Markdown (read fence by fence, so
    a ```python block's closing fence never opens one), indented lines of a docstring."""
    if "```" not in text:
        return [line for line in text.splitlines() if line.startswith("    ")]
    lines, language = [], None  # None: outside a block
    for line in text.splitlines():
        fence = line.strip()
        if fence.startswith("```"):
            language = fence[3:].strip().split(" ")[0] if language is None else None
        elif language in ("", "bash", "sh", "shell", "console"):
            lines.append(line)
    return lines


def day3_commands(text: str) -> list[str]:
    """`day3 …` as a shell line (after any VAR=value) or inside a `code span`."""
    text = text.replace("\\\n", " ")
    found = re.findall(r"`(day3 [^`\n]+)`", text)
    for line in shell_lines(text):
        line = line.strip().lstrip("$ ").split("  #")[0].split(" # ")[0].strip()
        words = line.split()
        while words and ENV.fullmatch(words[0]):
            words.pop(0)
        if words[:1] == ["day3"] and len(words) > 1:
            found.append(" ".join(words))
    return list(dict.fromkeys(found))


def as_argv(command: str) -> list[str]:
    """The arguments of one quoted command: `[optional parts]` and `a|b` alternatives as the
    reader would type them (the first alternative), `...` dropped."""
    command = re.sub(r"\[([^\]]*)\]", r"\1", command)  # [--private] -> --private
    argv = []
    for word in shlex.split(command)[1:]:
        if word in ("...", "…"):
            continue
        argv.append(word.split("|")[0] if "|" in word and not word.startswith("-") else word)
    return argv


def verb_names() -> set[str]:
    """Every verb and sub-verb: `day3 predict` in a sentence names a verb, it is no command."""
    import argparse

    names, todo = set(), [build_parser()]
    while todo:
        for action in todo.pop()._actions:
            if isinstance(action, argparse._SubParsersAction):
                names |= set(action.choices)
                todo += action.choices.values()
    return names


def is_command(command: str) -> bool:
    words = [w for w in command.split()[1:] if w not in ("...", "…")]
    if words and words[0].endswith(":"):  # `day3 VERB: error: …`, a message quoted
        return False
    return not set(words) <= verb_names()


CASES = [
    (doc, cmd)
    for doc, text in documents().items()
    for cmd in day3_commands(text)
    if is_command(cmd)
]


def test_the_docs_do_quote_commands():
    docs = {doc for doc, _ in CASES}
    assert {"README.md", "benchmarks/RESULTS.md"} <= docs
    assert len(CASES) >= 20


@pytest.mark.parametrize(("doc", "command"), CASES, ids=[f"{d}: {c[:60]}" for d, c in CASES])
def test_a_quoted_command_parses(doc, command, capsys):
    try:
        build_parser().parse_args(as_argv(command))
    except SystemExit as e:
        err = capsys.readouterr().err.strip().splitlines()
        pytest.fail(f"{doc}: `{command}` does not parse: {err[-1] if err else e}")


def test_counts_quoted_in_the_docs_are_the_codes():
    """A count in prose goes stale silently: the ones the docs quote are checked here."""
    from day3.miniflan.build import build_tokenizer

    size = len(build_tokenizer())
    for doc, text in documents().items():
        for quoted in re.findall(r"vocabulary of ([\d,]+)\s+tokens", text):
            assert int(quoted.replace(",", "")) == size, f"{doc}: {quoted} tokens, not {size}"
