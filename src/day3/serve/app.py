"""The web app of `day3 serve RUN`, in Gradio: a Predict tab and a Train tab.

    from day3.serve.app import ServeConfig, build_app, run_serve
    demo = build_app(ServeConfig(Path("runs/sentiment")))   # a gradio.Blocks, not launched
    run_serve(ServeConfig(Path("runs/sentiment")))          # serves it until Ctrl-C

Predict: the run's label and class probabilities (a classifier) or its generated answer (a
seq2seq model); requests that arrive together share one length-sorted forward pass
(`batch=True`), the model is loaded once. Train: a new fine-tuning job (day3.serve.jobs): the
data (the embedded reviews, the SST-2 mirror when DAY3_DATA_DIR has it, or an uploaded file
checked by the kit's own validation), a strategy from the kit's registry, the epochs; the
equivalent `day3 finetune-classifier` command is shown before Start; the loss plot and the
progress are read from the job's files every second, so a reload shows the same job.

Safe defaults for a demo on a laptop: it listens on 127.0.0.1 only, no share link, no
analytics, no file served but Gradio's own uploads, uploads size-limited and only ever read
as data, inputs length-limited, a bounded queue (a full queue answers "busy" at once).
"""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

from day3.classifier.strategies import STRATEGIES
from day3.core.errors import UserError
from day3.core.ui import say
from day3.serve.config import ServeConfig, run_kind
from day3.serve.jobs import TRAIN_MODELS, Busy, JobBoard
from day3.serve.predictor import Runs
from day3.serve.uploads import UPLOAD_TYPES, check_upload

__all__ = ["ServeConfig", "build_app", "launch_options", "run_serve"]

CLASSIFIER_EXAMPLES = [
    "A warm, funny and beautifully acted film.",
    "Two hours of my life I will never get back.",
    "The soundtrack alone is worth the ticket.",
]
SEQ2SEQ_EXAMPLES = [
    "is this review positive or negative ? review : the acting was very good",
    "translate to french : the red cat",
    "what is the largest digit : 3 9 4 1",
]
TICK_SECONDS = 1.0


def _gradio():
    """Gradio, imported only when an app is built (seconds of imports), analytics off."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio as gr

    return gr


def build_app(config: ServeConfig):
    """The app's gradio.Blocks, with its queue set; not launched. The served run's model is
    loaded here, once. `demo.day3` holds the runs and the job board (tests, run_serve)."""
    gr = _gradio()
    runs = Runs(config.run, config.workspace, config.max_input_chars, config.max_new_tokens)
    runs.served_predictor()  # load now: a broken run fails here, not on the first request
    board = JobBoard(config.workspace)
    with gr.Blocks(title=f"day3 · {config.run.name}", analytics_enabled=False) as demo:
        gr.Markdown(f"## day3 · `{config.run}` ({config.kind})")
        with gr.Tab("Predict"):
            run_box = _predict_tab(gr, config, runs)
        with gr.Tab("Train"):
            _train_tab(gr, demo, config, runs, board, run_box)
    demo.queue(max_size=config.queue_size, default_concurrency_limit=1)
    demo.day3 = SimpleNamespace(config=config, runs=runs, board=board)
    return demo


def _predict_tab(gr, config: ServeConfig, runs: Runs):
    classifier = config.kind == "classifier"
    run_box = gr.Dropdown(
        choices=runs.choices(),
        value=str(runs.served),
        label="run",
        allow_custom_value=True,  # checked by Runs.resolve: only the runs this app serves
        elem_id="predict-run",
    )
    text = gr.Textbox(
        label="review" if classifier else "instruction",
        lines=1,  # Enter submits (in a box of several lines it starts a new line)
        max_lines=8,
        max_length=config.max_input_chars,
        placeholder=f"up to {config.max_input_chars:,} characters; Enter to submit",
        elem_id="predict-text",
    )
    button = gr.Button("Predict", variant="primary", elem_id="predict-button")
    answer = gr.Textbox(label="answer", interactive=False, elem_id="predict-answer")
    probs = gr.Label(label="class probabilities", visible=classifier, elem_id="predict-probs")
    gr.Examples(CLASSIFIER_EXAMPLES if classifier else SEQ2SEQ_EXAMPLES, inputs=[text])
    gr.on(
        [button.click, text.submit],
        runs.answer_batch,
        inputs=[text, run_box],
        outputs=[probs, answer],
        batch=True,
        max_batch_size=config.batch_size,
        concurrency_limit=config.concurrency,
        api_name="predict",
    )
    run_box.change(
        lambda value: gr.Label(visible=_kind_of(runs, value) == "classifier"),
        inputs=run_box,
        outputs=probs,
        api_visibility="private",
    )
    return run_box


def _kind_of(runs: Runs, value: str | None) -> str | None:
    try:
        return run_kind(runs.resolve(value))
    except UserError:
        return None


def data_choices() -> list[tuple[str, str]]:
    """The Train tab's data: the embedded reviews, the SST-2 mirror if there is one, a file."""
    from day3.data.sources import mirror_file

    choices = [("embedded movie reviews (400, offline)", "embedded")]
    if mirror_file("sst2", "train") is not None:
        choices.append(("SST-2 from the local mirror (DAY3_DATA_DIR)", "sst2"))
    return choices + [("a file I upload (csv, tsv, jsonl)", "upload")]


