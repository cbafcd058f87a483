"""The graders of the final exercise's tasks.

A grader takes the learner's answer on one hidden case (as JSON: lists, dicts, numbers; an
object JSON cannot hold arrives as {OPAQUE: type name, "repr": ...}) and the facts the kit
computed for that case (day3.exercise.cases), and returns None when the answer is right, else
one hint in the kit's `what is wrong; how to fix it` style. They run in the `day3 check` process:
pure Python, no torch, so they can be tested on made-up answers in milliseconds.
"""

from __future__ import annotations

import math

OPAQUE = "__object__"  # the worker's marker for an answer JSON cannot hold (a tensor, a model)

# Most learning first, least memory last: the order pick_strategy walks (the worksheet says it).
PREFERENCE = ("full", "lora:16", "qlora", "frozen")


def number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def whole(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def close(a, b, tol: float = 1e-6) -> bool:
    return number(a) and math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def shown(answer) -> str:
    """What the learner returned, in a few words (for a hint)."""
    if answer is None:
        return "None"
    if isinstance(answer, bool):
        return f"{answer} (a bool)"
    if isinstance(answer, (int, float)):
        return f"the number {answer!r}"
    if isinstance(answer, str):
        return f"the string {answer[:40]!r}"
    if isinstance(answer, list):
        return f"a list of {len(answer)} item{'s' * (len(answer) != 1)}"
    if isinstance(answer, dict) and OPAQUE in answer:
        return f"a {answer[OPAQUE]} ({str(answer.get('repr', ''))[:60]})"
    if isinstance(answer, dict):
        keys = ", ".join(repr(k) for k in list(answer)[:6])
        return f"a dict with keys {keys or '(none)'}"
    return type(answer).__name__


def is_dict(answer) -> bool:
    return isinstance(answer, dict) and OPAQUE not in answer


# ---------------------------------------------------------------- 1. mask_padding_labels


def grade_mask(answer, facts: dict) -> str | None:
    rows, want, pad = facts["labels"], facts["expected"], facts["pad_token_id"]
    if not (isinstance(answer, list) and all(isinstance(r, list) for r in answer)):
        return (
            f"returned {shown(answer)} for {facts['about']}; return a list of lists of ints, "
            "one row per input row"
        )
    if [len(r) for r in answer] != [len(r) for r in want]:
        return (
            f"rows of lengths {[len(r) for r in answer]} for input rows of lengths "
            f"{[len(r) for r in want]}; keep every row and its length: replace values only"
        )
    for i, (got_row, want_row, row) in enumerate(zip(answer, want, rows, strict=True)):
        for j, (got, expected, token) in enumerate(zip(got_row, want_row, row, strict=True)):
            if not whole(got):
                return f"row {i} holds {shown(got)}; labels are token ids: keep them ints"
            if got == expected:
                continue
            if expected == -100:
                what = f"still the pad id {pad}" if got == token else f"{got}"
                return (
                    f"row {i}, position {j} is {what} where -100 belongs ({facts['about']}); "
                    "replace every value equal to pad_token_id (not always 0) with -100"
                )
            if got == -100:
                return (
                    f"row {i}, position {j}: token {token} is a real token (the pad id is "
                    f"{pad}) but became -100; mask only the values equal to pad_token_id"
                )
            return f"row {i}, position {j} is {got}, not {token}; change the pad positions only"
    return None


# ---------------------------------------------------------------- 2. measure_forgetting


def grade_forgetting(answer, facts: dict) -> str | None:
    want: dict = facts["probes"]
    shape = "{probe name: {'before': float, 'after': float, 'drop': float}}"
    if not is_dict(answer):
        return f"returned {shown(answer)}; return a dict {shape}"
    if set(answer) != set(want):
        return (
            f"the keys are {sorted(answer)} for the probes {sorted(want)} ({facts['about']}); "
            "key the dict by each probe's .name, one entry per probe"
        )
    for name, w in want.items():
        got = answer[name]
        if number(got):
            return (
                f"'{name}' maps to {shown(got)}; map each probe to "
                "{'before': ..., 'after': ..., 'drop': ...}, not to a single number"
            )
        if not is_dict(got) or {"before", "after", "drop"} - set(got):
            return f"'{name}' maps to {shown(got)}; return a dict {shape}"
        b, a, d = got["before"], got["after"], got["drop"]
        if not all(number(v) for v in (b, a, d)):
            return f"'{name}': before, after and drop must be numbers (floats), got {got}"
        if close(b, w["after"]) and close(a, w["before"]) and not close(b, w["before"]):
            return (
                f"'{name}': before and after are swapped; `before` is probe(before, "
                "tokenizer), the model before fine-tuning"
            )
        if not (close(b, w["before"]) and close(a, w["after"])):
            return (
                f"'{name}': before {b:.4f}, after {a:.4f}, but the probe scores "
                f"{w['before']:.4f} before and {w['after']:.4f} after; call each probe as "
                "probe(model, tokenizer) on the model before and on the one after"
            )
        if close(d, -w["drop"]) and not close(d, w["drop"]):
            return (
                f"'{name}': drop {d:.4f} is after - before; drop is before - after "
                "(positive: the model lost that ability)"
            )
        if not close(d, w["drop"]):
            return f"'{name}': drop {d:.4f}, expected {w['drop']:.4f} = before - after"
    return None


# ---------------------------------------------------------------- 3. pick_strategy


def grade_memory(answer, facts: dict) -> str | None:
    want, est, budget = facts["expected"], facts["estimates_gib"], facts["budget_gib"]
    if answer == want:
        return None
    listed = ", ".join(f"{m} {g:.4g}" for m, g in est.items())
    about = f"{facts['about']}, a budget of {budget:.4g} GiB (estimates in GiB: {listed})"
    if answer is not None and not isinstance(answer, str):
        return f"returned {shown(answer)}; return a method's name (a str) or None"
    if answer is not None and answer not in est:
        return (
            f"returned {answer!r}, which is not a method of PREFERENCE "
            f"({', '.join(PREFERENCE)}); return one of those names exactly, or None"
        )
    if want is None:
        return f"for {about}: returned {answer!r}, which does not fit; return None when none fits"
    if answer is None:
        return f"for {about}: returned None, but {want!r} fits; return the first one that fits"
    if est[answer] <= budget:
        return (
            f"for {about}: returned {answer!r}, which fits, but {want!r} comes before it in "
            "PREFERENCE and fits too; return the first method of PREFERENCE that fits"
        )
    return (
        f"for {about}: returned {answer!r}, which needs more than the budget; compare "
        "run_estimate(...).total_bytes with budget_gib * 2**30 (1 GiB = 2**30 bytes)"
    )


# ---------------------------------------------------------------- 4. count_trainable


def grade_count(answer, facts: dict) -> str | None:
    shape = "{'trainable': int, 'total': int, 'percent': float}"
    if not is_dict(answer) or {"trainable", "total", "percent"} - set(answer):
        return f"returned {shown(answer)}; return a dict {shape}"
    t, n, p = answer["trainable"], answer["total"], answer["percent"]
    about = facts["about"]
    if not (whole(t) and whole(n)):
        return f"trainable is {shown(t)}, total {shown(n)}; both are counts: return ints"
    if t != facts["trainable"]:
        if t == facts["total"]:
            return (
                f"trainable {t:,} is every parameter of {about}; count only the parameters "
                "with p.requires_grad"
            )
        return (
            f"trainable {t:,}, expected {facts['trainable']:,} for {about}; sum p.numel() "
            "over the parameters with p.requires_grad"
        )
    if n != facts["total"]:
        if n == facts["shared_twice"] != facts["total"]:
            return (
                f"total {n:,} counts a shared parameter twice ({about}); "
                "model.parameters() yields each parameter once"
            )
        if n == facts["with_buffers"]:
            return (
                f"total {n:,} includes buffers, which state_dict() holds beside the parameters "
                f"({about}); count model.parameters() only"
            )
        if n == facts["trainable"]:
            return f"total {n:,} counts only the trainable parameters; count frozen ones too"
        return f"total {n:,}, expected {facts['total']:,} for {about}; sum p.numel() of them all"
    if not number(p):
        return f"percent is {shown(p)}; return a float, 100 * trainable / total"
    if abs(p - facts["percent"]) <= 0.01:  # rounded to two decimals, as the kit prints it
        return None
    if close(p, facts["percent"] / 100, 1e-3):
        return f"percent {p:.4g} is a fraction; multiply it by 100 (100 * trainable / total)"
    return f"percent {p:.4f}, expected {facts['percent']:.4f} = 100 * {t:,} / {n:,}"


# ---------------------------------------------------------------- 5. lora_targets


def matches(module: str, target: str) -> bool:
    """peft's rule for a list of target_modules: the whole name, or its last dotted parts."""
    return module == target or module.endswith("." + target)


def grade_lora(answer, facts: dict) -> str | None:
    arch, linear, expected = facts["arch"], facts["linear"], set(facts["expected"])
    if isinstance(answer, str):
        return (
            "returned one string; return a list of names, e.g. ['query', 'value'] (peft "
            "reads a single string as a regular expression)"
        )
    if not (isinstance(answer, list) and answer and all(isinstance(t, str) for t in answer)):
        return f"returned {shown(answer)}; return a non-empty list of module names (str)"
    endings = ", ".join(sorted({n.rsplit(".", 1)[-1] for n in linear}))
    adapted: set[str] = set()
    for target in answer:
        hit = [n for n in linear if matches(n, target)]
        if not hit and any(matches(n, target) for n in facts["modules"]):
            return (
                f"'{target}' names a block of this {arch} model, not a linear layer; LoRA "
                f"adapts linear layers: name the projections inside it (ending in: {endings})"
            )
        if not hit:
            return (
                f"'{target}' matches no layer of this {arch} model (its linear layers end in: "
                f"{endings}); read the names with model.named_modules()"
            )
        wrong = [n for n in hit if n not in expected]
        if wrong:
            more = f" and {len(wrong) - 1} more" if len(wrong) > 1 else ""
            return (
                f"'{target}' adapts {wrong[0]}{more}, not a query or value projection of this "
                f"{arch} model; target the attention's query and value projections only"
            )
        adapted |= set(hit)
    missing = sorted(expected - adapted)
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        return (
            f"{missing[0]}{more} of this {arch} model is not adapted; every query and every "
            "value projection needs a target"
        )
    return None


# ---------------------------------------------------------------- 6. compute_metrics

WRONG_F1 = (
    ("f1_weighted", "the weighted F1 (classes weighted by their size)"),
    ("f1_micro", "the micro F1 (which equals accuracy)"),
    ("f1_binary", "the F1 of class 1 alone (average='binary')"),
)


def grade_metrics(answer, facts: dict) -> str | None:
    about = facts["about"]
    if not is_dict(answer):
        return f"returned {shown(answer)}; return a dict {{'accuracy': float, 'f1': float}}"
    if "accuracy" not in answer or "f1" not in answer:
        if any(str(k).startswith("eval_") for k in answer):
            return "the keys start with eval_; the Trainer adds that prefix itself: return 'accuracy' and 'f1'"
        return f"returned {shown(answer)}; return a dict with the keys 'accuracy' and 'f1'"
    acc, f1 = answer["accuracy"], answer["f1"]
    if not (number(acc) and number(f1)):
        return f"accuracy is {shown(acc)}, f1 {shown(f1)}; return plain numbers (float(...))"
    if not close(acc, facts["accuracy"]):
        return (
            f"accuracy {acc:.4f}, expected {facts['accuracy']:.4f} on {about}; the predictions "
            "are logits.argmax(-1) (each row's highest logit), accuracy the share equal to the labels"
        )
    if close(f1, facts["f1"]):
        return None
    for key, what in WRONG_F1:
        if key in facts and close(f1, facts[key]):
            return (
                f"f1 {f1:.4f} is {what} on {about}; macro-F1 averages every class's F1 with "
                "equal weight: f1_score(labels, predictions, average='macro')"
            )
    return (
        f"f1 {f1:.4f}, expected macro-F1 {facts['f1']:.4f} on {about}; average every class's "
        "F1 = 2·TP / (2·TP + FP + FN), each class weighing the same"
    )


# ---------------------------------------------------------------- the end-to-end run


def grade_end_to_end(answer, facts: dict) -> str | None:
    for step in facts["steps"]:
        if not step["ok"]:
            return f"{step['name']}: {step['detail']}"
    return None
