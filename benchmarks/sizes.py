"""What a run costs: events, bytes, files, time and memory of ``fraudgraph generate`` at several sizes.

Prints the table the README's "Sizes and times" section quotes. Each row runs the
real command line in a fresh process (``--repeat`` times; medians of wall and CPU
seconds, the largest peak RSS) and writes to a temporary folder removed afterwards.

    python benchmarks/sizes.py                 # the quick start, demo and a 10,000-person quarter
    python benchmarks/sizes.py --big           # also 20,000 and 100,000 persons (minutes)
    python benchmarks/sizes.py --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: (label, generate arguments)
ROWS = [
    ("quick start (default)", []),
    ("demo", ["--scenario", "demo"]),
    ("default, parquet only", ["--format", "parquet"]),
    ("10,000 persons, a quarter", ["--persons", "10000", "--days", "90"]),
    ("10,000 persons, a quarter, parquet", ["--persons", "10000", "--days", "90", "--format", "parquet"]),
]
BIG = [
    ("fraud_heavy, parquet", ["--scenario", "fraud_heavy", "--format", "parquet"]),
    ("100,000 persons, a quarter, parquet", ["--persons", "100000", "--days", "90", "--format", "parquet"]),
]


def run_once(args: list[str]) -> dict:
    """One ``fraudgraph generate`` process: wall and CPU seconds, peak RSS, and what it wrote."""
    root = Path(tempfile.mkdtemp(prefix="fraudgraph-sizes-"))
    try:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-P", "-m", "fraudgraph", "generate", *args, "--out", str(root / "ds")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"fraudgraph generate {' '.join(args)} failed: {proc.stderr.read().decode()}")
        manifest = json.loads((root / "ds" / "manifest.json").read_text())
        files = manifest["files"]
        scenario = manifest["scenario"]
        return {
            "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024,
            "persons": manifest["counts"]["nodes"]["Person"], "days": scenario["days"],
            "formats": ",".join(scenario["output"]["formats"]), "events": sum(manifest["counts"]["events"].values()),
            "files": len(files) + 1, "mb": sum(f["bytes"] for f in files) / 1e6,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="runs per row (medians of time)")
    parser.add_argument("--big", action="store_true", help="also the large rows (minutes each)")
    args = parser.parse_args()
    rows = ROWS + (BIG if args.big else [])
    print(f"fraudgraph generate on {os.cpu_count()} cores; median of {args.repeat} run(s); peak RSS is the largest")
    header = (f"| {'run':<38} | {'persons':>8} | {'days':>4} | {'formats':<17} | {'events':>11} | {'files':>5} "
              f"| {'MB':>7} | {'wall s':>7} | {'CPU s':>7} | {'peak MiB':>8} |")
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for label, extra in rows:
        runs = [run_once(extra) for _ in range(args.repeat)]
        r = runs[0]
        print(f"| {label:<38} | {r['persons']:>8,} | {r['days']:>4} | {r['formats']:<17} | {r['events']:>11,} "
              f"| {r['files']:>5} | {r['mb']:>7,.0f} | {statistics.median(x['wall'] for x in runs):>7.1f} "
              f"| {statistics.median(x['cpu'] for x in runs):>7.1f} | {max(x['rss'] for x in runs):>8,.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
