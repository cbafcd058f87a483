"""Loads from several threads (the demo app answers in request threads): transformers 5 swaps
`PreTrainedModel.tie_weights` for a no-op on the class while it loads, so two loads at once
can leave tying off for the rest of the process and every later T5 with empty (meta)
embeddings. The kit's loaders take turns, and refuse a model that came back empty."""

import threading
import time

import pytest
from transformers import (
    AutoModelForSeq2SeqLM,
    AutoModelForSequenceClassification,
    PreTrainedModel,
)

from day3.models.catalogue import resolve_model
from day3.models.loading import load_classifier, load_seq2seq
from tests.conftest import at_once

LOADERS = {
    "seq2seq": (AutoModelForSeq2SeqLM, lambda: load_seq2seq(resolve_model("tiny-t5").path)),
    "classifier": (
        AutoModelForSequenceClassification,
        lambda: load_classifier(resolve_model("tiny-bert").path, {0: "neg", 1: "pos"}),
    ),
}


@pytest.mark.parametrize("kind", LOADERS)
def test_loads_from_many_threads_take_turns(kind, monkeypatch):
    auto, load = LOADERS[kind]
    load()  # built and cached before the threads start
    original = auto.from_pretrained
    inside, most = [0], [0]
    lock = threading.Lock()

    def counting(*args, **kwargs):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        try:
            time.sleep(0.05)  # a slow disk: the window another thread would enter
            return original(*args, **kwargs)
        finally:
            with lock:
                inside[0] -= 1

    monkeypatch.setattr(auto, "from_pretrained", counting)
    at_once(lambda i: load(), 6)
    assert most[0] == 1


def test_concurrent_t5_loads_leave_weight_tying_on():
    original = PreTrainedModel.tie_weights
    load = LOADERS["seq2seq"][1]
    load()
    for _ in range(3):  # unguarded, one round of 8 breaks tying about 2 times in 3
        models = at_once(lambda i: load(), 8)
        assert PreTrainedModel.tie_weights is original
    model = models[0][0]
    assert model.lm_head.weight.data_ptr() == model.shared.weight.data_ptr()  # tied, with data
    assert not [n for n, p in load()[0].named_parameters() if p.device.type == "meta"]


def test_a_model_loaded_with_empty_weights_is_refused(monkeypatch):
    LOADERS["seq2seq"][1]()  # built and cached first: a build with tying off saves every weight
    monkeypatch.setattr(PreTrainedModel, "tie_weights", lambda self, *a, **k: None)
    with pytest.raises(RuntimeError, match="weight tying was switched off"):
        LOADERS["seq2seq"][1]()
