"""The process that runs a learner's code for `day3 check` (started by day3.exercise.runner).

It reads one job from stdin ({"file", "seed", "tasks"}), loads the learner's file as a module
(its `if __name__ == "__main__":` part does not run), and for each task builds the hidden cases
and calls the learner's function on them. Results go back as JSON lines on a private copy of
stdout; the learner's own output, Python's or C's, is sent to stderr, so nothing the learner
prints can be taken for a result, and no text from the learner is ever evaluated. After the
tasks it waits for one more line: {"end_to_end": true} runs the end-to-end check.

Events: ready (the grader's imports done), loaded | load_error, then per task start and done
(or done alone: a skip, a missing function), and the same for "end_to_end".
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import os
import random
import sys
import textwrap
import time
from pathlib import Path

from day3.exercise.capture import describe, to_json

MODULE_NAME = "final_exercise"


def load(path: Path):
    """The learner's file as a module, run as their own code (it is theirs)."""
    # Their helper modules beside the file import, as with `python FILE`; last, so that a
    # `torch.py` of theirs never shadows what the grader imports after this.
    sys.path.append(str(path.parent))
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module  # dataclasses and pickling look their module up here
    spec.loader.exec_module(module)
    return module


def run_task(module, name: str, seed: int, path: Path, send) -> None:
    from day3.exercise.cases import BUILDERS, PRECHECKS, Skip

    fn = getattr(module, name, None)
    if not callable(fn):
        problem = f"{path.name} has no function {name}; keep the task's `def {name}(...)` line"
        send({"event": "done", "task": name, "problem": problem})
        return
    try:
        PRECHECKS.get(name, lambda: None)()
    except Skip as e:  # the same max score whether the learner has started the task or not
        send({"event": "done", "task": name, "skip": str(e)})
        return
    if still_todo(fn):  # the worksheet's stub: it raises whatever the input, so build nothing
        error = {"type": "NotImplementedError", "message": "TODO", "where": None}
        send({"event": "done", "task": name, "cases": [{"error": error, "facts": {}}]})
        return
    try:
        built = BUILDERS[name](random.Random(f"{seed}:{name}"))
    except Skip as e:
        send({"event": "done", "task": name, "skip": str(e)})
        return
    except Exception as e:  # the grader's own failure must not be charged to the learner
        why = f"{type(e).__name__}: {e}".splitlines()[0][:200]
        skip = f"skipped: the grader could not build its cases ({why}); a kit problem: report it"
        send({"event": "done", "task": name, "skip": skip})
        return
    send({"event": "start", "task": name})
    start = time.perf_counter()
    cases = answer_cases(fn, built, path)
    seconds = round(time.perf_counter() - start, 3)
    send({"event": "done", "task": name, "cases": cases, "seconds": seconds})


def still_todo(fn) -> bool:
    """True for a function whose body (past its docstring) is `raise NotImplementedError(...)`
    alone: the tasks a learner has not started yet are answered without building their cases
    (seconds of model building each), which is what makes grading task by task quick."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):  # no source to read: grade it the long way
        return False
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.FunctionDef) else []
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def answer_cases(fn, built: list[tuple[tuple, dict]], path: Path) -> list[dict]:
    """The learner's function on each hidden case: [{"answer", "facts"}], or a last
    {"error", "facts"} where it raised (the cases after it would tell nothing new)."""
    cases = []
    for args, facts in built:
        try:
            answer = fn(*args)
        except BaseException as e:  # SystemExit and KeyboardInterrupt from their code too
            cases.append({"error": describe(e, path), "facts": facts})
            break
        cases.append({"answer": to_json(answer), "facts": facts})
    return cases


def main() -> int:
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # from here on, fd 1 (print, C extensions) is stderr

    def send(event: dict) -> None:
        channel.write(json.dumps(event) + "\n")
        channel.flush()

    job = json.loads(sys.stdin.readline())
    from day3.core.env import configure

    configure()  # offline switches, before any Hugging Face import
    import numpy  # noqa: F401  the grader's imports: before any clock of the learner's starts
    import torch  # noqa: F401

    send({"event": "ready"})
    path = Path(job["file"]).resolve()
    try:
        module = load(path)
    except BaseException as e:
        send({"event": "load_error", "error": describe(e, path)})
        return 0
    send({"event": "loaded"})
    for name in job["tasks"]:
        run_task(module, name, job["seed"], path, send)
    line = sys.stdin.readline()
    if line and json.loads(line).get("end_to_end"):
        from day3.exercise.endtoend import run_end_to_end

        send({"event": "start", "task": "end_to_end"})
        start = time.perf_counter()
        steps = run_end_to_end(module, job["seed"], path)
        seconds = round(time.perf_counter() - start, 3)
        case = {"answer": None, "facts": {"steps": steps}}
        send({"event": "done", "task": "end_to_end", "cases": [case], "seconds": seconds})
    return 0


if __name__ == "__main__":
    sys.exit(main())
