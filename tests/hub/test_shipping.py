"""What we ship, as a stock client sees it: the staged upload of a LoRA run, loaded on "another
machine" (a subprocess that never imports day3, in another working directory, whose Hugging
Face cache holds only the public base model) by plain transformers and peft, following the
model card's own instructions. Both the merged model and the adapter must give the classes by
name and the probabilities `day3 predict` gives."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from day3.cli.main import main
from day3.hub.push import local_roots

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
TEXTS = ["An absolute joy from the first scene to the last.", "A dull, tedious slog."]

# Run on the other machine: the card's code blocks (repo id -> the staged folder), then both
# models on TEXTS; prints what it got and which day3 modules it imported (none, we expect).
CLIENT = """
import json, sys
staged, texts = sys.argv[1], json.loads(sys.argv[2])
{card_code}
import torch
merged = [classify(t)[0] for t in texts]
with torch.no_grad():
    probs = model.eval()(**tokenizer(texts, return_tensors="pt", padding=True)).logits.softmax(-1)
names = model.config.id2label
adapter = [{{"label": names[int(p.argmax())], "score": float(p.max())}} for p in probs]
print(json.dumps({{"merged": merged, "adapter": adapter, "base": config.base_model_name_or_path,
                   "day3": sorted(m for m in sys.modules if m.split(".")[0] == "day3")}}))
"""


def hub_cache_with_minilm(root: Path) -> Path:
    """A Hugging Face cache, laid out as `hf download` leaves it, holding the public MiniLM:
    what a machine that once went online has."""
    from day3.models.loading import embedded_minilm_dir

    repo = root / "hub" / ("models--" + MINILM_ID.replace("/", "--"))
    snapshot = repo / "snapshots" / ("0" * 40)
    for src in embedded_minilm_dir().rglob("*"):
        if src.is_file():
            dest = snapshot / src.relative_to(embedded_minilm_dir())
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(src)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    return root / "hub"


def card_code(readme: str, repo_id: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert len(blocks) == 2, readme  # pipeline on the merged model; peft on the adapter
    return "\n".join(blocks).replace(f'"{repo_id}"', "staged")


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("shipping")
    run, upload = root / "run", root / "upload"
    argv = ["finetune-classifier", "--model", "minilm", "--data", "embedded", "--strategy"]
    argv += ["lora:4", "--max-train-samples", "64", "--max-eval-samples", "16", "--epochs", "1"]
    argv += ["--batch-size", "16", "--lr", "2e-3", "--output", str(run)]
    assert main(argv) == 0
    assert main(["push", str(run), "--repo-id", "me/day3-lora", "--dry-run", str(upload)]) == 0
    return run, upload, "me/day3-lora"


def test_the_upload_names_its_base_by_hub_id_and_no_local_path(staged):
    run, upload, _ = staged
    adapter = json.loads((upload / "adapter" / "adapter_config.json").read_text())
    assert adapter["base_model_name_or_path"] == MINILM_ID
    local = json.loads((run / "adapter" / "adapter_config.json").read_text())
    assert Path(local["base_model_name_or_path"]).is_dir()  # the run itself loads offline here
    roots = local_roots(run)
    for path in upload.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".md", ".txt"):
            text = path.read_text()
            assert not [r for r in roots if r in text], path


def test_the_run_folder_holds_the_kits_card_not_peft_template(staged):
    run, _, _ = staged
    readme = (run / "README.md").read_text()
    assert "More Information Needed" not in readme and "Model Card for Model ID" not in readme
    assert "sentiment classification (negative, positive)" in readme
    assert not (run / "adapter" / "README.md").exists()


@pytest.mark.slow
def test_stock_clients_load_the_upload_with_class_names_and_day3s_probabilities(
    staged, tmp_path, capsys
):
    run, upload, repo_id = staged
    capsys.readouterr()
    assert main(["predict", str(run), *TEXTS]) == 0
    ours = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    code = CLIENT.format(card_code=card_code((upload / "README.md").read_text(), repo_id))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAY3_", "HF_"))}
    env.update(HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(hub_cache_with_minilm(tmp_path)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", code, str(upload), json.dumps(TEXTS)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["day3"] == [] and got["base"] == MINILM_ID
    for (label, score, text), merged, adapter in zip(
        ours, got["merged"], got["adapter"], strict=True
    ):
        assert merged["label"] == adapter["label"] == label, text  # by name, not LABEL_0
        assert label in ("negative", "positive")
        assert merged["score"] == pytest.approx(float(score), abs=1e-4)
        assert adapter["score"] == pytest.approx(float(score), abs=1e-4)
