"""Hello world: from nothing to a prediction, offline, in ten lines of code.

Run (offline, ~30 s on a 2-core laptop):
    python 1_HuggingFace/hello_world_demo.py
    python 1_HuggingFace/hello_world_demo.py "The soundtrack alone is worth the ticket."
    python 1_HuggingFace/hello_world_demo.py --smoke        # tiny random model, seconds

Offline there is no ready-made sentiment model, so line 3 makes one: it fine-tunes the embedded
MiniLM encoder on the kit's 400 embedded movie reviews. Online, skip it and pass any Hub
sentiment model to pipeline(), e.g. "distilbert-base-uncased-finetuned-sst-2-english".
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("texts", nargs="*", default=["A warm, funny and beautifully acted film."])
parser.add_argument("--output", default="runs/hello", help="where the fine-tuned model goes")
parser.add_argument("--smoke", action="store_true", help="tiny random model, seconds")
args = parser.parse_args()

# ---- the learner-facing part: ten lines ---------------------------------------------------
import day3  # noqa: E402, I001  (first: switches the HF libraries to offline mode when needed)
from transformers import pipeline  # noqa: E402

try:
    day3.run_classifier_job(day3.embedded_sentiment_job(args.output, smoke=args.smoke))
except day3.UserError as e:  # a bad --output, say: one line, not a traceback
    print(f"error: {e}", file=sys.stderr)
    sys.exit(2)
classify = pipeline("text-classification", model=args.output)
for text, result in zip(args.texts, classify(args.texts), strict=True):
    print(f"{result['label']} ({result['score']:.2f}): {text}")
