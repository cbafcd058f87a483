"""The decision guide: each rung of the ladder is reached by the situation it is for, with
the reason that names the fact it rests on."""

from __future__ import annotations

import pytest

from day3.core.errors import UserError
from day3.training.guide import LADDER, Situation, recommend


@pytest.mark.parametrize(
    ("situation", "rung", "reason"),
    [
        (dict(labelled_examples=5), "zero-shot prompting", "5 labelled examples: too few"),
        (dict(labelled_examples=100), "few-shot / retrieval", "100 labelled examples"),
        (
            dict(labelled_examples=5000, keep_old_skills=True, hardware="gpu", budget_minutes=600),
            "LoRA (PEFT)",
            "must keep its old skills",
        ),  # fmt: skip
        (dict(labelled_examples=5000), "LoRA (PEFT)", "it trains on a CPU"),
        (
            dict(labelled_examples=50_000, hardware="gpu", budget_minutes=10),
            "LoRA (PEFT)",
            "the budget is 10 minutes",
        ),  # fmt: skip
        (
            dict(labelled_examples=50_000, hardware="gpu", budget_minutes=120),
            "full fine-tuning",
            "buys the last points",
        ),  # fmt: skip
        (
            dict(domain_tokens=2_000_000_000, hardware="gpu", budget_minutes=3 * 24 * 60),
            "continued pre-training",
            "2,000,000,000 tokens",
        ),  # fmt: skip
    ],
)
def test_each_rung_for_its_situation(situation, rung, reason):
    advice = recommend(Situation(**situation))
    assert advice.choice == rung
    assert any(reason in r for r in advice.reasons), advice.reasons
    assert advice.text().startswith(f"{rung}, because:")


def test_a_measured_rung_that_is_good_enough_stops_the_climb():
    measured = {LADDER[0]: 0.70, LADDER[1]: 0.86, LADDER[2]: 0.90, LADDER[3]: 0.92}
    advice = recommend(Situation(labelled_examples=50_000, hardware="gpu", budget_minutes=600,
                                 target_accuracy=0.85, measured=measured))  # fmt: skip
    assert advice.choice == "few-shot / retrieval"
    assert "0.860" in advice.reasons[0]


def test_no_measured_rung_good_enough_falls_back_to_the_rules():
    advice = recommend(Situation(labelled_examples=5000, target_accuracy=0.99,
                                 measured={LADDER[0]: 0.7, LADDER[3]: 0.9}))  # fmt: skip
    assert advice.choice == "LoRA (PEFT)"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(labelled_examples=-1), "--labelled-examples"),
        (dict(budget_minutes=float("nan")), "--budget-minutes"),
        (dict(budget_minutes=0), "--budget-minutes"),
        (dict(hardware="tpu"), "--hardware must be one of cpu, gpu"),
        (dict(target_accuracy=1.5), "--target-accuracy"),
        (dict(measured={"magic": 1.0}), "measured rungs"),
    ],
)
def test_bad_situations_are_user_errors(bad, message):
    with pytest.raises(UserError, match=message):
        Situation(**bad)
