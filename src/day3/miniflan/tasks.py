"""The instruction tasks of the mini-FLAN stand-in: FLAN-style prompts generated from small
vocabularies, so that a few-million-parameter T5 can learn all of them on a laptop CPU.

Each task is a function `make(rng) -> (prompt, answer)`. Training and held-out evaluation sets
are drawn from the same generator with different seeds and the evaluation prompts are removed
from training, so a score measures generalisation to new combinations, not recall.
`max` is kept out of the pretraining mixture: it is the *new* task fine-tuned later, to measure
what learning it makes the model forget.
"""

from __future__ import annotations

import random
from collections.abc import Callable

COLORS = ["red", "blue", "green", "yellow", "black", "white", "purple", "orange"]

ANIMALS = ["cat", "dog", "bird", "fish", "horse", "cow", "fox", "bear", "lion", "mouse"]


NAMES = ["anna", "ben", "carl", "dora", "emma", "fred", "gina", "hugo", "ivy", "jack"]

OBJECTS = ["ball", "book", "hat", "cup", "box", "car", "key", "lamp", "kite", "drum"]


DIGITS = [str(d) for d in range(10)]

FRENCH = {
    "red": "rouge",
    "blue": "bleu",
    "green": "vert",
    "yellow": "jaune",
    "black": "noir",
    "white": "blanc",
    "purple": "violet",
    "orange": "orange",
    "cat": "chat",
    "dog": "chien",
    "bird": "oiseau",
    "fish": "poisson",
    "horse": "cheval",
    "cow": "vache",
    "fox": "renard",
    "bear": "ours",
    "lion": "lion",
    "mouse": "souris",
}


POSITIVE = ["great", "wonderful", "moving", "funny", "beautiful", "clever", "superb", "charming"]

NEGATIVE = ["boring", "dull", "awful", "clumsy", "tedious", "silly", "bland", "terrible"]


ASPECTS = ["plot", "acting", "music", "ending", "script", "film", "cast", "story"]

WORDS = COLORS + ANIMALS + OBJECTS


def category(rng: random.Random) -> tuple[str, str]:
    kinds = {"color": COLORS, "animal": ANIMALS, "object": OBJECTS}
    kind = rng.choice(list(kinds))
    others = [w for k, ws in kinds.items() if k != kind for w in ws]
    words = rng.sample(others, rng.randint(2, 4))
    answer = rng.choice(kinds[kind])
    words.insert(rng.randint(0, len(words)), answer)
    article = "an" if kind[0] in "aeiou" else "a"
    return f"which word is {article} {kind} : {' '.join(words)}", answer


def last_word(rng: random.Random) -> tuple[str, str]:
    words = [rng.choice(WORDS) for _ in range(rng.randint(2, 7))]
    return f"what is the last word : {' '.join(words)}", words[-1]


def member(rng: random.Random) -> tuple[str, str]:
    words = rng.sample(ANIMALS + OBJECTS, rng.randint(2, 5))
    present = rng.random() < 0.5
    target = (
        rng.choice(words)
        if present
        else rng.choice([w for w in ANIMALS + OBJECTS if w not in words])
    )
    return f"is there a {target} in : {' '.join(words)}", "yes" if present else "no"


def question(rng: random.Random) -> tuple[str, str]:
    people = rng.sample(NAMES, rng.randint(2, 3))
    things = rng.sample(OBJECTS, len(people))
    colors = [rng.choice(COLORS) for _ in people]
    facts = " ".join(f"{p} has a {c} {o} ." for p, c, o in zip(people, colors, things, strict=True))
    i = rng.randrange(len(people))
    return f"{facts} question : what color is the {things[i]} ?", colors[i]


def sentiment(rng: random.Random) -> tuple[str, str]:
    positive = rng.random() < 0.5
    word = rng.choice(POSITIVE if positive else NEGATIVE)
    negated = rng.random() < 0.4
    aspect = rng.choice(ASPECTS)
    review = f"the {aspect} was {'not ' if negated else ''}{word}"
    if rng.random() < 0.3:  # an intensifier, to vary length without changing the label
        review = review.replace(" was ", f" was {rng.choice(['very', 'really', 'quite'])} ")
    label = "positive" if positive != negated else "negative"
    return f"is this review positive or negative ? review : {review}", label


def translate(rng: random.Random) -> tuple[str, str]:
    # French puts the colour after the noun: a word-by-word copy is wrong, a reordering is right.
    color, animal = rng.choice(COLORS), rng.choice(ANIMALS)
    return f"translate to french : the {color} {animal}", f"le {FRENCH[animal]} {FRENCH[color]}"


def largest(rng: random.Random) -> tuple[str, str]:
    digits = [rng.choice(DIGITS) for _ in range(rng.randint(3, 7))]
    return f"what is the largest digit : {' '.join(digits)}", max(digits)


MIXTURE: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "sentiment": sentiment,
    "translate": translate,
    "category": category,
    "last-word": last_word,
    "member": member,
}


NEW_TASKS: dict[str, Callable[[random.Random], tuple[str, str]]] = {"max": largest}


# Zero-shot probes for a real Flan-T5 only. The colour question needs two hops (find the object,
# read the word before it) and reached only 44-57% in the stand-in's 10-minute budget, so it is
# not in the stand-in's mixture.
PROBES: dict[str, Callable[[random.Random], tuple[str, str]]] = {"qa": question}


ALL_TASKS = {**MIXTURE, **NEW_TASKS, **PROBES}


def vocabulary() -> list[str]:
    """Every word any task can emit, so that a later task never meets an unknown token."""
    words = set(WORDS + NAMES + DIGITS + POSITIVE + NEGATIVE + ASPECTS + list(FRENCH.values()))
    words |= {
        "le",
        "positive",
        "negative",
        "very",
        "really",
        "quite",
        "not",
        "a",
        "the",
        "has",
        "yes",
        "no",
        "an",
    }
    rng = random.Random(0)
    for make in ALL_TASKS.values():
        for _ in range(300):
            for text in make(rng):
                words.update(text.split())
    return sorted(words)


def sample(
    task: str, n: int, seed: int, exclude: set[str] | None = None, distinct: bool = True
) -> list[dict]:
    """n examples of `task` ({input, target, task}), none of whose prompts is in `exclude`;
    distinct: no prompt twice (evaluation sets), else repeats allowed (training streams)."""
    make, rng = ALL_TASKS[task], random.Random(f"{task}:{seed}")
    banned, rows = set(exclude or ()), []
    for _ in range(100 * n):
        prompt, answer = make(rng)
        if prompt in banned:
            continue
        if distinct:
            banned.add(prompt)
        rows.append({"input": prompt, "target": answer, "task": task})
        if len(rows) == n:
            return rows
    raise RuntimeError(f"task {task} cannot yield {n} examples")


# Held-out size per task: `translate` has only 80 distinct prompts, so it holds out 16 of them
# (unseen colour-animal pairs, each word seen in other pairs).
EVAL_SIZE = {"translate": 16}


def eval_set(task: str, n: int = 100, seed: int = 1) -> list[dict]:
    return sample(task, EVAL_SIZE.get(task, n), seed)
