"""The demo app under load: concurrent clients on its Predict endpoint, then a burst past its queue.

Run (offline; about 70 s; the app runs in a process of its own, as `day3 serve` does):
    python benchmarks/load_serve.py                           # runs/sentiment, 20 clients, 60 s
    python benchmarks/load_serve.py --run runs/demo --clients 20 --seconds 60 --queue-size 64

Each client is a thread that asks, waits for the answer, and asks again, through Gradio's plain
HTTP API (POST /gradio_api/call/predict, then read the event stream of that call), with the
reviews of the kit's embedded validation set in turn. An answer counts when it is one of the
run's labels; anything else (an HTTP error, an error event, a timeout) is an error. Prints a
Markdown table: requests, errors, p50/p95/max latency, throughput. Then the burst: three times
the queue size plus the clients, all at once; what the queue cannot hold must be told "busy" (HTTP
503, "Queue is full") at once, and every other request answered: nothing hangs.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import httpx  # noqa: E402

SERVER = """
import sys
from pathlib import Path
from day3.core.env import configure
configure()
from day3.serve.app import ServeConfig, run_serve
run, port, workspace, queue = sys.argv[1:5]
try:
    run_serve(ServeConfig(Path(run), port=int(port), workspace=Path(workspace),
                          queue_size=int(queue)))
except KeyboardInterrupt:  # how this script stops it
    pass
"""

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--run", default="runs/sentiment", help="a classifier run folder")
parser.add_argument("--clients", type=int, default=20)
parser.add_argument("--seconds", type=float, default=60.0)
parser.add_argument("--queue-size", type=int, default=64, help="the app's --queue-size")
parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a request fails")
args = parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reviews() -> list[str]:
    path = Path(__file__).resolve().parents[1] / "src/day3/embedded/sentiment/validation.jsonl"
    return [json.loads(line)["sentence"] for line in path.read_text().splitlines() if line]


def ask(http: httpx.Client, url: str, text: str, timeout: float) -> tuple[str, str]:
    """One request as a plain HTTP client: ("ok" | "busy" | "error", the label or the why)."""
    try:
        r = http.post(f"{url}/gradio_api/call/predict", json={"data": [text, None]},
                      timeout=timeout)  # fmt: skip
        if r.status_code == 503:
            return "busy", r.json().get("detail", r.text)
        if r.status_code != 200:
            return "error", f"HTTP {r.status_code}: {r.text[:200]}"
        stream = http.get(f"{url}/gradio_api/call/predict/{r.json()['event_id']}",
                          timeout=timeout)  # fmt: skip
    except httpx.HTTPError as e:
        return "error", f"{type(e).__name__}: {e}"
    event = data = None
    for line in stream.text.splitlines():
        if line.startswith("event: "):
            event = line[7:].strip()
        elif line.startswith("data: ") and event in ("complete", "error"):
            data = line[6:]
            break
    if event != "complete" or data is None:
        return "error", f"event {event}: {data or stream.text[-200:]}"
    probs, answer = json.loads(data)
    labels = {c["label"] for c in (probs or {}).get("confidences", [])}
    return ("ok", answer) if answer in labels else ("error", f"answer {answer!r}")


def steady(url: str, texts: list[str]) -> tuple[list[float], list[str], float]:
    """`args.clients` threads asking in turn for `args.seconds`: latencies, errors, seconds."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.monotonic()
    deadline = start + args.seconds

    def client(i: int) -> None:
        n, http = i, httpx.Client()  # one connection per client, kept alive
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            outcome, what = ask(http, url, texts[n % len(texts)], args.timeout)
            with lock:
                (latencies.append(time.monotonic() - t0) if outcome == "ok"
                 else errors.append(f"{outcome}: {what}"))  # fmt: skip
            n += args.clients

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.monotonic() - start


def burst(url: str, texts: list[str], n: int) -> list[tuple[str, str, float]]:
    """`n` requests released at the same instant: (outcome, what, seconds) each."""
    gate = threading.Barrier(n)
    results: list[tuple[str, str, float]] = []

    def one(i: int) -> None:
        http = httpx.Client()  # made before the gate: at the gate, only the requests are left
        gate.wait()
        t0 = time.monotonic()
        outcome, what = ask(http, url, texts[i % len(texts)], args.timeout)
        results.append((outcome, what, time.monotonic() - t0))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.timeout * 3)
    hung = sum(t.is_alive() for t in threads)
    return results + [("error", "no answer (hung)", float("inf"))] * hung


def start_server(run: Path, port: int, workspace: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    argv = [sys.executable, "-c", SERVER, str(run), str(port), workspace, str(args.queue_size)]
    proc = subprocess.Popen(argv, env=env, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"error: the app did not start (exit {proc.returncode}); see above")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/config", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    sys.exit("error: the app did not answer within 180 s")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


run = Path(args.run)
if not (run / "day3-output.json").is_file():
    sys.exit(f"error: {run} is not a run folder; train one (python "
             "3_FineTuning/distilbert_finetuning.py) or pass --run FOLDER")  # fmt: skip
texts = reviews()
port = free_port()
url = f"http://127.0.0.1:{port}"
with tempfile.TemporaryDirectory(prefix="day3-load-") as workspace:
    server = start_server(run, port, workspace)
    try:
        ask(httpx.Client(), url, texts[0], args.timeout)  # warm-up: the first pass is slower
        latencies, errors, seconds = steady(url, texts)
        size = 3 * args.queue_size + args.clients
        shots = burst(url, texts, size)
    finally:
        server.send_signal(signal.SIGINT)  # what Ctrl-C sends: the app closes itself
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()

cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
print(f"{run} served by `day3 serve` (queue {args.queue_size}); {cpus} cpus shared by the "
      f"app and its {args.clients} clients")  # fmt: skip
print()
print("| clients | seconds | answered | errors | p50 ms | p95 ms | max ms | requests/s |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
if latencies:
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else latencies[0]
    print(f"| {args.clients} | {seconds:.0f} | {len(latencies):,} | {len(errors)} | "
          f"{ms(statistics.median(latencies))} | {ms(p95)} | {ms(max(latencies))} | "
          f"{len(latencies) / seconds:.1f} |")  # fmt: skip
for e in sorted(set(errors))[:5]:
    print(f"error: {e}")
answered = [s for s in shots if s[0] == "ok"]
busy = [s for s in shots if s[0] == "busy"]
failed = [s for s in shots if s[0] == "error"]
print()
print(f"burst of {size} requests at once (queue {args.queue_size}): {len(answered)} answered "
      f"(slowest {ms(max((s[2] for s in answered), default=0))} ms), {len(busy)} told busy "
      f"(slowest {ms(max((s[2] for s in busy), default=0))} ms: "
      f"{busy[0][1] if busy else '-'}), {len(failed)} errors")  # fmt: skip
for e in sorted({s[1] for s in failed})[:5]:
    print(f"error: {e}")
sys.exit(1 if errors or failed or not latencies else 0)
