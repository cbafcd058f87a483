"""The Train tab's jobs, one at a time: each is `day3 finetune-classifier` in a subprocess of
its own, and everything the page shows is read back from files, so a reload, a second browser
or a restarted server all see the same state.

    WORKSPACE/job-003/job.json    what was started: the command, the pid, the run folder
    WORKSPACE/job-003/log.txt     the command's output (its "train full: step 3/40 ..." lines)
    WORKSPACE/job-003/stop.json   Stop was pressed
    WORKSPACE/job-003/exit.json   its exit status, written when it ends
    WORKSPACE/job-003/run/        the run folder it writes (day3.core.runs: whole or not at all)
    WORKSPACE/job-003/data.csv    the uploaded training file, copied under a fixed name

A second Start while one job trains is refused (`Busy`); the check and the start hold a file
lock, so two servers on one workspace cannot start two jobs either. Stop sends Ctrl-C (SIGINT)
to the job's process group: it ends as `interrupted` and leaves no half-written run.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from day3.classifier.strategies import StrategyConfig
from day3.core import checks
from day3.core.errors import UserError
from day3.core.runs import read_json_object, read_marker, write_json
from day3.serve.config import CLASSIFIER_KIND, JOB_RUN
from day3.serve.uploads import check_upload_size, upload_suffix

TRAIN_MODELS = ("minilm", "tiny-bert", "tiny-distilbert")  # offline encoders
PROGRESS_LINES = "50"  # progress lines per training (day3.core.progress): points of the plot
STEP = re.compile(
    r"^train (?P<label>\S+): step (?P<step>\d+)/(?P<total>\d+) \(\d+%\)"
    r"(?:, loss (?P<loss>[-+0-9.eE]+|nan|inf))?"
)
TRAINED = re.compile(r"^train \S+: trained (?P<steps>\d+) steps in .*, loss \S+ → (?P<loss>\S+)$")
LOG_TAIL = 2 * 2**20  # bytes of log read back: a training writes a few KB
STOP_GRACE = (15.0, 10.0)  # seconds after SIGINT before SIGTERM, then before SIGKILL


class Busy(UserError):
    """A Start while another job trains."""


@dataclass
class TrainRequest:
    """One Train-tab job: the `day3 finetune-classifier` flags the page chose."""

    model: str
    data: str  # embedded | sst2 | the job's copy of an uploaded file
    strategy: str
    epochs: float
    output: Path
    max_train_samples: int | None = None
    max_epochs: float = 20.0

    def __post_init__(self) -> None:
        StrategyConfig.parse(self.strategy)  # the registry's names, its one-line error
        checks.at_least("epochs", self.epochs, 0.01, self.max_epochs)
        if self.max_train_samples is not None:
            checks.count("max_train_samples", self.max_train_samples)
        for name in ("model", "data"):
            value = getattr(self, name)
            if not value or value.startswith("-") or "\n" in value:
                raise UserError(f"--{name} '{value}' is not a {name} name or path")

    def argv(self) -> list[str]:
        """The verb and its flags, as `python -m day3.cli` takes them."""
        argv = ["finetune-classifier", "--model", self.model, "--data", self.data]
        argv += ["--strategy", self.strategy, "--epochs", f"{self.epochs:g}"]
        if self.max_train_samples:
            argv += ["--max-train-samples", str(self.max_train_samples)]
        return argv + ["--output", str(self.output)]

    def command(self) -> str:
        """What a learner types in a shell for the same run."""
        return "day3 " + shlex.join(self.argv())


@dataclass
class JobStatus:
    """What the page shows, read from a job folder."""

    name: str | None = None
    state: str = "idle"  # idle | starting | running | stopping | done | failed | stopped | lost
    step: int = 0
    total: int = 0
    losses: list[tuple[int, float]] = field(default_factory=list)
    message: str = ""
    command: str = ""
    run: Path | None = None
    pid: int | None = None

    @property
    def active(self) -> bool:
        return self.state in ("starting", "running", "stopping")

    def progress(self) -> str:
        if not self.total:
            return "waiting for the first step" if self.active else ""
        loss = f", loss {self.losses[-1][1]:.4f}" if self.losses else ""
        return f"step {self.step}/{self.total} ({100 * self.step / self.total:.0f}%){loss}"

    def summary(self) -> str:
        if self.name is None:
            return "no job yet: choose the data, a strategy and epochs, then Start"
        line = f"{self.name}: {self.state}"
        if self.active and self.total:
            line += f", {self.progress()}"
        return f"{line}; {self.message}" if self.message else line


def parse_log(text: str) -> tuple[int, int, list[tuple[int, float]]]:
    """(last step, total steps, [(step, loss)]) from a training's progress lines."""
    step = total = 0
    losses: list[tuple[int, float]] = []
    for line in text.splitlines():
        m = STEP.match(line.strip())
        if m:
            step, total = int(m["step"]), int(m["total"])
            if m["loss"] is not None and (not losses or losses[-1][0] != step):
                losses.append((step, float(m["loss"])))
        end = TRAINED.match(line.strip())
        if end and total and (not losses or losses[-1][0] != total):  # the last logged loss
            losses.append((total, float(end["loss"])))
    return step, total, losses


