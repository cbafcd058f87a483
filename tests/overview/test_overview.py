"""`day3 overview`: true versions, honest offline report, verified embedded model, never hangs."""

import json
import time
from importlib import metadata

import pytest

from day3.models.loading import MINILM_SHA256
from day3.overview import collect as overview
from tests.cli.test_cli import run


@pytest.fixture
def tiny_mirror(tmp_path, monkeypatch):
    root = tmp_path / "mirror"
    (root / "sst2").mkdir(parents=True)
    (root / "sst2" / "train.tsv").write_text("sentence\tlabel\ngood\t1\nbad\t0\nfine\t1")
    (root / "sst2" / "README.md").write_text("not a data file")
    monkeypatch.setenv("DAY3_DATA_DIR", str(root))
    return root


def test_versions_match_installed_metadata():
    versions = overview.library_versions()
    assert {"transformers", "datasets", "huggingface_hub", "torch", "peft"} <= set(versions)
    for dist, version in versions.items():
        try:
            assert version == metadata.version(dist), dist
        except metadata.PackageNotFoundError:
            assert version is None, dist


def test_offline_is_reported_and_nothing_is_probed(monkeypatch):
    def must_not_run(**_):
        raise AssertionError("probed the Hub while offline")

    monkeypatch.setattr(overview, "hub_reachable", must_not_run)
    hub = overview.hub_status()
    assert hub["offline"] is True and hub["probed"] is False and hub["reachable"] is None
    assert "DAY3_OFFLINE=1" in hub["decided_by"]


def test_a_hanging_probe_times_out_quickly(monkeypatch):
    monkeypatch.setattr(overview, "hub_reachable", lambda **_: time.sleep(30) or True)
    start = time.perf_counter()
    hub = overview.hub_status(probe=True, timeout=0.2)
    assert time.perf_counter() - start < 2
    assert hub["probed"] and hub["reachable"] is False and "timed out" in hub["note"]


def test_a_failing_probe_means_unreachable(monkeypatch):
    def boom(**_):
        raise OSError("name resolution failed")

    monkeypatch.setattr(overview, "hub_reachable", boom)
    hub = overview.hub_status(probe=True, timeout=0.2)
    assert hub["reachable"] is False and "name resolution failed" in hub["note"]


def test_embedded_minilm_rows_are_verified():
    models = overview.embedded_models(verify=True)
    files = {f["file"]: f for f in models["minilm"]["files"]}
    weights = files["model.safetensors"]
    assert weights["verified"] is True and weights["sha256"] == weights["expected"]
    assert weights["bytes"] > 80 * 2**20
    assert models["minilm"]["verified"] is True
    aliases = {a["alias"]: a for a in models["aliases"]}
    assert aliases["minilm"]["kind"] == "embedded" and aliases["flan-t5"]["kind"] == "hub"


def test_a_tampered_file_is_not_verified(monkeypatch):
    pinned = dict(MINILM_SHA256)
    pinned["config.json"] = "0" * 64
    monkeypatch.setattr("day3.models.loading.MINILM_SHA256", pinned)
    models = overview.embedded_models(verify=True)
    rows = {f["file"]: f["verified"] for f in models["minilm"]["files"]}
    assert rows["config.json"] is False and rows["vocab.txt"] is True
    assert models["minilm"]["verified"] is False


def test_mirror_lists_sst2_with_row_counts(tiny_mirror):
    mirror = overview.mirror_contents()
    assert mirror["set"] and mirror["path"] == str(tiny_mirror)
    (sst2,) = mirror["datasets"]
    assert sst2["name"] == "sst2" and sst2["hub"] == "stanfordnlp/sst2"
    assert sst2["files"] == [{"file": "train.tsv", "bytes": 34, "rows": 3}]  # no final newline


def test_no_mirror_and_empty_caches_are_reported(tmp_path, monkeypatch):
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "nothing-here"))
    assert overview.mirror_contents()["set"] is False
    hub = overview.hf_cache()["hub"]
    assert hub["exists"] is False and hub["repos"] == [] and hub["error"] is None


def test_hub_cache_repos_are_listed(tmp_path, monkeypatch):
    repo = tmp_path / "hub" / "models--google--flan-t5-small"
    rev = "a" * 40
    (repo / "blobs").mkdir(parents=True)
    (repo / "blobs" / "b1").write_text('{"model_type": "t5"}')
    (repo / "snapshots" / rev).mkdir(parents=True)
    (repo / "snapshots" / rev / "config.json").symlink_to(repo / "blobs" / "b1")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(rev)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    hub = overview.hf_cache()["hub"]
    assert hub["exists"] and hub["error"] is None
    assert hub["repos"] == [
        {"repo_id": "google/flan-t5-small", "type": "model", "bytes": 20, "files": 1}
    ]


def test_day3_cache_lists_built_models(tmp_path, monkeypatch):
    monkeypatch.setenv("DAY3_CACHE", str(tmp_path))
    flan = tmp_path / "models" / "mini-flan-v3"
    flan.mkdir(parents=True)
    (flan / "build_info.json").write_text(json.dumps({"exact_match": {"a": 1.0, "b": 0.5}}))
    (tmp_path / "models" / "tiny-bert.tmp123").mkdir()  # a build in progress: not listed
    cache = overview.day3_cache()
    assert cache["path"] == str(tmp_path)
    (entry,) = cache["models"]
    assert (
        entry["name"] == "mini-flan-v3" and "stand-in" in entry["note"] and "0.75" in entry["note"]
    )


def test_library_map_reads_the_source():
    rows = {r["library"]: r for r in overview.library_map()}
    assert "data.files" in rows["datasets"]["day3_modules"]
    assert "hub.push" in rows["huggingface_hub"]["day3_modules"]
    assert not any(m.startswith("overview") for m in rows["torch"]["day3_modules"])


def test_cli_json_is_complete_and_quick(capsys, tiny_mirror, monkeypatch):
    monkeypatch.setattr(overview, "hub_reachable", lambda **_: time.sleep(30) or True)
    start = time.perf_counter()
    code, out, err = run(capsys, "overview", "--json")
    assert code == 0, err
    assert time.perf_counter() - start < 20
    info = json.loads(out)
    assert info["versions"]["datasets"] == metadata.version("datasets")
    assert info["hub"]["offline"] is True and info["models"]["minilm"]["verified"] is True
    assert [d["name"] for d in info["mirror"]["datasets"]] == ["sst2"]
    assert info["device"]["device"] in ("cpu", "cuda", "mps")


def test_cli_renders_tables_to_stderr(capsys, tiny_mirror):
    code, out, err = run(capsys, "overview", "--no-checksums")
    assert code == 0 and out == ""
    for heading in ("Installed libraries", "offline", "Data mirror", "sst2", "What each library"):
        assert heading in err, heading
    assert "not checked" in err


def test_cli_rejects_a_bad_timeout(capsys):
    from tests.cli.test_cli import assert_user_error

    code, _, err = run(capsys, "overview", "--probe-timeout", "0")
    assert_user_error(code, err, "--probe-timeout")
