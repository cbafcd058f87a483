"""The training benchmark: what a row measures (padding, real tokens, MFU against the right
peak, the time to 85%), how the best recipe is picked, how two jobs' results merge."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from day3.core.errors import UserError
from day3.training import rows as rows_module
from day3.training.bench import BenchConfig, _mean, flops_per_token
from day3.training.report import markdown, race, summary
from day3.training.rows import RowSpec, run_row

# tiny-bert (tests/conftest.py): hidden 32, FFN 64, 2 layers, a pooler. Counted by hand:
# per layer q,k,v,o 4(32·32+32) + FFN (32·64+64) + (64·32+32) + 2 LayerNorms 2·(2·32)
PER_LAYER = 4 * (32 * 32 + 32) + (32 * 64 + 64) + (64 * 32 + 32) + 2 * 64
TINY_N = 2 * PER_LAYER + (32 * 32 + 32)  # + the pooler; embeddings are lookups, not counted


def test_flops_per_token_counts_every_weight_but_the_embeddings(tiny_bert):
    flops = flops_per_token(str(tiny_bert))
    assert flops["full"] == 6 * TINY_N
    assert flops["lora"] == 4 * TINY_N and flops["frozen"] == 2 * TINY_N


def _settings(tiny_bert, tmp_path, **over) -> dict:
    settings = {
        "model": str(tiny_bert),
        "data": {"data": "embedded", "max_train_samples": 64, "max_eval_samples": 32},
        "scratch": str(tmp_path / "run"),
        "epochs": 1.0,
        "batch_size": 16,
        "max_length": 128,
        "seed": 0,
        "lr_regime": "encoder",
        "eval_every": 2,
        "flops_per_token": flops_per_token(str(tiny_bert)),
    }
    return json.loads(json.dumps({**settings, **over}))  # as the worker reads it


PEAK = {"fp32": 100.0, "bf16": 1000.0}  # GFLOP/s, made up: MFU must divide by the right one


@pytest.fixture(scope="module")
def two_rows(tiny_bert, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rows")
    base = run_row(RowSpec("baseline", "pad to 128", pad_to_max=True), _settings(tiny_bert, tmp),
                   PEAK)  # fmt: skip
    dynamic = run_row(RowSpec("dynamic-padding", "longest"), _settings(tiny_bert, tmp), PEAK)
    return base, dynamic


def test_padding_to_max_length_is_measured_as_waste(two_rows):
    base, dynamic = two_rows
    # 64 sentences padded to 128 tokens = 8,192 slots; the reviews fill a few hundred.
    real = base.tokens_per_second * base.train_seconds
    assert base.padding_fraction == pytest.approx(1 - real / (64 * 128), abs=0.02)
    assert base.padding_fraction > 0.7
    assert dynamic.padding_fraction < base.padding_fraction - 0.3  # measured 0.49 vs 0.89


def test_mfu_is_the_rows_flops_over_the_peak_of_its_dtype(two_rows, tiny_bert):
    base, _ = two_rows
    flops = 6 * TINY_N * base.tokens_per_second
    assert base.mfu == pytest.approx(flops / (PEAK["fp32"] * 1e9), abs=6e-5)  # 4 decimals


def test_accuracy_is_evaluated_every_n_steps_with_the_clock_stopped(two_rows):
    base, _ = two_rows
    assert [len(base.curve)] == [2]  # 64 / 16 = 4 steps, evaluated every 2
    times = [t for t, _ in base.curve]
    assert times == sorted(times) and times[-1] <= base.train_seconds + 0.05
    assert base.seconds_to_85 is None  # a random tiny model never reaches 85%


def test_the_time_to_target_is_the_first_evaluation_at_or_above_it(tiny_bert, tmp_path,
                                                                   monkeypatch):  # fmt: skip
    monkeypatch.setattr(rows_module, "TARGET", 0.0)
    row = run_row(RowSpec("dynamic-padding", "x"), _settings(tiny_bert, tmp_path), None)
    assert row.seconds_to_85 == row.curve[0][0]
    assert row.mfu is None  # no peak measured: no MFU, rather than a made-up one


def _row(name, to85, accuracy=0.9, jobs=1, sps=100.0):
    return {"name": name, "seconds_to_85": to85, "accuracy": accuracy, "jobs": jobs,
            "samples_per_second": sps}  # fmt: skip


def test_the_best_recipe_is_the_soonest_full_single_job_row_that_keeps_accuracy():
    rows = [
        _row("baseline", 300.0, 0.91),
        _row("bf16", 50.0, 0.895),  # 1.5 points lower: not allowed to win
        _row("length-grouped", 60.0, 0.905),
        _row("lora", 10.0),  # not full fine-tuning
        _row("two-jobs", 5.0, jobs=2),  # not one job
    ]
    out = summary(rows, 0.85)
    assert out["best"] == "length-grouped"
    assert out["speedup_to_target"] == 5.0


def test_without_a_recipe_at_the_target_the_race_is_to_the_baselines_accuracy():
    """The measured case on 2 cores: only the slow baseline reaches 85% within the budget; the
    baseline itself never counts as the best recipe."""
    rows = [
        {
            **_row("baseline", 800.0, 0.851),
            "curve": [[400.0, 0.80], [700.0, 0.842], [800.0, 0.851]],
        },
        {**_row("bf16", None, 0.844), "curve": [[20.0, 0.80], [50.0, 0.841], [58.0, 0.844]]},
        {**_row("compile", None, 0.839), "curve": [[100.0, 0.839]]},  # > 1 point lower
    ]
    out = summary(rows, 0.85)
    assert out["best"] == "bf16" and out["race"] == "baseline"
    assert out["speedup_to_baseline"] == round(700.0 / 50.0, 2)
    assert [r["seconds_to_baseline"] for r in rows] == [700.0, 50.0, None]


def test_two_jobs_slowdown_is_against_the_same_recipe_alone():
    rows = [_row("bf16", 10.0, sps=100.0), _row("two-jobs-stock", 200.0, jobs=2, sps=8.0),
            _row("two-jobs", 20.0, jobs=2, sps=48.0)]  # fmt: skip
    assert summary(rows, 0.85)["two_jobs_slowdown"] == {"two-jobs-stock": 12.5, "two-jobs": 2.08}


def test_two_jobs_slowdown_compares_the_same_first_steps():
    """Like for like: the first steps of the bf16 row (the same batches) against the shared
    ones, not the whole budget's samples/s (whose batches differ)."""
    rows = [{**_row("bf16", 10.0, sps=100.0), "first_steps_seconds": 4.0},
            {**_row("two-jobs-stock", None, jobs=2, sps=8.0), "first_steps_seconds": 30.0},
            {**_row("two-jobs", None, jobs=2, sps=48.0), "first_steps_seconds": 5.0}]  # fmt: skip
    assert summary(rows, 0.85)["two_jobs_slowdown"] == {"two-jobs-stock": 7.5, "two-jobs": 1.25}


