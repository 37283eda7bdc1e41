"""Benchmark ``fraudgraph generate``: median wall time and peak memory per size.

Each measurement runs the real command line in a fresh process (so peak RSS is
that run's own) and writes to a temporary folder that is removed afterwards.

    python benchmarks/generate.py                          # 100k x3, 1M x1, default formats
    python benchmarks/generate.py --persons 100000 --repeat 5 --format parquet
    python benchmarks/generate.py --persons 100000 --no-fraud    # the legitimate world alone
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(persons: int, formats: str, seed: int, no_fraud: bool = False) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one ``fraudgraph generate`` process."""
    out_root = Path(tempfile.mkdtemp(prefix="fraudgraph-bench-"))
    try:
        scenario = []
        if no_fraud:
            from fraudgraph import Scenario

            config = out_root / "no_fraud.yaml"
            config.write_text(Scenario.from_preset("default").override({"fraud.enabled": False}).to_yaml())
            scenario = ["--config", str(config)]
        started = time.perf_counter()
        # -P: the repository root must not shadow the installed package (its exporters live in exporters/)
        proc = subprocess.Popen([sys.executable, "-P", "-m", "fraudgraph", "generate", *scenario, "--seed", str(seed),
                                 "--persons", str(persons), "--format", formats, "--out", str(out_root / "ds")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS, not the largest of all so far
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"fraudgraph generate failed ({proc.returncode}): {stderr.decode()[-2000:]}")
        return elapsed, usage.ru_maxrss / 1024
    finally:
        shutil.rmtree(out_root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, action="append", help="sizes to measure (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size below 1M (1M runs once)")
    parser.add_argument("--format", default="jsonl,csv,parquet")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-fraud", action="store_true", help="measure the legitimate world alone (fraud.enabled false)")
    args = parser.parse_args()
    sizes = args.persons or [100_000, 1_000_000]
    what = "legitimate world only" if args.no_fraud else "default scenario, fraud included"
    print(f"fraudgraph generate --format {args.format}, {what}  (wall time median of runs; peak RSS max of runs)")
    print(f"{'persons':>10} {'runs':>5} {'median s':>9} {'min s':>7} {'max s':>7} {'peak MiB':>9} {'persons/s':>10}")
    for persons in sizes:
        runs = 1 if persons >= 1_000_000 else args.repeat
        results = [run_once(persons, args.format, args.seed, args.no_fraud) for _ in range(runs)]
        times = [t for t, _ in results]
        peak = max(m for _, m in results)
        median = statistics.median(times)
        print(f"{persons:>10,} {runs:>5} {median:>9.2f} {min(times):>7.2f} {max(times):>7.2f} {peak:>9.0f} "
              f"{persons / median:>10,.0f}", flush=True)


if __name__ == "__main__":
    main()