def _result_line(text: str) -> str:
    """What the finished command said: its validation accuracy, or its error line."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and '"accuracy"' in line:
            try:
                summary = json.loads(line)
                return f"validation accuracy {summary['accuracy']:.3f}: serve it in Predict"
            except (ValueError, KeyError, TypeError):
                continue
        if line.startswith("error: ") or line == "interrupted":
            return line
    lines = [x for x in text.splitlines() if x.strip()]
    return lines[-1].strip() if lines else ""


def pid_alive(pid: int | None) -> bool:
    """True while `pid` is a live `day3.cli` process (a reused pid or a zombie is not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if not proc.is_dir():  # not Linux: the signal test is all there is
        return True
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X") and b"day3.cli" in (proc / "cmdline").read_bytes()
    except (OSError, IndexError):
        return False


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - LOG_TAIL))
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def read_status(folder: Path) -> JobStatus:
    """A job's state from its folder alone (nothing held in memory)."""
    job, ended = read_json_object(folder / "job.json"), read_json_object(folder / "exit.json")
    log = _tail(folder / "log.txt")
    step, total, losses = parse_log(log)
    run = Path(job["run"]) if job.get("run") else folder / JOB_RUN
    marker = read_marker(run)
    complete = bool(marker and marker.get("kind") == CLASSIFIER_KIND)
    complete = complete and marker.get("state") == "complete"
    stopped = (folder / "stop.json").is_file()
    pid = job.get("pid")
    if ended:
        rc = ended.get("returncode")
        state = "done" if rc == 0 and complete else "stopped" if stopped else "failed"
    elif not job or not pid:
        state = "starting"
    elif pid_alive(pid):
        state = "stopping" if stopped else "running"
    else:  # ended while no server watched it: the run folder says how
        state = "done" if complete else "stopped" if stopped else "lost"
    message = _result_line(log) if state in ("done", "failed", "stopped", "lost") else ""
    if state == "lost" and not message:
        message = "it ended without a result (its server stopped?)"
    return JobStatus(
        folder.name, state, step, total, losses, message, job.get("command", ""),
        run if complete else None, pid,
    )  # fmt: skip


