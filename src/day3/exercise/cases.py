"""The hidden cases of each task, built in the worker from a seed the learner cannot predict.

A builder takes a `random.Random` and returns a list of (arguments for the learner's function,
facts for the grader in day3.exercise.tasks). The facts are computed here, by the kit's own code
and before the learner's function sees the arguments (it may change them in place); they are
JSON (the `day3 check` process grades without torch). Sizes, ids, names and orders all come from
the seed, so hard-coding the worksheet's examples cannot pass, and a report's seed rebuilds the
very same cases.
"""

from __future__ import annotations

import copy
import itertools
import random

from day3.exercise.graders import PREFERENCE


class Skip(Exception):
    """The task cannot be graded on this kit (what is missing); it counts neither way."""


# ---------------------------------------------------------------- 1. mask_padding_labels


def mask_cases(rng: random.Random) -> list[tuple[tuple, dict]]:
    cases = []
    for i in range(5):
        pad = 0 if i == 0 else rng.randrange(1, 32_000)  # T5 pads with 0; other tokenizers don't
        lengths = [rng.randint(1, 20) for _ in range(rng.randint(1, 6))]
        width = max(lengths) + rng.randint(0 if len(set(lengths)) > 1 else 1, 3)
        labels = [[_token(rng, pad) for _ in range(n)] + [pad] * (width - n) for n in lengths]
        facts = {
            "labels": labels,
            "pad_token_id": pad,
            "expected": [[-100 if t == pad else t for t in row] for row in labels],
            "about": f"a batch of {len(labels)} rows padded to {width} with the pad id {pad}",
        }
        cases.append(((copy.deepcopy(labels), pad), facts))
    return cases


def _token(rng: random.Random, pad: int) -> int:
    while (t := rng.randrange(1, 32_100)) == pad:
        pass
    return t


# ---------------------------------------------------------------- 2. measure_forgetting

PROBE_NAMES = ("stsb", "summaries", "translation", "qa", "sentiment", "nli", "paraphrase")


class ProbeTokenizer:
    """The tokenizer the probes are handed: they check that they got it, and no model."""

    def __repr__(self) -> str:
        return "<tokenizer>"


def _probe(name: str, x, tokenizer: ProbeTokenizer):
    import torch

    from day3.forgetting.probes import Probe

    def score(model, tok) -> float:
        if tok is not tokenizer:
            raise TypeError("a probe is called as probe(model, tokenizer)")
        with torch.no_grad():
            return float(torch.sigmoid(model(x)).mean())

    return Probe(name, score)


def forgetting_cases(rng: random.Random) -> list[tuple[tuple, dict]]:
    import torch

    cases = []
    for _ in range(3):
        torch.manual_seed(rng.randrange(2**31))
        before = torch.nn.Linear(8, 4)
        after = copy.deepcopy(before)  # "fine-tuned": the same weights, moved
        with torch.no_grad():
            for p in after.parameters():
                p.add_(torch.randn_like(p) * rng.uniform(0.3, 1.0))
        tokenizer = ProbeTokenizer()
        names = rng.sample(PROBE_NAMES, rng.randint(1, 4))
        probes = [_probe(n, torch.randn(rng.randint(2, 6), 8), tokenizer) for n in names]
        scores = {p.name: (p(before, tokenizer), p(after, tokenizer)) for p in probes}
        facts = {
            "probes": {n: {"before": b, "after": a, "drop": b - a} for n, (b, a) in scores.items()},
            "about": f"{len(probes)} probe(s): {', '.join(names)}",
        }
        cases.append(((probes, before, after, tokenizer), facts))
    return cases


# ---------------------------------------------------------------- 3. pick_strategy

# Tried in turn: the cases use those the estimator knows offline (a config it can read).
ESTIMATE_MODELS = (
    "minilm",
    "tiny-bert",
    "distilbert-base",
    "bert-base",
    "flan-t5-small",
    "llama-2-7b",
)
OPTIMIZERS = ("adamw", "sgd", "adamw8bit", "adafactor")  # those the estimator accepts are used


