"""Hello world: from nothing to a prediction, offline, in ten lines of code.

Run (offline, ~30 s on a 2-core laptop):
    python 1_HuggingFace/hello_world_demo.py
    python 1_HuggingFace/hello_world_demo.py "The soundtrack alone is worth the ticket."
    python 1_HuggingFace/hello_world_demo.py --smoke        # tiny random model, seconds

Offline there is no ready-made sentiment model, so line 3 makes one: it fine-tunes the embedded
MiniLM encoder on the kit's 400 embedded movie reviews. Online, skip it and pass any Hub
sentiment model to pipeline(), e.g. "distilbert-base-uncased-finetuned-sst-2-english".
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "hello_world_demo.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.flags import Parser  # noqa: E402

parser = Parser(description=__doc__.splitlines()[0])
parser.add_argument("texts", nargs="*", default=["A warm, funny and beautifully acted film."])
parser.add_argument("--output", help="where the model goes (default runs/hello: reruns replace it)")
parser.add_argument("--smoke", action="store_true", help="tiny random model, seconds")
args = parser.parse_args()

# %% [markdown]
# The learner-facing part: ten lines.

# %%
import day3  # noqa: E402, I001  (the kit: one import; kit_python above set the offline switches)
from transformers import pipeline  # noqa: E402

output = args.output or "runs/hello"  # the default is the lesson's own: a rerun replaces it
with running():  # a bad --output, say: one line, not a traceback; Ctrl-C: "interrupted"
    job = day3.embedded_sentiment_job(output, smoke=args.smoke, replace_own=not args.output)
    day3.run_classifier_job(job)
classify = pipeline("text-classification", model=output, trust_remote_code=False)
for text, result in zip(args.texts, classify(args.texts), strict=True):
    print(f"{result['label']} ({result['score']:.2f}): {text}")
