"""Include markers: only the text between them changes, and every mistake in them is refused with
its line (a lost end marker would otherwise let a rewrite swallow the slides up to the next)."""

from __future__ import annotations

import pytest

from day3.core.errors import UserError
from day3.report.includes import folder_content, references, render

DOC = """# A slide

<!-- include: tables/t.md -->
| old | table |
<!-- end include -->

Took <!-- include: numbers/n.txt -->41 s<!-- end include --> here.

![w:500](generated/figures/f.png)
"""
FILES = {"tables/t.md": "| new | table |\n| --- | --- |\n| 1 | 2 |\n", "numbers/n.txt": "7 s\n"}


def test_render_replaces_only_the_bodies():
    out = render(DOC, FILES.get)
    assert "| old | table |" not in out and "| 1 | 2 |" in out
    assert "Took <!-- include: numbers/n.txt -->7 s<!-- end include --> here." in out
    assert (
        out.replace("| new | table |\n| --- | --- |\n| 1 | 2 |", "| old | table |").replace(
            "7 s", "41 s"
        )
        == DOC
    )  # nothing outside the markers moved
    assert render(out, FILES.get) == out  # a second run changes nothing


def test_references_name_every_include_and_image_with_its_kind():
    refs = [(r.name, r.line, r.kind) for r in references(DOC)]
    assert refs == [
        ("tables/t.md", 3, "block"),
        ("numbers/n.txt", 7, "inline"),
        ("figures/f.png", 9, "image"),
    ]
    notes = references("![x](Slides/generated/figures/g.png) ![y](other/h.png)")
    assert [r.name for r in notes] == ["figures/g.png"]  # from the root, as the notes write it


def test_an_inline_number_stays_on_its_line():
    out = render(
        "a <!-- include: numbers/n.txt -->x<!-- end include --> b", {"numbers/n.txt": "1\n2\n"}.get
    )
    assert out == "a <!-- include: numbers/n.txt -->1 2<!-- end include --> b"


def test_a_name_the_report_does_not_make_is_refused_with_its_line():
    with pytest.raises(UserError, match=r"deck.md:7: include numbers/n.txt is not something"):
        render(DOC, {"tables/t.md": "x"}.get, where="deck.md")


@pytest.mark.parametrize(
    "text, message",
    [
        ("a\n<!-- include: tables/t.md -->\nold\n", r"doc:2: an include marker without its"),
        (
            "<!-- include: tables/t.md -->\n<!-- include: numbers/n.txt -->1<!-- end include -->"
            "\n<!-- end include -->",
            r"doc:1: include tables/t.md holds another include",
        ),
    ],
    ids=["no end marker", "nested"],
)
def test_broken_markers_are_refused(text, message):
    with pytest.raises(UserError, match=message):
        render(text, FILES.get, where="doc")


def test_folder_content_reads_only_text_inside_the_folder(tmp_path):
    root = tmp_path / "generated"
    (root / "tables").mkdir(parents=True)
    (root / "tables" / "t.md").write_text("| a |\n")
    (root / "figures").mkdir()
    (root / "figures" / "f.png").write_bytes(b"\x89PNG")
    (tmp_path / "secret.md").write_text("outside")
    content = folder_content(root)
    assert content("tables/t.md") == "| a |\n"
    assert content("tables/none.md") is None
    assert content("figures/f.png") is None  # an image is linked, never inlined
    assert content("../secret.md") is None


def test_a_marker_in_a_code_block_is_an_example_and_stays():
    text = (
        "```text\n<!-- include: tables/none.md -->\nexample\n<!-- end include -->\n"
        "![](generated/figures/none.png)\n```\n\n"
        "<!-- include: numbers/n.txt -->old<!-- end include -->\n"
        "```text\n<!-- include: tables/t.md -->\n```\n"  # an opening alone, in code: no error
        "and in a span: `![](generated/figures/NAME.png)`\n"
    )
    out = render(text, FILES.get)
    assert out == text.replace("-->old<", "-->7 s<")
    assert [r.name for r in references(text)] == ["numbers/n.txt"]
