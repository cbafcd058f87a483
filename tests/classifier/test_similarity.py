"""STS probe: loading and validating pairs, mean-pooled embeddings, Spearman on any wrapper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from day3.classifier.similarity import encode, encoder_of, sts_spearman
from day3.core.errors import UserError
from day3.data.pairs import SentencePairs, load_sts

GLUE_HEADER = (
    "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore"
)
SENTENCES = [
    "A man is playing a guitar.",
    "A man plays the guitar on stage.",
    "A woman is slicing an onion.",
    "Someone is cutting vegetables in the kitchen.",
    "The cat sleeps on the sofa.",
    'A "quoted" dog runs through the park.',
    "Stock markets fell sharply today.",
    "Two children are building a sandcastle.",
]


@pytest.fixture(scope="module")
def tiny_folder(tiny_bert) -> Path:  # conftest's random-init 2-layer BERT
    return tiny_bert


@pytest.fixture(scope="module")
def tokenizer(tiny_folder):
    from day3.models.loading import load_tokenizer

    return load_tokenizer(str(tiny_folder))


def _pairs(gold=None) -> SentencePairs:
    s1 = [SENTENCES[i] for i in range(len(SENTENCES)) for _ in range(2)]
    s2 = [SENTENCES[(i + k) % len(SENTENCES)] for i in range(len(SENTENCES)) for k in (1, 3)]
    return SentencePairs(s1, s2, list(gold) if gold is not None else [0.0] * len(s1), "test")


def _own_cosines(model, tok, pairs: SentencePairs) -> np.ndarray:
    a, b = encode(model, tok, pairs.sentence1), encode(model, tok, pairs.sentence2)
    return (a * b).sum(axis=1)


def _write_mirror(root: Path, rows: list[str], header: str = GLUE_HEADER) -> None:
    (root / "stsb").mkdir(parents=True)
    (root / "stsb" / "validation.tsv").write_text(header + "\n" + "\n".join(rows) + "\n")


def _glue_row(s1: str, s2: str, score: str) -> str:
    return f"0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\t{s1}\t{s2}\t{score}"


# ---------------------------------------------------------------- loading


def test_load_sts_reads_the_glue_tsv_from_the_mirror(tmp_path, monkeypatch):
    rows = [_glue_row(SENTENCES[i], SENTENCES[i + 1], f"{i * 0.5:.3f}") for i in range(5)]
    _write_mirror(tmp_path, rows)
    monkeypatch.setenv("DAY3_DATA_DIR", str(tmp_path))
    pairs = load_sts()
    assert len(pairs) == 5
    assert pairs.scores == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert pairs.sentence1[5 - 1] == SENTENCES[4]
    assert 'A "quoted" dog' in pairs.sentence2[4]  # quoting off: quotes are text, as GLUE means
    assert "local mirror" in pairs.source
    assert len(load_sts(max_pairs=3)) == 3


@pytest.mark.parametrize(
    ("score", "message"), [("abc", "'abc'"), ("7.5", "'7.5'"), ("", "empty"), ("nan", "'nan'")]
)
def test_load_sts_refuses_a_bad_score_naming_the_row(tmp_path, monkeypatch, score, message):
    rows = [_glue_row("a b", "c d", "1.0"), _glue_row("e f", "g h", score)]
    _write_mirror(tmp_path, rows)
    monkeypatch.setenv("DAY3_DATA_DIR", str(tmp_path))
    with pytest.raises(UserError, match=rf"score {message} in row 2 \(line 3\)"):
        load_sts()


def test_load_sts_names_missing_columns(tmp_path, monkeypatch):
    _write_mirror(tmp_path, ["x\ty\t1.0", "z\tw\t2.0"], header="sentence1\tsentence2\tlabel")
    monkeypatch.setenv("DAY3_DATA_DIR", str(tmp_path))
    with pytest.raises(UserError, match="no column 'score'"):
        load_sts()


def test_load_sts_refuses_an_empty_sentence(tmp_path, monkeypatch):
    _write_mirror(tmp_path, [_glue_row("a b", "c d", "1.0"), _glue_row(" ", "c d", "1.0")])
    monkeypatch.setenv("DAY3_DATA_DIR", str(tmp_path))
    with pytest.raises(UserError, match="row 2 .* empty 'sentence1'"):
        load_sts()


def test_load_sts_reads_a_jsonl_file(tmp_path):
    f = tmp_path / "pairs.jsonl"
    f.write_text(
        '{"sentence1": "a", "sentence2": "b", "score": 4}\n'
        '{"sentence1": "c", "sentence2": "d", "score": 0.5}\n'
    )
    assert load_sts(str(f)).scores == [4.0, 0.5]


def test_load_sts_offline_without_a_mirror_says_how_to_fix(monkeypatch):
    monkeypatch.delenv("DAY3_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match="DAY3_DATA_DIR"):
        load_sts()


# ---------------------------------------------------------------- scoring


def test_spearman_is_one_against_the_models_own_ordering(tiny_folder, tokenizer):
    from transformers import BertModel

    model = BertModel.from_pretrained(tiny_folder)
    pairs = _pairs()
    cos = _own_cosines(model, tokenizer, pairs)
    assert sts_spearman(model, tokenizer, _pairs(cos)) == pytest.approx(1.0)
    assert sts_spearman(model, tokenizer, _pairs(-cos)) == pytest.approx(-1.0)
    # Batching and length-sorting must not reorder results.
    assert sts_spearman(model, tokenizer, _pairs(cos), batch_size=3) == pytest.approx(1.0)


def test_identical_sentences_have_cosine_one(tiny_folder, tokenizer):
    from transformers import BertModel

    model = BertModel.from_pretrained(tiny_folder)
    emb = encode(model, tokenizer, SENTENCES + SENTENCES[::-1], batch_size=5)
    np.testing.assert_allclose(emb[: len(SENTENCES)], emb[len(SENTENCES) :][::-1], atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)


def test_encoder_of_reaches_the_backbone_with_lora_active(tiny_folder, tokenizer):
    from peft import get_peft_model
    from transformers import BertForSequenceClassification, BertModel

    from day3.classifier.strategies import StrategyConfig

    bare = BertModel.from_pretrained(tiny_folder)
    clf = BertForSequenceClassification.from_pretrained(tiny_folder, num_labels=2)
    assert encoder_of(bare) is bare
    assert encoder_of(clf) is clf.bert
    base = encode(bare, tokenizer, SENTENCES)
    np.testing.assert_allclose(encode(clf, tokenizer, SENTENCES), base, atol=1e-6)
    cos = _own_cosines(bare, tokenizer, _pairs())
    assert sts_spearman(clf, tokenizer, _pairs(cos)) == pytest.approx(1.0)

    peft_model = get_peft_model(clf, StrategyConfig.parse("lora:4").lora_config("bert"))
    np.testing.assert_allclose(encode(peft_model, tokenizer, SENTENCES), base, atol=1e-6)  # B = 0
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    adapted = encode(peft_model, tokenizer, SENTENCES)
    assert np.abs(adapted - base).max() > 1e-3  # the adapters change what the probe sees …
    merged = peft_model.merge_and_unload()
    np.testing.assert_allclose(
        encode(merged, tokenizer, SENTENCES), adapted, atol=1e-5
    )  # … exactly
    assert isinstance(sts_spearman(merged, tokenizer, _pairs(cos)), float)


def test_probe_restores_training_mode(tiny_folder, tokenizer):
    from transformers import BertForSequenceClassification

    clf = BertForSequenceClassification.from_pretrained(tiny_folder, num_labels=2).train()
    a = sts_spearman(clf, tokenizer, _pairs(range(16)))
    assert clf.training
    assert sts_spearman(clf, tokenizer, _pairs(range(16))) == a  # dropout was off


def test_too_few_pairs_is_a_user_error(tiny_folder, tokenizer):
    from transformers import BertModel

    with pytest.raises(UserError, match="at least 2"):
        sts_spearman(
            BertModel.from_pretrained(tiny_folder),
            tokenizer,
            SentencePairs(["a"], ["b"], [1.0], "x"),
        )


def test_an_undefined_correlation_is_refused_never_reported_as_a_number(tiny_folder, tokenizer):
    """Spearman is NaN when every cosine is the same (a collapsed encoder) or every gold score
    is: no number may stand in for it (0.0 would look measured)."""
    from transformers import BertModel

    model = BertModel.from_pretrained(tiny_folder)
    same_text = SentencePairs(["a film"] * 4, ["a film"] * 4, [0.0, 1.0, 2.0, 3.0], "x")
    with pytest.raises(UserError, match="undefined: all 4 pairs got the same cosine"):
        sts_spearman(model, tokenizer, same_text)
    flat = SentencePairs(["a", "b", "c"], ["d", "e", "f"], [2.0, 2.0, 2.0], "y")
    with pytest.raises(UserError, match="every pair has the same score"):
        sts_spearman(model, tokenizer, flat)


def test_mean_pooling_matches_sentence_transformers():
    """Our pooling is the one all-MiniLM was trained with: same embeddings as its own pipeline."""
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    from day3.models.loading import embedded_minilm_dir, load_tokenizer

    folder = str(embedded_minilm_dir())
    ours = encode(AutoModel.from_pretrained(folder), load_tokenizer(folder), SENTENCES[:4])
    st = SentenceTransformer(folder, device="cpu", local_files_only=True)
    theirs = st.encode(SENTENCES[:4], normalize_embeddings=True)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


@pytest.mark.integration
def test_minilm_ranks_stsb_like_its_model_card(mirror):
    from transformers import AutoModel

    if not (mirror / "stsb" / "validation.tsv").is_file():
        pytest.skip(f"no stsb/validation.tsv in the data mirror {mirror}")

    from day3.models.loading import embedded_minilm_dir, load_tokenizer

    folder = str(embedded_minilm_dir())
    pairs = load_sts(max_pairs=300)
    rho = sts_spearman(AutoModel.from_pretrained(folder), load_tokenizer(folder), pairs)
    assert rho > 0.75, rho  # all-MiniLM-L6-v2: ~0.82 on the whole STS-B test set


def test_works_on_distilbert_too(tiny_distilbert):
    from transformers import AutoModelForSequenceClassification

    from day3.models.loading import load_tokenizer

    tok = load_tokenizer(str(tiny_distilbert))
    clf = AutoModelForSequenceClassification.from_pretrained(tiny_distilbert, num_labels=2)
    assert encoder_of(clf) is clf.distilbert
    cos = _own_cosines(clf, tok, _pairs())
    assert sts_spearman(clf, tok, _pairs(cos)) == pytest.approx(1.0)


def test_the_embedded_sts_sample_works_offline_and_minilm_ranks_it(monkeypatch):
    """`auto` offline without a mirror is the kit's own sample; the pretrained encoder knows it."""
    from transformers import AutoModel

    from day3.models.loading import embedded_minilm_dir, load_tokenizer

    monkeypatch.delenv("DAY3_DATA_DIR", raising=False)
    pairs = load_sts("auto")
    assert len(pairs) == 60 and pairs.source == "embedded STS sample (written for the kit)"
    assert min(pairs.scores) == 0.0 and max(pairs.scores) == 5.0
    folder = str(embedded_minilm_dir())
    rho = sts_spearman(AutoModel.from_pretrained(folder), load_tokenizer(folder), pairs)
    assert rho > 0.8, rho  # a skill worth protecting; the random tiny BERT gets ~0.27 (overlap)