def _train_tab(gr, demo, config: ServeConfig, runs: Runs, board: JobBoard, run_box) -> None:
    models = list(dict.fromkeys([config.train_model, *TRAIN_MODELS]))
    with gr.Row():
        data = gr.Radio(data_choices(), value="embedded", label="data", elem_id="train-data")
        upload = gr.File(
            label="training file: columns sentence, label",
            file_types=list(UPLOAD_TYPES),
            type="filepath",
            elem_id="train-upload",
        )
    upload_note = gr.Markdown(elem_id="train-upload-note")
    with gr.Row():
        model = gr.Dropdown(models, value=config.train_model, label="model", elem_id="train-model")
        strategy = gr.Dropdown(list(STRATEGIES), value="lora", label="strategy",
                               elem_id="train-strategy")  # fmt: skip
        epochs = gr.Number(1, label="epochs", minimum=0.01, maximum=config.max_epochs,
                           elem_id="train-epochs")  # fmt: skip
        samples = gr.Number(config.train_samples, label="training rows (0: all)", precision=0,
                            minimum=0, elem_id="train-samples")  # fmt: skip
    command = gr.Textbox(label="the same run from a shell", interactive=False,
                         elem_id="train-command")  # fmt: skip
    with gr.Row():
        start = gr.Button("Start", variant="primary", elem_id="train-start")
        stop = gr.Button("Stop", variant="stop", elem_id="train-stop")
    reply = gr.Textbox(label="message", interactive=False, elem_id="train-reply")
    status = gr.Textbox(label="job", interactive=False, elem_id="train-status")
    plot = gr.LinePlot(x="step", y="loss", title="training loss", elem_id="train-plot")
    seen = gr.State(None)
    inputs = [model, data, strategy, epochs, samples, upload]
    hidden = dict(api_visibility="private")
    preview = _previewer(board, config)
    gr.on([c.change for c in inputs], preview, inputs=inputs, outputs=command, **hidden)
    upload.upload(_upload_checker(config), inputs=upload, outputs=[upload_note, data], **hidden)
    start.click(_starter(board, config), inputs=inputs, outputs=reply, concurrency_limit=1,
                **hidden)  # fmt: skip
    stop.click(lambda: board.stop(), outputs=reply, concurrency_limit=1, **hidden)
    refresh = _refresher(gr, board, runs)
    watched = dict(inputs=[seen], outputs=[status, plot, run_box, seen], **hidden)
    gr.Timer(TICK_SECONDS).tick(refresh, queue=False, **watched)
    demo.load(refresh, queue=False, **watched)
    demo.load(preview, inputs=inputs, outputs=command, queue=False, **hidden)


