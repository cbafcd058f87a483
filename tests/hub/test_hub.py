"""`day3 push`, offline: the staged folder, the model card, the token, and a fake Hub."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

import day3.hub.card as model_card
import day3.hub.push as hub
from day3.cli.main import main
from day3.core.runs import MARKER
from tests.cli.test_cli import assert_user_error, run

SENTINEL = "hf_SENTINEL_do_not_leak_123"
EXPECTED = {
    "README.md",
    "config.json",
    "confusion_matrix.png",
    "metrics.json",
    "model.safetensors",
    "settings.json",
    "tokenizer.json",
    "tokenizer_config.json",
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hub") / "run"
    # The token is set while training too: nothing the run writes may pick it up.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_TOKEN", SENTINEL)
        code = main(
            [
                "finetune-classifier",
                "--model",
                "tiny-bert",
                "--data",
                "embedded",
                "--max-train-samples",
                "32",
                "--max-eval-samples",
                "16",
                "--epochs",
                "1",
                "--output",
                str(out),
            ]
        )
    assert code == 0
    return out


@pytest.fixture
def token(monkeypatch) -> str:
    monkeypatch.setenv("HF_TOKEN", SENTINEL)
    return SENTINEL


@pytest.fixture
def run_copy(run_dir, tmp_path) -> Path:
    """A private copy for tests that plant files."""
    return Path(shutil.copytree(run_dir, tmp_path / "run"))


class FakeApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []
        self.uploaded: set[str] = set()

    def create_repo(self, *args, **kwargs):
        self.calls.append(("create_repo", args, kwargs))
        return f"https://huggingface.co/{args[0]}"

    def upload_folder(self, *args, **kwargs):
        from fnmatch import fnmatch

        self.calls.append(("upload_folder", args, kwargs))
        folder = Path(kwargs["folder_path"])  # deleted after the push: look now
        ignored = kwargs.get("ignore_patterns") or []
        self.uploaded = {
            str(p.relative_to(folder))
            for p in folder.rglob("*")
            if p.is_file() and not any(fnmatch(p.name, pat) for pat in ignored)
        }


def files_under(*folders: Path) -> list[Path]:
    return [p for f in folders for p in f.rglob("*") if p.is_file()]


def test_dry_run_writes_the_folder_and_a_card_that_parses(run_dir, tmp_path, capsys, token):
    from huggingface_hub import ModelCard

    dest = tmp_path / "upload"
    code, out, err = run(capsys, "push", run_dir, "--repo-id", "me/day3-tiny", "--dry-run", dest)
    assert code == 0, err
    # The upload, plus the kit's marker, which push never sends (ignore_patterns).
    assert {p.name for p in dest.iterdir()} == EXPECTED | {MARKER}
    assert [Path(ln.split("\t")[0]).name for ln in out.splitlines()] == sorted(EXPECTED)
    card = ModelCard.load(dest / "README.md")
    meta = card.data.to_dict()
    assert meta["license"] == "apache-2.0"
    assert meta["pipeline_tag"] == "text-classification"
    assert meta["metrics"] == ["accuracy", "f1"]
    assert {"day3", "text-classification", "full"} <= set(meta["tags"])
    assert "base_model" not in meta and "datasets" not in meta  # tiny-bert, embedded data
    metric_types = [m["type"] for m in meta["model-index"][0]["results"][0]["metrics"]]
    assert metric_types == ["accuracy", "f1"]
    assert "## Results (validation)" in card.text and "## Intended use" in card.text


def test_token_appears_nowhere(run_dir, tmp_path, capsys, caplog, token):
    caplog.set_level(logging.DEBUG)
    dest = tmp_path / "upload"
    code, out, err = run(capsys, "push", run_dir, "--repo-id", "me/x", "--dry-run", dest)
    assert code == 0, err
    for path in files_under(run_dir, dest):
        assert SENTINEL.encode() not in path.read_bytes(), path
    assert SENTINEL not in out + err + caplog.text


def test_push_calls_the_api_with_the_staged_folder(run_dir, monkeypatch, capsys, token):
    monkeypatch.setattr(hub, "is_offline", lambda: False)
    api = FakeApi()
    files = hub.push(run_dir, "me/day3-tiny", private=True, api=api)
    assert [c[0] for c in api.calls] == ["create_repo", "upload_folder"]
    (_, c_args, c_kwargs), (_, u_args, u_kwargs) = api.calls
    assert c_args == ("me/day3-tiny",)
    assert c_kwargs == {"private": True, "exist_ok": True, "token": SENTINEL}
    assert u_args == () and u_kwargs["repo_id"] == "me/day3-tiny"
    assert u_kwargs["token"] == SENTINEL
    assert SENTINEL not in u_kwargs["commit_message"]
    assert api.uploaded == {str(f) for f in files} == EXPECTED
    assert not Path(u_kwargs["folder_path"]).exists()  # the temporary stage is cleaned up
    assert SENTINEL not in "".join(capsys.readouterr())


def test_offline_without_dry_run_says_how(run_dir, capsys, token):
    code, _, err = run(capsys, "push", run_dir, "--repo-id", "me/x")
    assert_user_error(code, err, r"unreachable \(offline\); use --dry-run DIR")


@pytest.mark.parametrize("repo_id", ["noslash", "a/b/c", "me/bad name", "me/", "me/x--y"])
def test_bad_repo_id(run_dir, tmp_path, capsys, repo_id):
    code, _, err = run(capsys, "push", run_dir, "--repo-id", repo_id, "--dry-run", tmp_path / "d")
    assert_user_error(code, err, r"bad --repo-id .*user/name")
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("name", ["pytorch_model.bin", "merged/extra.pt", "state.pkl"])
def test_pickle_in_run_folder_is_refused(run_copy, tmp_path, capsys, name):
    (run_copy / name).parent.mkdir(exist_ok=True)
    (run_copy / name).write_bytes(b"\x80\x04pickle")
    dest = tmp_path / "d"
    code, _, err = run(capsys, "push", run_copy, "--repo-id", "me/x", "--dry-run", dest)
    assert_user_error(code, err, rf"{Path(name).name} is a pickle file")
    assert not dest.exists()


def test_no_token_online_gives_the_login_hint(run_dir, monkeypatch, capsys):
    import huggingface_hub

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    monkeypatch.setattr(hub, "is_offline", lambda: False)
    code, _, err = run(capsys, "push", run_dir, "--repo-id", "me/x")
    assert_user_error(code, err, r"no Hugging Face token.*HF_TOKEN.*hf auth login")


def test_token_inside_a_run_file_is_refused(run_copy, tmp_path, capsys, token):
    settings = run_copy / "settings.json"
    settings.write_text(settings.read_text().replace("<HUB_TOKEN>", SENTINEL))
    dest = tmp_path / "d"
    code, out, err = run(capsys, "push", run_copy, "--repo-id", "me/x", "--dry-run", dest)
    assert_user_error(code, err, r"settings.json contains your Hugging Face token")
    assert SENTINEL not in out + err
    assert not dest.exists() and not dest.with_name("d.partial").exists()


def test_non_empty_dry_run_folder_needs_overwrite(run_dir, tmp_path, capsys, token):
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / "stray.txt").write_text("old")
    code, _, err = run(capsys, "push", run_dir, "--repo-id", "me/x", "--dry-run", dest)
    assert_user_error(code, err, r"not empty.*--overwrite")
    code, _, err = run(
        capsys, "push", run_dir, "--repo-id", "me/x", "--dry-run", dest, "--overwrite"
    )
    assert code == 0, err
    assert {p.name for p in dest.iterdir()} == EXPECTED | {MARKER}  # the stray file is gone


def test_adapter_merged_and_forgetting_are_staged_and_reported(run_copy, tmp_path, token):
    import json

    from huggingface_hub import ModelCard

    (run_copy / "adapter").mkdir()
    base = {"base_model_name_or_path": str(run_copy.parent / "somewhere" / "base")}
    (run_copy / "adapter" / "adapter_config.json").write_text(json.dumps(base))
    (run_copy / "adapter" / "adapter_model.safetensors").write_bytes(b"x")
    (run_copy / "forgetting.md").write_text("| strategy | drop |\n| --- | --- |\n| lora | 0.1 |\n")
    files = hub.stage_upload(run_copy, tmp_path / "d", "me/x", license="mit")
    names = {str(f) for f in files}
    assert {"config.json", "model.safetensors"} <= names  # the merged model at the root
    assert {"adapter/adapter_config.json", "adapter/adapter_model.safetensors"} <= names
    assert "forgetting.md" not in names and "train_log.json" not in names
    staged = json.loads((tmp_path / "d" / "adapter" / "adapter_config.json").read_text())
    assert staged["base_model_name_or_path"] == "tiny-bert"  # no Hub original: its bare name
    card = ModelCard.load(tmp_path / "d" / "README.md")
    assert card.data.license == "mit" and card.data.library_name == "transformers"
    assert "peft" in card.data.tags and 'subfolder="adapter"' in card.text
    assert "## Catastrophic forgetting" in card.text and "| lora | 0.1 |" in card.text


@pytest.mark.parametrize(
    ("metrics", "base", "dataset"),
    [
        (
            {"model": "minilm", "data": "sst2 (local mirror)"},
            "sentence-transformers/all-MiniLM-L6-v2",
            "stanfordnlp/sst2",
        ),
        ({"model": "tiny-bert", "data": "embedded"}, None, None),
        ({"model": "/some/folder", "model_source": "local"}, None, None),
        ({"model": "org/model", "model_source": "hub"}, "org/model", None),
    ],
)
def test_base_model_and_dataset(metrics, base, dataset):
    assert model_card.base_model_of(metrics) == base
    assert model_card.dataset_of(metrics) == dataset


def test_staged_reports_carry_no_local_paths(run_dir, tmp_path, capsys):
    import json

    dest = tmp_path / "upload"
    code, _, err = run(capsys, "push", run_dir, "--repo-id", "me/run", "--dry-run", dest)
    assert code == 0, err
    original = (run_dir / "settings.json").read_text()
    assert str(run_dir.parent) in original  # the run itself records where it was written
    for name in ("settings.json", "metrics.json"):
        text = (dest / name).read_text()
        assert str(run_dir.parent) not in text and str(Path.home()) not in text, name
        json.loads(text)  # still valid JSON
    assert json.loads((dest / "settings.json").read_text())["output"] == run_dir.name


def test_the_card_describes_the_task_the_run_was_trained_on(run_copy):
    import json

    metrics = json.loads((run_copy / "metrics.json").read_text())
    metrics.update(label_names=["sport", "politics", "tech"], data="file /home/ann/news.csv")
    (run_copy / "metrics.json").write_text(json.dumps(metrics))
    card = model_card.write_model_card(run_copy, "me/news")
    assert "3-class text classification (sport, politics, tech) on file news.csv" in card.text
    assert "sentiment" not in card.text.lower() and "movie" not in card.text.lower()
    assert "/home/ann" not in card.text  # the card is public
    task = card.data.to_dict()["model-index"][0]["results"][0]["task"]
    assert task["name"] == "3-class text classification"


def test_dry_run_as_a_flag_stages_beside_the_run(run_copy, capsys, token):
    """`day3 push RUN --repo-id ID --dry-run`, like `git push --dry-run`: the folder defaults to
    RUN-upload beside the run, and says so."""
    code, out, err = run(capsys, "push", run_copy, "--repo-id", "me/x", "--dry-run")
    assert code == 0, err
    staged = run_copy.with_name(run_copy.name + "-upload")
    assert f"staging the upload in {staged}" in err
    assert {p.name for p in staged.iterdir()} == EXPECTED | {MARKER}
    assert [Path(ln.split("\t")[0]) for ln in out.splitlines()][0].parent == staged