def memory_available() -> None:
    """Skip (the whole task, the learner's answer unseen) while the estimator is missing."""
    try:
        import day3.estimate.memory  # noqa: F401
    except ImportError as e:
        raise Skip(
            f"skipped: the memory estimator day3.estimate is not in this kit yet ({e}); "
            "this task is graded once it is"
        ) from None


def memory_cases(rng: random.Random) -> list[tuple[tuple, dict]]:
    memory_available()
    from day3.estimate.memory import EstimateConfig, run_estimate

    known: dict[tuple, dict | None] = {}

    def estimates(model: str, optimizer: str, batch: int = 8, seq: int = 128) -> dict | None:
        """{method: bytes}, or None where the estimator refuses the setting."""
        key = (model, optimizer, batch, seq)
        if key not in known:
            try:
                known[key] = {
                    m: int(run_estimate(EstimateConfig(
                        model=model, method=m, optimizer=optimizer, batch_size=batch, seq_len=seq,
                    )).total_bytes)
                    for m in PREFERENCE
                }  # fmt: skip
            except Exception:  # a model or setting this estimator does not know: no case
                known[key] = None
        return known[key]

    usable = [m for m in ESTIMATE_MODELS if estimates(m, "adamw")]
    optimizers = [o for o in OPTIMIZERS if usable and estimates(usable[0], o)]
    if not usable or not optimizers:
        raise Skip(
            "skipped: the memory estimator could estimate none of "
            f"{', '.join(ESTIMATE_MODELS)} with adamw here; the task is graded once it does"
        )
    cases = []
    for _ in range(24):  # some draws leave no clean budget (estimates too close): draw again
        model, optimizer = rng.choice(usable), rng.choice(optimizers)
        batch, seq = rng.choice((1, 2, 4, 8, 16, 32)), rng.choice((64, 128, 256, 512))
        est = estimates(model, optimizer, batch, seq)
        budget = _budget(rng, est) if est else None
        if budget is not None:
            about = f"{model} (batch {batch}, seq_len {seq}, {optimizer})"
            args = (model, budget, batch, seq, optimizer)
            cases.append((args, _memory_facts(est, budget, about)))
        if len(cases) == 4:
            break
    if not cases:
        raise Skip("skipped: the memory estimator gave no usable cases; a kit problem: report it")
    return cases


def _budget(rng: random.Random, est: dict[str, int]) -> float | None:
    """A budget in GiB whose answer is a random method (or none), at least 2% away from every
    estimate, so rounding never decides the answer; None when the draw gives no room."""
    gib = {m: b / 2**30 for m, b in est.items()}
    target = rng.randrange(len(PREFERENCE) + 1)  # len(PREFERENCE): nothing fits
    if target == len(PREFERENCE):
        high = min(gib.values()) * 0.97
        low = high / 2
    else:
        earlier = [gib[m] for m in PREFERENCE[:target]]
        low = gib[PREFERENCE[target]] * 1.03
        high = min(earlier) * 0.97 if earlier else low * 3
    if not 0 < low < high:
        return None
    budget = float(f"{rng.uniform(low, high):.4g}")
    if any(abs(g - budget) < 0.02 * g for g in gib.values()):
        return None
    return budget


def _memory_facts(est: dict[str, int], budget: float, about: str) -> dict:
    gib = {m: b / 2**30 for m, b in est.items()}
    fits = [m for m in PREFERENCE if gib[m] <= budget]
    return {
        "expected": fits[0] if fits else None,
        "estimates_gib": gib,
        "budget_gib": budget,
        "about": about,
    }


# ---------------------------------------------------------------- 4. count_trainable


