"""`day3 report`: every number, table and figure the slides and the lecture notes show, made
from the learner's own run folders, and written into the decks between include markers.

    day3 report runs/                 # Slides/generated/ from runs/, then the decks and notes
    day3 report --smoke               # tiny runs first (seconds), into a temporary folder
    day3 report runs/ --time 3_FineTuning/distilbert_finetuning.py   # time a lesson first

What it reads, by each folder's marker (day3.core.runs.read_marker): classifier runs
(metrics.json), comparisons, forgetting reports, the training benchmark, throughput reports,
the overview, staged uploads, the journey, and lesson timings (`--time`). What it makes:
`figures/*.png`, `tables/*.md` and `numbers/*.txt` in the generated folder, listed in
`manifest.json`. An input that is not there gives an include saying so, with the command that
makes it. The include markers (day3.report.includes) keep the Markdown readable on GitHub and
let nothing drift: only the text between them is rewritten.
"""
