"""Fault test: kill -9 a fine-tuning run again and again, resume it each time, and check that
the final weights are bitwise those of an uninterrupted run.

Run (tiny-bert on the embedded reviews; ~2 minutes on one core, ~1 with --launcher fork):
    python benchmarks/fault_resume.py                 # 10 kills
    python benchmarks/fault_resume.py --kills 3 --launcher fork --epochs 2 --batch-size 16

1. A reference run of `day3 finetune-classifier` without checkpoints.
2. The same run with `--save-steps`, SIGKILLed `--kills` times in a row, each relaunch with
   `--resume`: most kills at a random (seeded) moment of training, every third in the middle
   of a checkpoint save (`DAY3_FAULT_KILL_IN_SAVE`: weights written, marker not yet).
3. The newest checkpoint's model.safetensors is truncated, then (after one more mid-save kill)
   the newest one's optimizer.pt: each relaunch must warn and resume from the one before.
4. The last relaunch finishes. Every tensor of its model.safetensors must equal the
   reference's (torch.equal), the loss log must match, and no .tmp, .partial or .checkpoints
   folder may remain. Prints a table and PASS/FAIL; exit status 1 on failure.

Launchers: `exec` starts `python -m day3.cli.main` per run (what a user does; ~15 s of imports
each on a busy 2-core machine); `fork` forks each run from a process that imported the kit
once and never computed (same kill -9, same files; used by the CI-scale test).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


# ---- launching runs ---------------------------------------------------------------------------


class ExecLauncher:
    """Each run is a fresh `python -m day3.cli.main` process."""

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> Run:
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "day3.cli.main", *argv],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, **env},
            )
        return Run(proc.pid, log, proc.poll, proc.wait)

    def close(self) -> None:
        pass


class ForkLauncher:
    """A zygote process imports the kit once (no computation, so forking it is safe) and forks
    one child per run; the child runs `day3.cli.main` and is killed like any process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "1000"},
        )
        if self._read() != {"ready": True}:
            raise RuntimeError("the fork launcher did not start")

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fork launcher died")
        return json.loads(line)

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> Run:
        log.write_bytes(b"")  # the child opens it for appending: it exists from now on
        request = {"argv": argv, "env": env, "log": str(log)}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        pid = self._read()["pid"]
        done: dict = {}

        def poll():
            if "rc" not in done:
                ready, _, _ = select.select([self.proc.stdout], [], [], 0)
                if ready:
                    done["rc"] = self._read()["rc"]
            return done.get("rc")

        def wait():
            if "rc" not in done:
                done["rc"] = self._read()["rc"]
            return done["rc"]

        return Run(pid, log, poll, wait)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def zygote() -> None:
    from transformers import DataCollatorWithPadding, Trainer  # noqa: F401

    import day3.classifier.train  # noqa: F401
    import day3.cli.main  # noqa: F401  (the imports are what the children share)
    import day3.core.checkpoints  # noqa: F401

    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        request = json.loads(line)
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()
        _, status = os.waitpid(pid, 0)
        out.write(json.dumps({"rc": os.waitstatus_to_exitcode(status)}) + "\n")
        out.flush()


def _child(request: dict) -> None:
    code = 1
    try:
        os.environ.update(request["env"])
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND)
        os.dup2(log, 2)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        from day3.cli.main import main

        code = main(request["argv"])
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


@dataclass
class Run:
    pid: int
    log: Path
    poll: object  # () -> exit code | None
    wait: object  # () -> exit code

    def text(self) -> str:
        return self.log.read_text(errors="replace").replace("\r", "\n")

    def step(self, total: int) -> int | None:
        """The last training step the progress lines showed (one per step, see `env`)."""
        steps = re.findall(rf"step (\d+)/{total} \(", self.text())
        return int(steps[-1]) if steps else None

    def resumed_from(self) -> str:
        found = re.search(r"resuming from \S*?(checkpoint-\d+)", self.text())
        return found.group(1) if found else "scratch"


# ---- the fault test ---------------------------------------------------------------------------


@dataclass
class Settings:
    kills: int = 10
    seed: int = 0
    model: str = "tiny-bert"
    data: str = "embedded"
    epochs: float = 4.0
    batch_size: int = 8
    save_steps: int = 5
    launcher: str = "exec"
    workdir: Path | None = None

    def argv(self, output: Path) -> list[str]:
        return [
            "finetune-classifier",
            *("--model", self.model, "--data", self.data, "--output", str(output)),
            *("--epochs", str(self.epochs), "--batch-size", str(self.batch_size)),
            *("--lr", "1e-3", "--seed", "42"),
        ]


