import shutil
from pathlib import Path

import pytest
import torch

from day3.core.errors import UserError
from day3.models import loading
from day3.models.catalogue import resolve_model
from day3.models.loading import MINILM_SHA256, verify_checksums


def test_local_folder_resolves(tiny_bert):
    r = resolve_model(str(tiny_bert))
    assert r.source == "local" and r.path == str(tiny_bert.resolve())


def test_embedded_alias_is_verified_and_offline():
    r = resolve_model("minilm")
    assert r.source == "embedded"
    assert (Path(r.path) / "model.safetensors").is_file()


def test_tampered_embedded_model_is_rejected(tmp_path):
    folder = tmp_path / "minilm"
    shutil.copytree(loading.embedded_minilm_dir(), folder)
    verify_checksums(folder)  # an intact copy passes
    with open(folder / "model.safetensors", "r+b") as f:
        f.seek(5000)
        byte = f.read(1)
        f.seek(5000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(UserError, match="failed its sha256 check"):
        verify_checksums(folder)
    (folder / "vocab.txt").unlink()
    with pytest.raises(UserError, match="missing"):
        verify_checksums(folder, {"vocab.txt": MINILM_SHA256["vocab.txt"]})


@pytest.mark.parametrize("name", ["distilbert", "distilbert-base-uncased", "someone/unknown-model"])
def test_unknown_or_uncached_model_offline_names_the_offline_alias(name):
    with pytest.raises(UserError, match="--model minilm"):
        resolve_model(name)


def test_missing_local_path_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        resolve_model(str(tmp_path / "nope"))


def test_folder_that_is_not_a_model(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UserError, match="not a model folder"):
        resolve_model(str(tmp_path))


def test_pickle_only_weights_are_refused_unless_allowed(tiny_bert, tmp_path):
    folder = tmp_path / "pickled"
    shutil.copytree(tiny_bert, folder)
    (folder / "model.safetensors").unlink()
    torch.save({}, folder / "pytorch_model.bin")
    with pytest.raises(UserError, match="--allow-pickle"):
        resolve_model(str(folder))
    assert resolve_model(str(folder), allow_pickle=True).source == "local"


def test_tiny_models_are_built_from_configs_and_tokenize(tiny_bert, tiny_distilbert):
    assert loading.read_model_type(str(tiny_bert)) == "bert"
    assert loading.read_model_type(str(tiny_distilbert)) == "distilbert"
    tok = loading.load_tokenizer(str(tiny_distilbert))
    assert tok("Not bad at all")["input_ids"][0] == tok.cls_token_id
