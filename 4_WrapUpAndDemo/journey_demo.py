"""The journey: the whole day in one run, from data to a shipped model, offline, in minutes.

Run (offline; about a minute on a 2-core laptop with the embedded data):
    python 4_WrapUpAndDemo/journey_demo.py                      # embedded reviews, MiniLM, LoRA
    python 4_WrapUpAndDemo/journey_demo.py --smoke              # tiny random model, seconds
    python 4_WrapUpAndDemo/journey_demo.py --serve              # then open the demo app on it
    DAY3_DATA_DIR=../shared/data python 4_WrapUpAndDemo/journey_demo.py --data sst2
The same from a shell (`make demo` runs this lesson):
    day3 journey --output runs/journey

The story, one stage per step, each timed: look at the data; ask what the pretrained encoder
gets right without any training (zero-shot: is a review closer to "a positive review" or to "a
negative review"?); fine-tune it with LoRA; reload the saved folder as anyone would and score
it (accuracy, macro-F1, confusion matrix); measure what the encoder forgot of its pretrained
skill (sentence similarity); stage exactly what an upload to the Hub would send, model card
included; and write it all up as a report (Markdown, and an HTML page with the plots).
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "journey_demo.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.flags import Parser, add_flags, build  # noqa: E402
from day3.journey.config import JourneyConfig  # noqa: E402

# The flags of `day3 journey`: the same settings, the same defaults, the same checks.
parser = Parser(description=__doc__.splitlines()[0])
add_flags(parser, JourneyConfig)
args = parser.parse_args()

# %% [markdown]
# Every stage prints `[i/7] stage: what` when it starts and its time when it ends. A stage that
# fails names itself: `error: stage 3/7 'fine-tune' failed: …`.

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    from day3.journey.run import run_journey

    config = build(JourneyConfig, args)
    journey = run_journey(config)

# %% [markdown]
# What to notice, read off this run's numbers.

# %%
with running():
    facts = journey["facts"]
    zero, tuned = facts["zero-shot"]["accuracy"], facts["evaluate"]["accuracy"]
    forgot = facts["forgetting"]
    print(f"zero-shot {zero:.3f} → fine-tuned {tuned:.3f} ({facts['fine-tune']['strategy']}, "
          f"{facts['fine-tune']['trainable_params']:,} trained parameters)")  # fmt: skip
    print(f"{forgot['probe']}: {forgot['before']:.3f} → {forgot['after']:.3f} "
          f"(forgetting {forgot['drop']:+.3f})")  # fmt: skip
    print(f"total {sum(t['seconds'] for t in journey['timings']):.0f} s; report: "
          f"{config.part('report')}/report.html")  # fmt: skip
