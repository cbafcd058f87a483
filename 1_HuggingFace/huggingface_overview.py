"""The Hugging Face ecosystem, as installed on this machine: a live tour in a few screens.

Run (offline-safe, a few seconds; never waits on a dead network):
    python 1_HuggingFace/huggingface_overview.py
    DAY3_DATA_DIR=../shared/data python 1_HuggingFace/huggingface_overview.py   # with the mirror
    python 1_HuggingFace/huggingface_overview.py --json > overview.json          # machine-readable
    python 1_HuggingFace/huggingface_overview.py --smoke                         # no Hub probe
The same report from a shell: `day3 overview` (or `day3 overview --json`).

The story: which libraries make up "Hugging Face" and which versions you have, whether the Hub
is reachable (or offline mode is on), what is already on disk (the caches, the data mirror), which
models work here and why we can trust the embedded one (sha256), and where training would run.
It writes everything it saw to <output>/overview.json, to compare two machines (or two days).
"""

import json
import platform
import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "huggingface_overview.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_output, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

import day3  # noqa: E402
from day3.core.flags import Parser  # noqa: E402
from day3.overview import collect as overview  # noqa: E402
from day3.overview import render as overview_render  # noqa: E402

parser = Parser(description=__doc__.splitlines()[0])
parser.add_argument("--output", help="folder for overview.json (default runs/overview)")
parser.add_argument("--overwrite", action="store_true", help="replace a non-empty --output")
parser.add_argument("--json", action="store_true", help="print the overview as JSON on stdout")
parser.add_argument("--probe-timeout", type=float, default=1.5, help="Hub probe deadline (s)")
parser.add_argument("--smoke", action="store_true", help="skip the Hub probe: seconds, offline")
args = parser.parse_args()
show = (
    (lambda *_: None) if args.json else overview_render.render_section
)  # --json: stdout stays JSON

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    from day3.core.checks import positive
    from day3.core.runs import RunFolder, write_json, writing

    positive("probe_timeout", args.probe_timeout)
    output, replace_own = lesson_output(args.output, "runs/overview")
    folder = RunFolder(output, args.overwrite, kind="overview", replace_own=replace_own)
    folder.check()  # before the tour, not after it

# %% [markdown]
# 1. Versions. "Hugging Face" is a family of libraries released separately; most bug reports
#    start with these numbers. importlib.metadata reads them without importing anything.

# %%
with running():
    info = {
        "day3": day3.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "versions": overview.library_versions(),
    }
    show("versions", info)

# %% [markdown]
# 2. The Hub. Every from_pretrained / load_dataset asks huggingface.co first, unless offline
#    mode is on (HF_HUB_OFFLINE=1, which day3 sets from DAY3_OFFLINE or a 1.5 s probe). We
#    probe only when online, in a thread with a deadline: a classroom without network must
#    never hang here.

# %%
with running():
    info["hub"] = overview.hub_status(
        probe=False if args.smoke else None, timeout=args.probe_timeout
    )
    show("hub", info)

# %% [markdown]
# 3. Where training would run. CPU is a real option for small models; bf16 only where the
#    hardware does it natively (elsewhere it is emulated, and slower than fp32).

# %%
with running():
    info["device"] = overview.device_info()
    show("device", info)

# %% [markdown]
# 4. What is already on disk. The Hub cache (~/.cache/huggingface/hub) holds downloaded
#    repos, once per revision; datasets keeps Arrow copies of every file it loaded; the kit
#    keeps what it built itself (tiny models, the mini-FLAN stand-in).

# %%
with running():
    info["hf_cache"], info["day3_cache"] = overview.hf_cache(), overview.day3_cache()
    show("caches", info)

# %% [markdown]
# 5. The data mirror: the offline stand-in for load_dataset("stanfordnlp/sst2") and friends.
#    Row counts come from newlines and parquet footers: no file is parsed.

# %%
with running():
    info["mirror"] = overview.mirror_contents()
    show("mirror", info)

# %% [markdown]
# 6. Models. `--model minilm` works anywhere because its files ship inside a pip package;
#    their sha256 are pinned in day3.models.loading, so a corrupt or tampered copy is refused
#    before any weight is loaded.

# %%
with running():
    info["models"] = overview.embedded_models(verify=True)
    show("models", info)
    if info["models"]["minilm"]["verified"] is False:
        print("warning: the embedded MiniLM failed its checksums; see the table", file=sys.stderr)

# %% [markdown]
# 7. Who does what: each library's job, and the day3 modules that import it (read from the
#    source with `ast`, so this table cannot drift from the code).

# %%
with running():
    info["libraries"] = overview.library_map()
    show("libraries", info)

# %% [markdown]
# 8. Save what we saw; --json prints the same dict on stdout for scripts (`jq .versions`).

# %%
with running():
    with writing(folder) as path:
        write_json(path / "overview.json", info)
    out = folder.output
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"\nsaved {out / 'overview.json'}", file=sys.stderr)