@dataclass
class Report:
    rows: list[dict] = field(default_factory=list)
    steps: int = 0
    tensors: int = 0
    different: list[str] = field(default_factory=list)
    loss_log_equal: bool = False
    leftovers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def kills(self) -> int:
        return sum(r["exit"] == -signal.SIGKILL for r in self.rows)

    @property
    def passed(self) -> bool:
        return bool(self.tensors) and not (self.different or self.leftovers or self.problems)


def newest_complete(folder: Path) -> list[Path]:
    from day3.core.checkpoints import check_checkpoint

    found = [p for p in folder.glob("checkpoint-*") if p.is_dir() and not p.suffix]
    found.sort(key=lambda p: int(p.name.split("-")[1]), reverse=True)
    return [p for p in found if check_checkpoint(p) is None]


def truncate(path: Path) -> None:
    with path.open("r+b") as f:
        f.truncate(path.stat().st_size // 2)


def run_fault_test(s: Settings) -> Report:
    rng = random.Random(s.seed)
    report = Report()
    started = time.perf_counter()
    work = Path(s.workdir or tempfile.mkdtemp(prefix="day3-fault-"))
    work.mkdir(parents=True, exist_ok=True)
    out, ckpt = work / "resumed", work / "resumed.checkpoints"
    launcher = ForkLauncher() if s.launcher == "fork" else ExecLauncher()
    # Wide lines: day3's messages must not be wrapped in the middle of a checkpoint's path.
    # A progress line per step, so that a kill can be timed to a step.
    env = {"DAY3_OFFLINE": "1", "COLUMNS": "1000", "DAY3_PROGRESS_LINES": "1000000"}
    try:
        ref = launcher.start(s.argv(work / "reference"), env, work / "reference.log")
        if ref.wait() != 0:
            raise RuntimeError(f"the reference run failed; see {ref.log}")
        report.steps = total = json.loads((work / "reference/metrics.json").read_text())["steps"]
        argv = [*s.argv(out), "--save-steps", str(s.save_steps)]
        # Kill i comes at a random step of the i-th slice of the first 90% of the run: every
        # epoch sees kills, and two saves' room remains for the truncation runs.
        span = min(0.9 * total, total - 2 * s.save_steps - 1) / s.kills

        def launch(how: str, extra_env: dict | None = None, kill=None) -> tuple[Run, int]:
            number = len(report.rows) + 1
            resume = ["--resume"] if number > 1 else []
            run = launcher.start(
                argv + resume, {**env, **(extra_env or {})}, work / f"{number}.log"
            )
            if kill is not None:
                kill_when(run, total, *kill)
            rc = run.wait()
            newest = newest_complete(ckpt) if ckpt.is_dir() else []
            report.rows.append(
                {
                    "run": number,
                    "how": how,
                    "resumed from": run.resumed_from(),
                    "step at kill": run.step(total),
                    "newest complete": newest[0].name if newest else "-",
                    "save interrupted": "yes" if any(ckpt.glob("*.tmp")) else "no",
                    "exit": rc,
                }
            )
            if rc != (0 if how.endswith("to the end") else -signal.SIGKILL):
                report.problems.append(f"run {number} ended with exit {rc}; see {run.log}")
            return run, rc

        def mid_save(nth: int, how: str = "") -> tuple[Run, int]:
            return launch(f"{how}mid-save #{nth}", {"DAY3_FAULT_KILL_IN_SAVE": str(nth)})

        for i in range(1, s.kills + 1):
            if i % 3 == 2:  # every third kill lands inside a save, via the hook
                mid_save(rng.randint(1, 2))
            else:
                start = (
                    int(newest[0].name.split("-")[1]) if (newest := newest_complete(ckpt)) else 0
                )
                low = max(start + 1, int(span * (i - 1)) + 1)
                step, fraction = rng.randint(low, max(low, int(span * i))), rng.random()
                launch(f"random: step {step} + {fraction:.2f} step", kill=(step, fraction))

        def truncate_newest(filename: str, how: str, extra_env: dict) -> None:
            if len(complete := newest_complete(ckpt)) < 2:  # two to fall back between
                mid_save(3 - len(complete), "to get 2 checkpoints: ")
                complete = newest_complete(ckpt)
            truncate(complete[0] / filename)
            run, _ = launch(how, extra_env)
            named = rf"skipping checkpoint \S*{complete[0].name}: {re.escape(filename)}"
            if not re.search(named, run.text().replace("\n", " ")):
                report.problems.append(f"run {len(report.rows)}: no warning naming {filename}")
            if run.resumed_from() != complete[1].name:
                report.problems.append(
                    f"run {len(report.rows)} resumed from {run.resumed_from()}, "
                    f"not from {complete[1].name}"
                )

        truncate_newest(
            "model.safetensors", "truncated model, mid-save #2", {"DAY3_FAULT_KILL_IN_SAVE": "2"}
        )
        truncate_newest("optimizer.pt", "truncated optimizer, to the end", {})
    finally:
        launcher.close()
    if (out / "model.safetensors").is_file():
        compare(work / "reference", out, report)
    else:
        report.problems.append(f"no finished run in {out}")
    report.leftovers = sorted(
        str(p)
        for p in work.rglob("*")
        if p.is_dir() and p.name.endswith((".tmp", ".partial", ".checkpoints"))
    )
    report.seconds = time.perf_counter() - started
    return report


def kill_when(run: Run, total: int, step: int, fraction: float) -> None:
    """SIGKILL `run` `fraction` of a step's time (saves included) after the progress bar
    reaches `step`; that moment may fall in a forward pass, a backward pass or a save."""
    began, deadline = None, None
    while run.poll() is None:
        now, seen = time.perf_counter(), run.step(total)
        if seen is not None and began is None:
            began, first = now, seen
        if deadline is None and seen is not None and seen >= step:
            per_step = (now - began) / (seen - first) if seen > first else 0.05
            deadline = now + fraction * per_step
        if deadline is not None and now >= deadline:
            os.kill(run.pid, signal.SIGKILL)
            return
        time.sleep(0.02)


def compare(reference: Path, resumed: Path, report: Report) -> None:
    import torch
    from safetensors.torch import load_file

    a = load_file(reference / "model.safetensors")
    b = load_file(resumed / "model.safetensors")
    report.tensors = len(a)
    report.different = sorted(
        k for k in a.keys() | b.keys() if k not in a or k not in b or not torch.equal(a[k], b[k])
    )

    def losses(folder: Path) -> list[dict]:
        return [e for e in json.loads((folder / "train_log.json").read_text()) if "loss" in e]

    report.loss_log_equal = losses(reference) == losses(resumed)
    if not report.loss_log_equal:
        report.problems.append("the logged losses differ from the reference's")


def print_report(report: Report, s: Settings) -> None:
    cols = ["run", "how", "resumed from", "step at kill", "newest complete", "save interrupted"]
    rows = [[str(r[c] if r[c] is not None else "-") for c in cols] for r in report.rows]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    print(" | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    print()
    print(
        f"{s.model} on {s.data}: {report.steps} steps, a checkpoint every {s.save_steps}; "
        f"{report.kills} kills -9 (launcher {s.launcher}), {report.seconds:.0f} s in all"
    )
    same = report.tensors - len(report.different)
    print(f"final weights: {same}/{report.tensors} tensors bitwise identical to the reference")
    print(f"loss log identical: {'yes' if report.loss_log_equal else 'no'}")
    print(f"leftover folders: {', '.join(report.leftovers) or 'none'}")
    for p in report.problems:
        print(f"problem: {p}")
    print("PASS" if report.passed else "FAIL")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=10, help="random and mid-save kills (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the kill times")
    p.add_argument("--model", default="tiny-bert")
    p.add_argument("--data", default="embedded")
    p.add_argument("--epochs", type=float, default=4.0)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--save-steps", type=int, default=5)
    p.add_argument("--launcher", choices=["exec", "fork"], default="exec")
    p.add_argument("--workdir", type=Path, help="default: a new temporary folder")
    p.add_argument("--zygote", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.zygote:
        zygote()
        return 0
    if args.kills < 1:
        p.error("--kills must be at least 1")
    settings = Settings(**{k: v for k, v in vars(args).items() if k != "zygote"})
    report = run_fault_test(settings)
    print_report(report, settings)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
