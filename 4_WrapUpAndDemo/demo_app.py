"""The demo app: a fine-tuned model behind a web page, and a Train tab that makes another one.

Run (offline; serves until Ctrl-C, open http://127.0.0.1:7860 in a browser):
    python 4_WrapUpAndDemo/demo_app.py                         # the sentiment lesson's run
    python 4_WrapUpAndDemo/demo_app.py --run runs/journey/run  # any classifier run folder
    python 4_WrapUpAndDemo/demo_app.py --smoke                 # tiny model, one request, seconds
The same app from a shell:
    day3 serve runs/sentiment

The story: a run folder is everything a model needs to answer, so serving it is small: load
it once, answer each request with the kit's own predictor (the requests that arrive together
share one length-sorted forward pass), and show the label with its class probabilities. The
Train tab starts `day3 finetune-classifier` in a process of its own, shows that very command
first, draws its loss from the run's progress lines, and serves the new run when it is done.
A demo left open on a laptop must be safe: it listens on this machine only, shares nothing,
accepts only small data files, short texts and a bounded queue, and trains one job at a time.
`--smoke` trains a tiny random model, starts the app on a free port, asks it one question
through its HTTP API, as any client would, prints the answer and stops.
"""

import sys
from pathlib import Path

# %% active="ipynb"
# __file__ = "demo_app.py"  # no __file__ in a notebook: the lesson beside it

# %%
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # run from a checkout too
from day3.core.lesson import kit_python, lesson_output, running  # noqa: E402

kit_python(__file__)  # from a fresh shell: re-runs this file on the kit's .venv Python

from day3.core.flags import Parser, add_flags, build  # noqa: E402
from day3.serve.config import ServeConfig  # noqa: E402

# The flags of `day3 serve`, with the run as `--run` (this lesson has a default one).
parser = Parser(description=__doc__.splitlines()[0])
add_flags(parser, ServeConfig, skip=("run",))
parser.add_argument("--run", default="runs/sentiment", help="the run folder to serve")
parser.add_argument("--smoke", action="store_true", help="tiny random model, one request")
args = parser.parse_args()
SMOKE_OUTPUT = "runs/demo_app"  # --smoke: the tiny run it trains, then serves
QUESTION = "A warm, funny and beautifully acted film."

# %% [markdown]
# 1. The run to serve. `--smoke` trains one in seconds (a 2-layer random BERT on 32 embedded
#    reviews: its labels are noise, its plumbing is the real one); otherwise it is a run you
#    trained, e.g. with 3_FineTuning/distilbert_finetuning.py.

# %%
with running():  # a mistake in the input: one line `error: …`; Ctrl-C: `interrupted`
    if args.smoke:
        from day3.classifier.run import run_classifier_job
        from day3.classifier.train import ClassifierJob
        from day3.data.classification import DataSpec

        run, replace_own = lesson_output(None, SMOKE_OUTPUT)
        data = DataSpec("embedded", max_train_samples=32, max_eval_samples=16)
        job = ClassifierJob(model="tiny-bert", data=data, epochs=1, output=run,
                            replace_own=replace_own)  # fmt: skip
        run_classifier_job(job)
    else:
        run = Path(args.run)
        if not run.exists():
            from day3.core.errors import UserError

            raise UserError(
                f"{run} does not exist; train it first (python "
                "3_FineTuning/distilbert_finetuning.py) or pass --run FOLDER"
            )

# %% [markdown]
# 2. The app: its settings checked before anything loads (a folder that is not a run is one
#    line, `error: …`), then the model loaded once, here, and the two tabs built around it.

# %%
with running():
    from day3.serve.app import build_app, free_port, launch, run_serve

    settings = dict(run=run)
    if args.smoke:  # a free port, and the Train tab's jobs in a folder of the smoke run's own
        settings |= dict(port=free_port(), workspace=Path(f"{SMOKE_OUTPUT}-jobs"))
    config = build(ServeConfig, args, **settings)
    print(f"serving {config.run} ({config.kind}) on {config.host}:{config.port}: Predict, Train")

# %% [markdown]
# 3. Serve it. A learner's run: until Ctrl-C (then a training it started is stopped too).
#    `--smoke`: start it in the background, ask one question through the HTTP API with
#    gradio_client, as another program would, check the answer is the model's, and stop.

# %%
with running():
    if not args.smoke:
        run_serve(config)
    else:
        from gradio_client import Client

        from day3.classifier.predict import load_classifier_folder, predict

        demo = build_app(config)
        try:
            url = launch(demo, config)
            client = Client(url, verbose=False)
            probs, answer = client.predict(QUESTION, str(config.run), api_name="/predict")
            model, tokenizer = load_classifier_folder(config.run)  # the kit's own predictor
            expected = predict(model, tokenizer, [QUESTION])[0].label
        finally:
            demo.close()
        shown = ", ".join(f"{c['label']} {c['confidence']:.3f}" for c in probs["confidences"])
        print(f"asked: {QUESTION}")
        print(f"the app answered: {answer} ({shown})")
        print("same as the kit's predictor on that folder:", "yes" if answer == expected else "NO")