def _previewer(board: JobBoard, config: ServeConfig):
    def preview(model, data, strategy, epochs, samples, upload) -> str:
        try:
            request = board.plan(model, data, strategy, epochs or 0, samples, upload,
                                 max_epochs=config.max_epochs)  # fmt: skip
        except UserError as e:
            return f"({e})"
        return request.command()

    return preview


def _upload_checker(config: ServeConfig):
    def check(path):
        if not path:
            return "", "embedded"
        try:
            return f"✓ {check_upload(path, config.max_upload_mb)}", "upload"
        except UserError as e:
            return f"✗ error: {e}", "upload"

    return check


def _starter(board: JobBoard, config: ServeConfig):
    def start(model, data, strategy, epochs, samples, upload) -> str:
        try:
            if data == "upload" and upload:
                check_upload(upload, config.max_upload_mb)
            status = board.start(
                upload=upload, max_upload_mb=config.max_upload_mb, model=model, data=data,
                strategy=strategy, epochs=epochs or 0, samples=samples,
                max_epochs=config.max_epochs,
            )  # fmt: skip
        except Busy as e:
            return str(e)
        except UserError as e:
            return f"error: {e}"
        return f"started {status.name}: {status.command}"

    return start


def _refresher(gr, board: JobBoard, runs: Runs):
    def refresh(seen):
        status = board.status()
        choices = runs.choices()
        key = (status.name, status.state, status.step, len(status.losses), tuple(choices))
        if key == seen:
            return status.summary(), gr.skip(), gr.skip(), seen
        import pandas as pd

        frame = pd.DataFrame(status.losses or [], columns=["step", "loss"])
        return status.summary(), frame, gr.Dropdown(choices=choices), key

    return refresh


def launch_options(config: ServeConfig) -> dict:
    """`Blocks.launch` keywords: this machine only by default, nothing shared or reported."""
    gr = _gradio()
    font = ("ui-sans-serif", "system-ui", "sans-serif")  # no web fonts: works offline
    return dict(
        server_name=config.host,
        server_port=config.port,
        share=False,
        max_file_size=config.max_upload_mb * 2**20,
        allowed_paths=None,  # nothing but Gradio's own uploads is served
        blocked_paths=[str(config.run.resolve().parent), str(config.workspace.resolve())],
        show_error=False,  # messages meant for the user are gr.Error / the reply boxes
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        enable_monitoring=False,
        quiet=True,
        run_history=False,  # no call history kept (nor offered to upload to a Hub bucket)
        footer_links=["api", "settings"],
        theme=gr.themes.Default(font=font, font_mono=("ui-monospace", "monospace")),
    )


def launch(demo, config: ServeConfig, **extra):
    """Start serving `demo` in the background; (app, local URL). A busy port is a UserError."""
    try:
        _, url, _ = demo.launch(**launch_options(config), prevent_thread_lock=True, **extra)
    except OSError:
        raise UserError(
            f"cannot listen on {config.host}:{config.port} (the port is in use, or the address "
            "is not this machine's); pass another --port or --host"
        ) from None
    return url


def run_serve(config: ServeConfig) -> None:
    """Serve the app until Ctrl-C; then close it and stop a training it started."""
    if config.exposed:
        say(
            f"warning: --host {config.host} opens the app to other machines; it has no login "
            "and anyone who reaches it can train on this machine"
        )
    demo = build_app(config)
    url = launch(demo, config)
    say(f"serving {config.run} ({config.kind}) at {url} — Ctrl-C stops it")
    try:
        while demo.is_running:
            time.sleep(0.5)
    finally:
        demo.close()
        demo.day3.board.stop_own()


def free_port() -> int:
    """A port nobody listens on now (tests, the lesson's smoke run)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
