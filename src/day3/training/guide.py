"""When (not) to train: a decision guide with its reasons, driven by what you have.

The ladder, cheapest first: prompting (zero-shot) → retrieval / few-shot → parameter-efficient
fine-tuning (LoRA) → full fine-tuning → (continued) pre-training. Climb only as far as you
must: each rung costs more data, compute and care, and the later ones can make the model
forget what it knew (day3.forgetting measures how much). The guide recommends the lowest rung
that fits, and says why, from:

- how many labelled examples there are, and how many unlabelled tokens of the domain;
- the compute budget (minutes on this hardware) and the hardware (cpu or a GPU);
- whether the model must keep its old skills (one shared model serving other tasks);
- when measured, what the rungs already reach (the baselines of day3.training.baselines and
  the runs of the kit), against the accuracy you need.

The thresholds are rules of thumb, stated in the reasons so a learner can argue with them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from day3.core import checks
from day3.core.errors import UserError
from day3.core.flags import option

LADDER = ("zero-shot prompting", "few-shot / retrieval", "LoRA (PEFT)", "full fine-tuning",
          "continued pre-training")  # fmt: skip
HARDWARE = ("cpu", "gpu")


@dataclass
class Situation:
    """What you have: the facts the recommendation rests on."""

    labelled_examples: int = option(400, help="labelled examples of the task you have")
    domain_tokens: int = option(0, help="unlabelled text of the domain you have, in tokens")
    budget_minutes: float = option(10.0, help="compute you can spend on training, in minutes")
    hardware: str = option("cpu", choices=HARDWARE, help="what it trains on")
    keep_old_skills: bool = option(
        False, help="the model must keep what it could do before (it serves other tasks)"
    )
    target_accuracy: float | None = option(None, help="the accuracy the task needs, 0 to 1")
    measured: dict[str, float] = field(default_factory=dict)  # rung -> accuracy, when known

    def __post_init__(self) -> None:
        checks.count("labelled_examples", self.labelled_examples, low=0)
        checks.count("domain_tokens", self.domain_tokens, low=0)
        checks.positive("budget_minutes", self.budget_minutes)
        if self.hardware not in HARDWARE:
            raise UserError(
                f"--hardware must be one of {', '.join(HARDWARE)} (got {self.hardware})"
            )
        if self.target_accuracy is not None:
            checks.fraction("target_accuracy", self.target_accuracy, closed=True)
        unknown = set(self.measured) - set(LADDER)
        if unknown:
            raise UserError(f"measured rungs must be among {', '.join(LADDER)}; got {unknown}")


@dataclass
class Recommendation:
    choice: str  # one of LADDER
    reasons: list[str]

    def text(self) -> str:
        return f"{self.choice}, because:\n" + "\n".join(f"  - {r}" for r in self.reasons)


def recommend(s: Situation) -> Recommendation:
    """The lowest rung of LADDER that fits `s`, with the reasons."""
    reasons: list[str] = []
    reached = _first_good_enough(s)
    if reached is not None:
        reasons.append(
            f"measured: {reached} already reaches {s.measured[reached]:.3f}, at least the "
            f"{s.target_accuracy:.3f} you need; a higher rung costs more and cannot be more "
            "than good enough"
        )
        return Recommendation(reached, reasons)
    if s.domain_tokens >= 1_000_000_000 and s.hardware == "gpu" and s.budget_minutes >= 24 * 60:
        reasons.append(
            f"{s.domain_tokens:,} tokens of domain text and days of GPU time: enough to move "
            "the model's knowledge itself (continued pre-training), then fine-tune"
        )
        return Recommendation(LADDER[4], reasons)
    if s.labelled_examples < 16:
        reasons.append(
            f"{s.labelled_examples} labelled examples: too few to train on, enough to check a "
            "prompt against (describe the classes, compare)"
        )
        return Recommendation(LADDER[0], reasons)
    if s.labelled_examples < 200:
        reasons.append(
            f"{s.labelled_examples} labelled examples: retrieval / nearest-centroid uses every "
            "one without a gradient step, and cannot overfit them"
        )
        return Recommendation(LADDER[1], reasons)
    return _train_which(s, reasons)


def _train_which(s: Situation, reasons: list[str]) -> Recommendation:
    reasons.append(f"{s.labelled_examples:,} labelled examples: enough to fine-tune on")
    if s.keep_old_skills:
        reasons.append(
            "the model must keep its old skills: LoRA leaves the pretrained weights as they are "
            "(an adapter per task), and forgets far less than full fine-tuning"
        )
        return Recommendation(LADDER[2], reasons)
    limits = [
        why
        for why, applies in (
            ("it trains on a CPU", s.hardware == "cpu"),
            (f"the budget is {s.budget_minutes:g} minutes", s.budget_minutes < 30),
            (f"{s.labelled_examples:,} examples fit few weights", s.labelled_examples < 10_000),
        )
        if applies
    ]
    if limits:
        reasons.append(
            f"{'; '.join(limits)}: LoRA trains ~1% of the weights, so it is cheaper per step, "
            "needs a fraction of the optimizer's memory, and ships as a small adapter"
        )
        return Recommendation(LADDER[2], reasons)
    reasons.append(
        f"{s.labelled_examples:,} examples on a GPU with {s.budget_minutes:g} minutes: full "
        "fine-tuning buys the last points of accuracy; measure what it forgets"
    )
    return Recommendation(LADDER[3], reasons)


def _first_good_enough(s: Situation) -> str | None:
    if s.target_accuracy is None:
        return None
    for rung in LADDER:
        if rung in s.measured and s.measured[rung] >= s.target_accuracy:
            return rung
    return None