def test_two_copies_merge_to_their_mean_and_the_later_arrival():
    a = {**_row("two-jobs", 30.0, sps=40.0), "tokens_per_second": 1.0, "train_seconds": 10.0,
         "peak_memory_mb": 500.0, "mfu": 0.1}  # fmt: skip
    b = {**a, "seconds_to_85": 40.0, "samples_per_second": 60.0, "mfu": 0.3}
    merged = _mean([a, b], wall=55.0)
    assert merged["samples_per_second"] == 50.0 and merged["mfu"] == 0.2
    assert merged["seconds_to_85"] == 40.0 and merged["wall_seconds"] == 55.0
    timed = _mean([{**a, "first_steps_seconds": 2.0}, {**b, "first_steps_seconds": 4.0}], 1.0)
    assert timed["first_steps_seconds"] == 3.0
    assert _mean([a, {**b, "seconds_to_85": None}], 1.0)["seconds_to_85"] is None


def test_markdown_names_every_row_and_the_speedup(two_rows):
    base, dynamic = two_rows
    rows = [asdict(base), asdict(dynamic)]
    report = {"rows": rows, "peak_gflops": PEAK, "summary": summary(rows, 0.85),
              "settings": {"model": "tiny", "data": {"data": "embedded", "max_train_samples": 64},
                           "epochs": 1, "batch_size": 16, "seed": 0, "eval_every": 2}}  # fmt: skip
    text = markdown(report)
    assert "| baseline |" in text and "| dynamic-padding |" in text
    assert f"{100 * base.padding_fraction:.1f}%" in text
    assert "not reached" in text


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (dict(rows="baseline,warp-drive"), "unknown rows \\['warp-drive'\\]"),
        (dict(rows=""), "unknown rows"),
        (dict(batch_size=2), "--batch-size"),
        (dict(epochs=float("inf")), "--epochs"),
        (dict(max_length=0), "--max-length"),
        (dict(sharing_steps=-1), "--sharing-steps"),
    ],
)
def test_bad_settings_are_user_errors(bad, message, tmp_path):
    with pytest.raises(UserError, match=message):
        BenchConfig(output=tmp_path / "b", **bad)


def test_a_two_jobs_row_trains_its_sharing_steps_only(tiny_bert, tmp_path):
    """A throughput row: the first `sharing_steps` steps of the budget, no accuracy claimed."""
    spec = RowSpec("two-jobs", "2 at once", jobs=2)
    row = run_row(spec, _settings(tiny_bert, tmp_path, sharing_steps=2), PEAK)
    assert row.steps == 2 and row.first_steps_seconds > 0
    assert row.accuracy is None and row.curve == [] and row.seconds_to_85 is None
    whole = run_row(spec, _settings(tiny_bert, tmp_path / "b", sharing_steps=0), PEAK)
    assert whole.steps == 4  # 64 sentences in steps of 16
    alone = run_row(RowSpec("bf16", "one"), _settings(tiny_bert, tmp_path / "c", sharing_steps=3),
                    PEAK)  # fmt: skip
    assert alone.steps == 4 and 0 < alone.first_steps_seconds < alone.train_seconds + 0.1
    assert len(whole.curve) == 2 and whole.accuracy is not None  # 4 steps, evaluated every 2


def test_the_chart_races_to_the_baselines_accuracy_when_no_row_reaches_the_target():
    reached = [{"seconds_to_85": 30.0, "seconds_to_baseline": 20.0}, {"seconds_to_85": None}]
    assert race(reached, 0.85) == ("seconds_to_85", "85% validation accuracy")
    missed = [{"seconds_to_85": None, "seconds_to_baseline": 20.0}, {"seconds_to_85": None}]
    assert race(missed, 0.85)[0] == "seconds_to_baseline"
