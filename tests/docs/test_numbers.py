"""No measured number typed by hand: in the decks and the notes, anything that looks measured
(a decimal, a percentage, an "N× faster", a duration, a size, a rate) sits inside an include
that `day3 report` writes, inside code, or on the short allow-list below, each with its reason.
A number typed into prose goes stale the day the code changes; an include cannot."""

from __future__ import annotations

import re

import pytest

from tests.docs.markdown import DOCS, ROOT, prose, read

MEASURED = (
    (r"(?<![\w.])\d+\.\d+(?![\w.])", "a decimal"),
    (r"\d+(?:\.\d+)?\s*%", "a percentage"),
    (r"(?<![\w.])\d+(?:\.\d+)?\s*[x×](?![a-zA-Z0-9])(?!\s*\d)", "a ratio (N×)"),
    (
        r"\d+(?:\.\d+)?\s*(?:times|fold)\s+(?:faster|slower|sooner|more|less|fewer|smaller)",
        "a ratio",
    ),  # fmt: skip
    (
        r"(?<![\w.])\d+(?:\.\d+)?\s*(?:ms|s|secs?|seconds?|mins?|minutes?|h|hours?)(?![\w])",
        "a duration",
    ),  # fmt: skip
    (r"\d+-(?:second|minute|hour)", "a duration"),
    (r"\d+(?:\.\d+)?\s*(?:[KMGT]i?B)(?![\w])", "a size"),
    (r"\d[\d,]*\s*(?:sentences|samples|tokens|steps)/s", "a rate"),
)

# Quoted from elsewhere, not measured here: each with where it comes from.
ALLOWED = {
    "91.3": "DistilBERT's published SST-2 accuracy (Sanh et al. 2019), quoted as a reference",
    "2.0": "the Apache License 2.0 (its name)",
}


def findings(text: str) -> list[str]:
    found = []
    body = prose(text)
    for pattern, what in MEASURED:
        for m in re.finditer(pattern, body):
            if m.group(0).strip() in ALLOWED:
                continue
            line = body[: m.start()].count("\n")
            context = body.splitlines()[line].strip()[:100]
            found.append(f"{what} '{m.group(0).strip()}' in: {context}")
    return found


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_no_measured_number_outside_an_include(doc):
    assert findings(read(doc)) == []


def test_the_rule_catches_what_it_is_for():
    """The checker itself: typed numbers are caught, generated and quoted ones are not."""
    caught = findings("LoRA reached 0.87 accuracy, 3.2x faster, in 41 s (12% of the weights).")
    assert len(caught) == 4, caught
    assert findings("It took 2 minutes and used 1.2 GB; a 30-minute run.") != []
    clean = (
        "fine-tuning took <!-- include: numbers/time/x.txt -->41 s<!-- end include --> on 2 "
        "cores; `--lr 5e-4`, `0.5` in code\n```python\nprint(0.85)\n```\n"
        "DistilBERT's 91.3 on SST-2; days 1-2; 6:00 – 7:30; transformers 5"
    )
    assert findings(clean) == []
