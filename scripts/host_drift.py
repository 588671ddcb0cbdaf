"""How much this machine's own speed drifts, with nothing of ours running.

Times a fixed single-threaded workload (a 256x256 float32 matrix product in numpy) in
back-to-back windows and prints the rate of each window, the steal time the kernel saw during
it, and the spread of the rates. A training benchmark whose runs are as long as one window can
spread no less than this.

    .venv/bin/python scripts/host_drift.py --window 10 --windows 10
"""

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads on import)


def cpu_ticks():
    """The machine's total CPU ticks and its steal ticks, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return sum(fields), fields[7]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=10.0, help="seconds per window")
    parser.add_argument("--windows", type=int, default=10, help="number of windows")
    args = parser.parse_args()
    if args.window <= 0 or args.windows < 1:
        parser.error("--window must be positive and --windows at least 1")

    a = np.random.default_rng(0).random((256, 256), dtype=np.float32)
    rates = []
    for i in range(args.windows):
        total0, steal0 = cpu_ticks()
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < args.window:
            a @ a
            n += 1
        elapsed = time.perf_counter() - start
        total1, steal1 = cpu_ticks()
        rates.append(n / elapsed)
        steal = 100.0 * (steal1 - steal0) / max(total1 - total0, 1)
        print(f"window {i + 1}: {rates[-1]:8.1f} products/s, steal {steal:.1f}%", flush=True)
    lo, hi = min(rates), max(rates)
    print(f"{args.windows} windows of {args.window:g} s: {lo:.1f} to {hi:.1f} products/s, "
          f"{100.0 * (hi / lo - 1.0):.1f}% spread")


if __name__ == "__main__":
    main()
