"""The course summary: what you trained, your numbers, and what each session was for.

Run (offline, a few seconds; reads the run folders the lessons wrote under runs/):
    python 4_WrapUpAndDemo/course_summary.py                     # your runs, under runs/
    python 4_WrapUpAndDemo/course_summary.py path/to/my-runs     # run folders kept elsewhere
    python 4_WrapUpAndDemo/course_summary.py --smoke             # two tiny runs of its own, seconds
The same recap from a shell (Markdown on stdout; --output also writes summary.md and .html):
    day3 summary runs --output runs/course_summary/summary

The story: every lesson left a run folder behind, each with a marker saying what wrote it and
when, its settings and its numbers. The summary finds them all, reads each by its kind (a
classifier run, a strategies comparison, a forgetting report, a benchmark, a staged upload, the
journey, the graded final exercise) and puts your numbers next to each session's key takeaways
and the papers and documentation the course builds on. Nothing is measured here, and no number
in it is the course's: each one comes from a folder of yours. A broken folder is listed with
the reason it was skipped; with no runs at all you get the takeaways and a note on where to
start. Written to runs/course_summary/summary/ (summary.md, summary.html, summary.json); a
rerun replaces it. `--smoke` first trains two tiny runs (a random 2-layer BERT, full and LoRA)
into runs/course_summary/smoke-runs and summarizes only those.
"""

# %% active="ipynb"
# __file__ = "course_summary.py"  # the notebook's lesson file, beside it (see day3.core.lesson)

# %%
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_folder, lesson_output, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.flags import Parser, add_flags, build  # noqa: E402
from day3.summary.collect import SummaryConfig  # noqa: E402

# The flags of `day3 summary`, with this lesson's own output folder.
parser = Parser(description=__doc__.splitlines()[0])
add_flags(parser, SummaryConfig)
parser.add_argument("--smoke", action="store_true", help="two tiny runs of its own, seconds")
args = parser.parse_args()
output, replace_own = lesson_output(args.output, "runs/course_summary/summary")

# %% [markdown]
# ## 0. Something to summarize (`--smoke` only)
# Two tiny sentiment runs, full fine-tuning and LoRA, in a folder of their own, made by the
# same library call as the Session 1 and 3 lessons: a random 2-layer BERT, so their accuracy
# means nothing; the point is the plumbing.

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    if args.smoke:
        from day3.classifier.run import embedded_sentiment_job, run_classifier_job

        args.runs = lesson_folder(None, "runs/course_summary") / "smoke-runs"
        for strategy in ("full", "lora"):
            run_classifier_job(embedded_sentiment_job(args.runs / strategy, True, strategy))

# %% [markdown]
# ## 1. Find every run folder and read it by its kind
# A run folder is recognised by the kit's marker (`day3-output.json`) anywhere below RUNS_DIR;
# each kind has its reader (metrics.json, comparison.json, forgetting.json, check.json, ...).
# Nothing outside RUNS_DIR is read, and a folder that cannot be read is skipped with why.

# %%
with running():
    from day3.summary.collect import run_summary
    from day3.summary.render import markdown

    config = build(SummaryConfig, args, output=output, replace_own=replace_own)
    facts = run_summary(config)

# %% [markdown]
# ## 2. The recap
# Your outputs section by section, the exercise score, then each session's takeaways and the
# further reading. The same text is in summary.md, and as a page in summary.html.

# %%
print(markdown(facts))

# %% [markdown]
# ## 3. What to notice, read off your own folders

# %%
print("What to notice:")
scored = [r for r in facts["classifier_runs"] if r["accuracy"] is not None]
for r in scored:
    if r["baseline_accuracy"] is not None:
        print(f"  - {r['path']}: validation accuracy {r['baseline_accuracy']:.4f} before "
              f"training, {r['accuracy']:.4f} after ({r['strategy']}).")  # fmt: skip
trainable = [r for r in scored if r["trainable_percent"] is not None]
if len({r["strategy"] for r in trainable}) > 1:
    least = min(trainable, key=lambda r: r["trainable_percent"])
    print(f"  - {least['path']} ({least['strategy']}) trained "
          f"{least['trainable_percent']:.2f}% of its weights and reached accuracy "
          f"{least['accuracy']:.4f}.")  # fmt: skip
if facts["outputs"] == 0:
    print(f"  - no run folders under {facts['runs_dir']} yet: run a lesson, then this again.")
if facts["skipped"]:
    print(f"  - {len(facts['skipped'])} folder(s) skipped; the reasons are listed above.")
if facts["exercise"] is None:
    print("  - no exercise score yet: `day3 check` grades 4_WrapUpAndDemo/final_exercise.py.")
else:
    check = facts["exercise"]
    print(f"  - final exercise: score {check['score']:g}/{check['max_score']:g}.")
print(f"\nsummary: {output}/summary.md, summary.html, summary.json")
