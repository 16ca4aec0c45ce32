#!/usr/bin/env python3
"""Client overhead in instructions per call, counted by callgrind (see BENCHMARKS.md).

Each client kind runs alone in its own process (`loadtest count`), once with A and once with
B measured calls; (instructions(B) - instructions(A)) / (B - A) is its cost per call, with
process start-up, set-up and warm-up cancelled out. Instruction counts do not depend on how
loaded the machine is, so ratios taken this way reproduce where wall-clock ratios cannot.

Two placements of the sandbox:
  in-process  the sandbox runs in the measured process (as in `loadtest overhead`): its own
              instructions are in numerator and denominator alike;
  separate    the sandbox is another process (`webhooks-sandbox --listen`), so the measured
              process holds only the client: the client-only ratio.

Build first:
  cargo build --release -p webhooks-tools --bin loadtest -p webhooks-sandbox --bin webhooks-sandbox
Then:
  python3 crates/webhooks-tools/overhead_instructions.py --runs 5
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

KINDS = ["ergonomic-basic", "bare-basic", "ergonomic-hmac", "bare-hmac", "raw-basic"]
# The third pair is a diagnostic: the generated client alone (`Client::raw`), Basic auth.
PAIRS = [("Basic", "ergonomic-basic", "bare-basic"), ("HMAC-SHA1", "ergonomic-hmac", "bare-hmac"),
         ("Basic", "raw-basic", "bare-basic")]
OPERATIONS = ["list", "create-delete"]
API_KEY, API_SECRET = "loadtest-key", "loadtest-secret"


def instructions(loadtest, kind, operation, calls, server, outdir):
    """Instructions callgrind counts in one `loadtest count` process (all its threads)."""
    out = os.path.join(outdir, f"cg.{kind}.{operation}.{calls}.{server or 'in'}.{time.time_ns()}")
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", loadtest,
               "count", "--client", kind, "--operation", operation, "--calls", str(calls)]
    if server:
        command += ["--server", server]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as profile:
        for line in profile:
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    os.remove(out)
    return total


def per_call(loadtest, kind, operation, a, b, server, outdir):
    low = instructions(loadtest, kind, operation, a, server, outdir)
    high = instructions(loadtest, kind, operation, b, server, outdir)
    return (high - low) / (b - a)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(binary):
    port = free_port()
    process = subprocess.Popen(
        [binary, "--listen", f"127.0.0.1:{port}", "--api-key", API_KEY, "--api-secret", API_SECRET],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit("the sandbox did not start listening")


def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def summary(values, digits):
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--a", type=int, default=20, help="measured calls of the short process")
    parser.add_argument("--b", type=int, default=220, help="measured calls of the long process")
    parser.add_argument("--placement", choices=["in-process", "separate", "both"], default="both")
    parser.add_argument("--jobs", type=int, default=2, help="callgrind processes at once")
    parser.add_argument("--target", default="target/release")
    args = parser.parse_args()
    loadtest = os.path.join(args.target, "loadtest")
    placements = ["in-process", "separate"] if args.placement == "both" else [args.placement]

    sandbox, server = (None, None)
    if "separate" in placements:
        sandbox, server = start_sandbox(os.path.join(args.target, "webhooks-sandbox"))
        # Store the listed webhooks once, before processes that run at once could both do it.
        subprocess.run([loadtest, "count", "--client", "bare-basic", "--operation", "list",
                        "--calls", "1", "--server", server], check=True, stdout=subprocess.DEVNULL)
    # results[placement][operation][kind] = [per-call instructions, one per run]
    results = {p: {o: {k: [] for k in KINDS} for o in OPERATIONS} for p in placements}
    loads = []
    try:
        with tempfile.TemporaryDirectory() as outdir, ThreadPoolExecutor(args.jobs) as pool:
            for run in range(args.runs):
                loads.append(load1())
                jobs = {}
                for placement in placements:
                    # Separate processes sharing one sandbox would see each other's creates.
                    for operation in OPERATIONS:
                        for kind in KINDS:
                            target = server if placement == "separate" else None
                            jobs[(placement, operation, kind)] = (target, operation == "create-delete")
                futures = {}
                for key, (target, exclusive) in jobs.items():
                    if target and exclusive:
                        continue
                    futures[key] = pool.submit(per_call, loadtest, key[2], key[1], args.a, args.b, target, outdir)
                for key, future in futures.items():
                    results[key[0]][key[1]][key[2]].append(future.result())
                # Creates against the shared outside sandbox run one at a time: two at once
                # would both create the same URL and one would get 409.
                for key, (target, exclusive) in jobs.items():
                    if target and exclusive:
                        results[key[0]][key[1]][key[2]].append(
                            per_call(loadtest, key[2], key[1], args.a, args.b, target, outdir))
                print(f"run {run + 1}: load average (1 min) {loads[-1]:.2f} at its start", flush=True)
    finally:
        if sandbox:
            sandbox.kill()
            sandbox.wait()

    print(f"\ninstructions per call, (I({args.b}) - I({args.a})) / {args.b - args.a}; "
          f"{args.runs} runs, load average at the start of each: {', '.join(f'{l:.2f}' for l in loads)}")
    print("\n| placement | operation | client | per call: median (range) | client / bare: median (range) | per run |")
    print("|---|---|---|---|---|---|")
    for placement in placements:
        for operation in OPERATIONS:
            for auth, ergonomic, bare in PAIRS:
                e, b = results[placement][operation][ergonomic], results[placement][operation][bare]
                ratios = [x / y for x, y in zip(e, b)]
                print(f"| {placement} | {operation} | {ergonomic} | {summary(e, 0)} | {summary(ratios, 4)} "
                      f"| {', '.join(f'{r:.4f}' for r in ratios)} |")
                if ergonomic != "raw-basic":
                    print(f"| {placement} | {operation} | {bare} | {summary(b, 0)} | | |")


if __name__ == "__main__":
    main()
