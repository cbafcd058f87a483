"""What the seq2seq forgetting run trains and asks: the new task, the old tasks it probes and
the rows it can replay, for the mini-FLAN stand-in (its own held-out tasks; the new task `max`,
which it never saw) and for a real Flan-T5 (DialogSum, scored by ROUGE; zero-shot instruction
probes), and how a task is scored."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from day3.core.errors import UserError
from day3.core.ui import say

SENTIMENT_PROMPT = "is this review positive or negative ? review : {}"


@dataclass
class Seq2SeqTask:
    """What the model is fine-tuned on, and what it used to know."""

    name: str
    train: list[dict]  # {input, target}
    held_out: list[dict]
    metric: str  # "exact_match" | "rougeL"
    prior: dict[str, list[dict]]  # probe name -> held-out rows of an old task
    prior_train: list[dict]  # rows of old tasks to replay
    max_new_tokens: int = 12


def check_new_task(new_task: str) -> None:
    from day3.miniflan.tasks import NEW_TASKS

    if new_task not in NEW_TASKS:
        raise UserError(
            f"unknown new task '{new_task}' for mini-flan; choose {', '.join(NEW_TASKS)}"
        )


def mini_flan_task(new_task: str, n_train: int, seed: int) -> Seq2SeqTask:
    from day3.miniflan.tasks import MIXTURE, eval_set, sample

    check_new_task(new_task)
    held = eval_set(new_task)
    train = sample(
        new_task, n_train, seed=seed + 7, exclude={r["input"] for r in held}, distinct=False
    )
    prior = {t: eval_set(t) for t in MIXTURE}
    replay = [
        r
        for t in MIXTURE
        for r in sample(
            t,
            n_train // len(MIXTURE) + 1,
            seed=seed + 9,
            exclude={x["input"] for x in prior[t]},
            distinct=False,
        )
    ]
    return Seq2SeqTask(new_task, train, held, "exact_match", prior, replay)


def flan_t5_task(n_train: int | None, seed: int) -> Seq2SeqTask:
    """DialogSum as the new task; zero-shot instruction probes as what Flan-T5 knew."""
    from day3.data.sources import embedded_file, load_known_split
    from day3.miniflan.tasks import eval_set, question

    try:
        table, _ = load_known_split("dialogsum", "train")
        train_rows, (held_table, _) = table.dataset, load_known_split("dialogsum", "validation")
        held_rows = held_table.dataset
    except UserError:  # the mirror holds only validation: split it 80/20, and say so
        table, _ = load_known_split("dialogsum", "validation")
        split = table.dataset.train_test_split(test_size=0.2, seed=seed)
        train_rows, held_rows = split["train"], split["test"]
        say("dialogsum: no train split available; using 80% of validation to train, 20% to test")

    def rows(ds):
        return [
            {"input": f"summarize : {d}", "target": s, "task": "dialogsum"}
            for d, s in zip(ds["dialogue"], ds["summary"], strict=True)
        ]

    train = rows(train_rows)[: n_train or None]
    reviews = [json.loads(line) for line in embedded_file("validation").read_text().splitlines()]
    sentiment = [
        {
            "input": SENTIMENT_PROMPT.format(r["sentence"]),
            "target": "positive" if r["label"] else "negative",
            "task": "sentiment",
        }
        for r in reviews
    ]
    qa = eval_set("qa")
    rng = random.Random(seed)
    replay = sentiment[:40] + [
        {**dict(zip(("input", "target"), question(rng), strict=True)), "task": "qa"}
        for _ in range(200)
    ]
    return Seq2SeqTask(
        "dialogsum",
        train,
        rows(held_rows)[:100],
        "rougeL",
        {"sentiment": sentiment[40:], "qa": qa},
        replay,
        max_new_tokens=64,
    )


def task_scores(model, tokenizer, rows: list[dict], metric: str, max_new_tokens: int) -> dict:
    """{"score": the headline number (exact match, or ROUGE-L / 100), plus ROUGE-1/2/L x100
    for summarisation}."""
    from day3.seq2seq.generate import generate
    from day3.seq2seq.metrics import exact_match, rouge

    preds = generate(model, tokenizer, [r["input"] for r in rows], max_new_tokens=max_new_tokens)
    refs = [r["target"] for r in rows]
    if metric == "exact_match":
        return {"score": exact_match(preds, refs)}
    scores = rouge(preds, refs)
    return {"score": scores["rougeL"] / 100, **scores}


def task_score(model, tokenizer, rows: list[dict], metric: str, max_new_tokens: int) -> float:
    return task_scores(model, tokenizer, rows, metric, max_new_tokens)["score"]