def count_cases(rng: random.Random) -> list[tuple[tuple, dict]]:
    import torch

    torch.manual_seed(rng.randrange(2**31))
    kinds = ["frozen layers", "batch norm", "a shared layer", "all trainable", "encoder"]
    rng.shuffle(kinds)
    cases = []
    for kind in kinds:
        model, about = _encoder(rng) if kind == "encoder" else _mlp(rng, kind)
        cases.append(((model,), _count_facts(model, about)))
    return cases


def _mlp(rng: random.Random, kind: str):
    import torch.nn as nn

    dims = [rng.randint(3, 40) for _ in range(rng.randint(3, 5))]
    layers: list = []
    for a, b in itertools.pairwise(dims):
        layers += [nn.Linear(a, b), nn.ReLU()]
    if kind == "batch norm":
        layers.insert(1, nn.BatchNorm1d(dims[1]))  # buffers: in state_dict(), not parameters
    if kind == "a shared layer":
        shared = nn.Linear(dims[-1], dims[-1])
        layers += [shared, nn.ReLU(), shared]  # one parameter set, used twice
    model = nn.Sequential(*layers)
    params = list(model.parameters())
    for _ in range(50):  # a random frozen set, keeping the percent clear of 0 and 100
        for p in params:
            p.requires_grad_(kind == "all trainable" or rng.random() < 0.5)
        trainable = sum(p.numel() for p in params if p.requires_grad)
        total = sum(p.numel() for p in params)
        if kind == "all trainable" or 0.02 < trainable / total < 0.98:
            break
    frozen = sum(not p.requires_grad for p in params)
    what = {"frozen layers": "", "all trainable": ""}.get(kind, f" with {kind}")
    return model, f"a {len(dims) - 1}-layer MLP{what}, {frozen} of {len(params)} tensors frozen"


def _encoder(rng: random.Random):
    """A tiny transformer classifier in plain torch, backbone frozen (the `frozen` strategy)."""
    import torch.nn as nn

    class TinyClassifier(nn.Module):
        def __init__(self, vocab: int, layers: int, labels: int) -> None:
            super().__init__()
            self.embeddings = nn.Embedding(vocab, 16)
            block = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, batch_first=True)
            self.encoder = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
            self.classifier = nn.Linear(16, labels)

    model = TinyClassifier(rng.randint(50, 120), rng.randint(1, 2), rng.randint(2, 4))
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("classifier"))
    return model, "a tiny transformer classifier with its backbone frozen"


def _count_facts(model, about: str) -> dict:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return {
        "trainable": trainable,
        "total": total,
        "percent": 100 * trainable / total,
        "with_buffers": sum(v.numel() for v in model.state_dict().values()),
        "shared_twice": sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False)),
        "about": about,
    }


# ---------------------------------------------------------------- 5. lora_targets

# model type -> (query, value) projection names, the layer-count fields, a tiny config.
ARCHITECTURES: dict[str, tuple[tuple[str, str], tuple[str, ...], dict]] = {
    "bert": (("query", "value"), ("num_hidden_layers",), dict(hidden_size=16, num_attention_heads=2, intermediate_size=32)),
    "distilbert": (("q_lin", "v_lin"), ("n_layers",), dict(dim=16, n_heads=2, hidden_dim=32)),
    "t5": (("q", "v"), ("num_layers",), dict(d_model=16, d_kv=8, d_ff=32, num_heads=2)),
    "llama": (("q_proj", "v_proj"), ("num_hidden_layers",), dict(hidden_size=16, intermediate_size=32, num_attention_heads=2, num_key_value_heads=2)),
    "opt": (("q_proj", "v_proj"), ("num_hidden_layers",), dict(hidden_size=16, ffn_dim=32, num_attention_heads=2, word_embed_proj_dim=16)),
    "bart": (("q_proj", "v_proj"), ("encoder_layers", "decoder_layers"), dict(d_model=16, encoder_ffn_dim=32, decoder_ffn_dim=32, encoder_attention_heads=2, decoder_attention_heads=2)),
}  # fmt: skip


