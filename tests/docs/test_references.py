"""Nothing in the decks or the notes points at a figure, table or number that `day3 report`
does not make, and nothing generated in them has drifted from Slides/generated/."""

from __future__ import annotations

import json
import re

import pytest

from day3.report.includes import check_markers, folder_content, references, render
from day3.report.run import known_names
from tests.docs.markdown import ALL_DOCS, DECKS, NOTES, ROOT, read, slides

GENERATED = ROOT / "Slides" / "generated"
IDS = [str(d.relative_to(ROOT)) for d in ALL_DOCS]
# What a smoke report cannot make: lessons it does not stand in for have no timing.
SMOKE_MISSING = {
    "numbers/time/datasets_library.txt",
    "numbers/time/course_summary.txt",
    "numbers/time/final_exercise.txt",
}


def refs(doc):
    return references(read(doc))


def test_the_decks_and_notes_exist_and_use_the_report():
    assert [d.name for d in DECKS] == [
        "01_Morning_Recap.md", "02_HuggingFace_Intro.md", "03_Training_LLMs.md",
        "04_FineTuning_Strategies.md", "05_Course_Recap.md",
    ]  # fmt: skip
    for doc in [*DECKS, NOTES] if NOTES.is_file() else DECKS:
        kinds = {r.kind for r in refs(doc)}
        assert {"block", "image"} <= kinds or doc == DECKS[-1], (doc.name, kinds)


@pytest.mark.parametrize("doc", ALL_DOCS, ids=IDS)
def test_every_reference_is_something_the_report_makes(doc):
    text = read(doc)
    check_markers(text, doc.name)  # every include closed, none nested
    unknown = [f"{r.line}: {r.name}" for r in refs(doc) if r.name not in known_names()]
    assert unknown == []
    inline = [r for r in refs(doc) if r.kind == "inline"]
    assert all(r.name.startswith("numbers/") for r in inline), inline
    blocks = [r for r in refs(doc) if r.kind == "block"]
    assert all(r.name.startswith("tables/") for r in blocks), blocks


@pytest.mark.parametrize("doc", ALL_DOCS, ids=IDS)
def test_the_smoke_report_makes_every_reference(doc, smoke):
    missing = [r.name for r in refs(doc) if not (smoke / r.name).is_file()]
    assert missing == []
    rendered = render(read(doc), folder_content(smoke), doc.name)
    assert len(references(rendered)) == len(refs(doc))  # only the bodies changed


def test_the_smoke_report_fills_every_section(smoke):
    manifest = json.loads((smoke / "manifest.json").read_text())
    assert set(manifest["files"]) == known_names()
    missing = {n for n, e in manifest["files"].items() if e["missing"]}
    assert missing == SMOKE_MISSING
    for name in known_names() - missing:
        path = smoke / name
        assert path.stat().st_size > 0, name
        if name.endswith(".md") or name.endswith(".txt"):
            assert "not measured yet" not in path.read_text(), name


@pytest.mark.parametrize("doc", ALL_DOCS, ids=IDS)
def test_the_documents_hold_what_slides_generated_holds(doc):
    """A number edited by hand between the markers, or a generated folder regenerated without
    rewriting the documents, fails here: `day3 report runs/` puts them back in step."""
    text = read(doc)
    assert render(text, folder_content(GENERATED), doc.name) == text
    for r in refs(doc):
        assert (GENERATED / r.name).is_file(), f"{r.name} is not in Slides/generated"


def test_every_hands_on_slide_gives_its_command_and_its_time():
    """A slide that tells the learner to run a lesson says how long that lesson took here, and
    every timed lesson has such a slide. (The demo app serves until Ctrl-C: it has no time.)"""
    from day3.report.timing import LESSONS

    seen, timed = 0, set()
    for deck in DECKS:
        for slide in slides(deck):
            if not re.search(r"^# Hands-on", slide, re.M):
                continue
            seen += 1
            lessons = re.findall(r"^python (\d_\w+/(\w+)\.py)", slide, re.M)
            verbs = re.findall(r"^day3 \w+", slide, re.M)
            assert lessons or verbs, f"{deck.name}: a hands-on slide without a command"
            if lessons and lessons[0][0] in LESSONS:
                name = f"numbers/time/{lessons[0][1]}.txt"
                assert f"include: {name}" in slide, f"{deck.name}: {lessons[0][0]} without its time"
                timed.add(lessons[0][0])
    assert seen >= 12
    assert timed == set(LESSONS), f"lessons without a hands-on slide: {set(LESSONS) - timed}"