class JobBoard:
    """Start, stop and watch the workspace's jobs; at most one trains at a time."""

    def __init__(self, workspace: Path, python: str | None = None) -> None:
        self.workspace = Path(workspace)
        self.python = python or sys.executable
        self.own: dict[int, Path] = {}  # pid -> job folder of the jobs this board started

    def folders(self) -> list[Path]:
        if not self.workspace.is_dir():
            return []
        jobs = [p for p in self.workspace.iterdir() if p.is_dir() and _number(p.name)]
        return sorted(jobs, key=lambda p: _number(p.name))

    def next_name(self) -> str:
        folders = self.folders()
        return f"job-{(_number(folders[-1].name) if folders else 0) + 1:03d}"

    def status(self) -> JobStatus:
        """The newest job's state (idle when there is none)."""
        folders = self.folders()
        return read_status(folders[-1]) if folders else JobStatus()

    def running(self) -> JobStatus | None:
        for folder in reversed(self.folders()):
            if (folder / "exit.json").is_file():  # ended: no need to read its log
                continue
            status = read_status(folder)
            if status.active:
                return status
        return None

    def plan(
        self,
        model: str,
        data: str,
        strategy: str,
        epochs: float,
        samples: int | None = None,
        upload: str | Path | None = None,
        name: str | None = None,
        max_epochs: float = 20.0,
    ) -> TrainRequest:
        """The request a Start would make now (`data` is embedded, sst2 or upload)."""
        folder = self.workspace / (name or self.next_name())
        if data == "upload":
            if not upload:
                raise UserError("no training file yet: upload a csv, tsv or jsonl file")
            data = str(folder / f"data{upload_suffix(upload)}")
        elif data not in ("embedded", "sst2"):
            raise UserError(f"unknown data choice '{data}'; choose embedded, sst2 or upload")
        samples = int(samples) if samples else None
        return TrainRequest(model, data, strategy, float(epochs), folder / JOB_RUN, samples,
                            max_epochs)  # fmt: skip

    @contextmanager
    def _locked(self):
        self.workspace.mkdir(parents=True, exist_ok=True)
        with open(self.workspace / ".start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # held by one server thread (or process) at once
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def start(self, upload: str | Path | None = None, max_upload_mb: int = 10, **settings):
        """Start a job (`plan`'s settings); `Busy` if one is training. Returns its status."""
        with self._locked():
            current = self.running()
            if current is not None:
                raise Busy(
                    f"busy: {current.name} is training ({current.progress()}); one job at a "
                    "time: wait for it to finish or press Stop"
                )
            request = self.plan(upload=upload, **settings)
            folder = request.output.parent
            folder.mkdir(parents=True)
            if settings.get("data") == "upload":
                check_upload_size(Path(upload), max_upload_mb)
                shutil.copyfile(upload, request.data)
            self._spawn(folder, request)
        return read_status(folder)

    def _spawn(self, folder: Path, request: TrainRequest) -> None:
        info = {"name": folder.name, "command": request.command(), "argv": request.argv()}
        info |= {"run": str(request.output.resolve()), "started": time.time(), "pid": None}
        _write(folder / "job.json", info)
        env = {**os.environ, "DAY3_PROGRESS_LINES": PROGRESS_LINES, "PYTHONUNBUFFERED": "1"}
        src = str(Path(__file__).resolve().parents[2])  # the kit, installed or not
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):  # never a rank of someone's torchrun
            env.pop(var, None)
        with open(folder / "log.txt", "ab") as log:
            proc = subprocess.Popen(
                [self.python, "-m", "day3.cli", *request.argv()],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: Stop reaches its children
            )
        self.own[proc.pid] = folder
        _write(folder / "job.json", {**info, "pid": proc.pid})
        threading.Thread(target=self._watch, args=(proc, folder), daemon=True).start()

    def _watch(self, proc: subprocess.Popen, folder: Path) -> None:
        rc = proc.wait()
        self.own.pop(proc.pid, None)
        _write(folder / "exit.json", {"returncode": rc, "finished": time.time()})

    def stop(self) -> str:
        """Ctrl-C to the training job, then SIGTERM and SIGKILL if it does not end."""
        current = self.running()
        if current is None or not current.pid:
            return "no job is training"
        _write(self.workspace / current.name / "stop.json", {"requested": time.time()})
        _signal(current.pid, signal.SIGINT)
        threading.Thread(target=_escalate, args=(current.pid,), daemon=True).start()
        return f"{current.name}: stopping"

    def stop_own(self, timeout: float = 20.0) -> None:
        """When the app closes: stop the jobs it started, and wait for them a while."""
        pids = [p for p in list(self.own) if pid_alive(p)]
        for pid in pids:
            _write(self.own[pid] / "stop.json", {"requested": time.time()})
            _signal(pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while any(pid_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in pids:
            _signal(pid, signal.SIGKILL)


def _number(name: str) -> int:
    m = re.fullmatch(r"job-(\d+)", name)
    return int(m[1]) if m else 0


def _write(path: Path, obj: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write_json(tmp, obj)
    tmp.replace(path)  # a reader sees the old file or the new one, never half of it


def _signal(pid: int, sig: int) -> None:
    if pid_alive(pid):
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)


def _escalate(pid: int) -> None:
    for sig, grace in zip((signal.SIGTERM, signal.SIGKILL), STOP_GRACE, strict=True):
        deadline = time.monotonic() + grace
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        _signal(pid, sig)