def lora_cases(rng: random.Random) -> list[tuple[tuple, dict]]:
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification

    torch.manual_seed(rng.randrange(2**31))
    archs = list(ARCHITECTURES)
    rng.shuffle(archs)
    cases = []
    for arch in archs:
        (query, value), layer_fields, sizes = ARCHITECTURES[arch]
        layers = rng.randint(1, 3)
        config = AutoConfig.for_model(
            arch, vocab_size=64, max_position_embeddings=32, pad_token_id=0,
            **sizes, **dict.fromkeys(layer_fields, layers),
        )  # fmt: skip
        model = AutoModelForSequenceClassification.from_config(config)
        names = {n: m for n, m in model.named_modules() if n}
        linear = [n for n, m in names.items() if isinstance(m, torch.nn.Linear)]
        facts = {
            "arch": arch,
            "linear": linear,
            "modules": [n for n in names if n not in linear],
            "expected": [n for n in linear if n.rsplit(".", 1)[-1] in (query, value)],
            "about": f"a {layers}-layer {type(model).__name__}",
        }
        cases.append(((model,), facts))
    return cases


# ---------------------------------------------------------------- 6. compute_metrics


class EvalPrediction:
    """What the Trainer hands compute_metrics, as transformers 5 defines it (importing theirs
    pulls in peft: seconds per grading); the end-to-end run hands the real one."""

    def __init__(self, predictions, label_ids, inputs=None, losses=None) -> None:
        self.predictions, self.label_ids, self.inputs, self.losses = (
            predictions, label_ids, inputs, losses,
        )  # fmt: skip
        self.elements = (predictions, label_ids)
        self.elements += tuple(x for x in (inputs, losses) if x is not None)

    def __iter__(self):
        return iter(self.elements)

    def __getitem__(self, idx):
        if idx < 0 or idx >= len(self.elements):
            raise IndexError("tuple index out of range")
        return self.elements[idx]


def metrics_cases(rng: random.Random) -> list[tuple[tuple, dict]]:
    import numpy as np

    gen = np.random.default_rng(rng.randrange(2**32))
    cases = []
    for _ in range(5):
        k = rng.randint(2, 5)
        n = rng.randint(4 * k, 60)
        labels = np.concatenate([np.arange(k), gen.integers(0, k, n - k)])  # every class present
        gen.shuffle(labels)
        logits = gen.normal(size=(n, k)).astype(np.float32)
        logits[np.arange(n), labels] += rng.uniform(0.0, 2.0)  # some skill
        logits[:, rng.randrange(k)] += rng.uniform(0.3, 1.5)  # leaning to one class
        facts = _metric_facts(logits.argmax(-1), labels, k)
        cases.append(((EvalPrediction(predictions=logits, label_ids=labels),), facts))
    return cases


def _metric_facts(preds, labels, k: int) -> dict:
    """Accuracy and the F1 variants by hand: macro (the answer) and the usual wrong ones."""
    import numpy as np

    f1s, support = [], []
    for c in range(k):
        tp = int(((preds == c) & (labels == c)).sum())
        wrong = int(((preds == c) != (labels == c)).sum())  # false positives + false negatives
        f1s.append(2 * tp / (2 * tp + wrong) if tp + wrong else 0.0)
        support.append(int((labels == c).sum()))
    accuracy = float((preds == labels).mean())
    facts = {
        "accuracy": accuracy,
        "f1": float(np.mean(f1s)),
        "f1_weighted": float(np.average(f1s, weights=support)),
        "f1_micro": accuracy,
        "about": f"{len(labels)} examples of {k} classes",
    }
    if k == 2:
        facts["f1_binary"] = f1s[1]
    return facts


# What a task needs that this kit may lack: checked before anything else, a learner's stub too.
PRECHECKS = {"pick_strategy": memory_available}

BUILDERS = {
    "mask_padding_labels": mask_cases,
    "measure_forgetting": forgetting_cases,
    "pick_strategy": memory_cases,
    "count_trainable": count_cases,
    "lora_targets": lora_cases,
    "compute_metrics": metrics_cases,
}
