"""Runs the learner's code in a worker process (day3.exercise.worker) and holds every task to
its timeout, so that nothing the learner writes can stop the grading: an endless loop costs that
task only (the worker is killed and a fresh one grades the tasks after it), and so does a crash
(os._exit, a segfault); a file that does not load fails every task with the reason.

What comes back per task is the worker's "done" event ({"cases": [...]} or {"skip": ...}), or
{"problem": hint} for what the worker could not report itself (a timeout, a crash).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

# The grader's own time, not the learner's: importing torch in the worker and building a task's
# cases (tiny models). Generous, for a loaded laptop; they only bound a grader that hangs.
READY_SECONDS = 300.0
BUILD_SECONDS = 300.0
END_TO_END_SECONDS = 300.0  # plus a few task timeouts: the learner's functions run in it

# Not `-m`: that puts the current folder first on sys.path, where a learner's `numpy.py` or
# `torch.py` would shadow the library for the grader too.
WORKER = (
    "import os, sys\n"
    "if sys.path and sys.path[0] in ('', os.getcwd()): sys.path.pop(0)\n"
    "from day3.exercise.worker import main\n"
    "sys.exit(main())\n"
)


def _pump(stream, events: queue.Queue) -> None:
    """Worker stdout -> events; None at the end (the worker exited or closed its channel)."""
    try:
        for line in stream:
            try:
                events.put(json.loads(line))
            except ValueError:  # never from the worker's channel; ignore rather than guess
                continue
    finally:
        events.put(None)


@dataclass
class Worker:
    proc: subprocess.Popen
    events: queue.Queue
    log: object  # the worker's stderr: the learner's prints, and the last words of a crash

    @classmethod
    def start(cls, job: dict) -> Worker:
        import day3

        env = dict(os.environ)
        # The worker imports day3 from where this process did (a lesson run from a checkout).
        src = str(Path(day3.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
        log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115  closed by stop()
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
            start_new_session=True,  # its own process group: killed whole, spared a Ctrl-C
        )
        events: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(proc.stdout, events), daemon=True).start()
        worker = cls(proc, events, log)
        worker.send(job)
        return worker

    def send(self, message: dict) -> None:
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):  # it died: the next event says so
            pass

    def next(self, seconds: float) -> dict:
        """The next event, {"event": "timeout"} after `seconds`, or {"event": "exit"}."""
        try:
            event = self.events.get(timeout=min(seconds, 1e6))
        except queue.Empty:
            return {"event": "timeout"}
        return event if event is not None else {"event": "exit"}

    def exit_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if code is not None and code < 0:
            reason = f"killed by signal {signal.Signals(-code).name}"
        else:
            reason = f"exit code {code}"
        self.log.seek(0)
        lines = [line for line in self.log.read().splitlines() if line.strip()]
        return f"{reason}; it last said: {lines[-1].strip()[:160]}" if lines else reason

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # a worker waiting for the end-to-end line exits on EOF
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=2)
        # Its children too (a learner's own subprocess): the whole process group it leads.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()


def run_tasks(path: Path, names: list[str], seed: int, timeout: float):
    """({task: what the worker reported}, the worker still alive after the last task or None).
    After a timeout or a crash a fresh worker grades the remaining tasks."""
    raw: dict[str, dict] = {}
    worker = None
    try:
        while todo := [n for n in names if n not in raw]:
            worker = Worker.start({"file": str(path), "seed": seed, "tasks": todo})
            if not _drive(worker, path, todo, timeout, raw):
                worker.stop()
                worker = None
    except BaseException:  # Ctrl-C included: no worker outlives the grading
        if worker is not None:
            worker.stop()
        raise
    return raw, worker


def _opened(worker: Worker, path: Path, timeout: float) -> str | None:
    """None once the worker has loaded the learner's file; else what went wrong, which is then
    every task's hint."""
    event = worker.next(READY_SECONDS)
    if event["event"] != "ready":
        return (
            f"the grader's worker did not start ({worker.exit_reason()}); run `make setup` in "
            "the course folder, then day3 check again"
        )
    event = worker.next(timeout)
    if event["event"] == "timeout":
        return (
            f"{path.name} did not finish loading within {timeout:g} s: code at the top level "
            "of the file runs on import (an endless loop?); move it into a function or under "
            '`if __name__ == "__main__":`'
        )
    if event["event"] == "load_error":
        e = event["error"]
        where = f" ({e['where']})" if e.get("where") else ""
        said = f": {e['message']}" if e.get("message") else ""
        return f"{path.name} does not load: {e['type']}{said}{where}; fix it, then run day3 check again"
    if event["event"] != "loaded":
        return (
            f"{path.name} ended the grader's process while loading ({worker.exit_reason()}); "
            "code at its top level must not exit or crash"
        )
    return None


def _drive(worker: Worker, path: Path, todo: list[str], timeout: float, raw: dict) -> bool:
    """Feed `raw` from one worker; False when it must be stopped. Each return path records at
    least one task, so run_tasks always gets closer to the end."""
    problem = _opened(worker, path, timeout)
    if problem:
        for name in todo:
            raw[name] = {"problem": problem}
        return False
    for name in todo:
        event = worker.next(BUILD_SECONDS)
        started = event["event"] == "start"
        if started:
            event = worker.next(timeout)
        if event["event"] == "done":
            raw[name] = event
            continue
        raw[name] = _lost(worker, name, event, started, timeout)
        return False
    return True


def _lost(worker: Worker, name: str, event: dict, started: bool, timeout: float) -> dict:
    """What to report for a task whose worker gave no "done": hung or died."""
    if not started:  # while the grader built the cases: not the learner's doing
        why = "it hung" if event["event"] == "timeout" else worker.exit_reason()
        return {
            "skip": f"skipped: the grader stopped while building the cases of {name} ({why}); "
            "a kit problem: report it"
        }
    if event["event"] == "timeout":
        return {
            "problem": f"{name} did not return within {timeout:g} s on a hidden case (an "
            "endless loop, or far too slow?); fix it, or give it more time with --timeout"
        }
    return {
        "problem": f"{name} ended the grader's process ({worker.exit_reason()}): os._exit(), or "
        "a crash in a library it called; fix it, then run day3 check again"
    }


def run_end_to_end(worker: Worker | None, path: Path, seed: int, timeout: float):
    """(the worker's report of the end-to-end run or {"problem": ...}, the worker used). With
    no worker left alive (the last task's one was stopped), a fresh one loads the file."""
    fresh = worker is None
    if fresh:
        worker = Worker.start({"file": str(path), "seed": seed, "tasks": []})
    try:
        return _end_to_end(worker, path, timeout, fresh), worker
    except BaseException:
        if fresh:  # the caller never got this one: stop it here
            worker.stop()
        raise


def _end_to_end(worker: Worker, path: Path, timeout: float, fresh: bool) -> dict:
    problem = _opened(worker, path, timeout) if fresh else None
    if problem:
        return {"problem": f"the end-to-end run could not start: {problem}"}
    worker.send({"end_to_end": True})
    event = worker.next(READY_SECONDS)
    if event["event"] == "start":
        event = worker.next(END_TO_END_SECONDS + 4 * timeout)
    if event["event"] == "done":
        return event
    if event["event"] == "timeout":
        return {"problem": "the end-to-end run did not finish in time; check for slow code"}
    return {"problem": f"the end-to-end run ended the grader's process ({worker.exit_reason()})"}
