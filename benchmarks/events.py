"""Event-stream throughput: events per second to Parquet and peak memory.

Each run is a fresh process: it builds the dataset (not timed), then simulates
and writes every event stream to Parquet (timed). Prints the median over runs.

    python benchmarks/events.py --persons 100000 --days 90 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import fraudgraph
from fraudgraph.exporters import get_exporter
from fraudgraph.writing import _write_streams
persons, days, seed, fmt = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ds = fraudgraph.generate("default", seed=seed, persons=persons, days=days)
with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as pool:
    started = time.perf_counter()
    _, counts = _write_streams(ds, Path(tmp), [get_exporter(f) for f in fmt.split(",")], pool,
                               ds.scenario.events.streams, False, None)
    elapsed = time.perf_counter() - started
events = sum(counts.values())
print(json.dumps({"events": events, "seconds": elapsed,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", default="parquet")
    args = parser.parse_args()
    runs = []
    for i in range(args.repeat):
        out = subprocess.run([sys.executable, "-P", "-c", CHILD, str(args.persons), str(args.days), str(args.seed), args.format],
                             check=True, capture_output=True, text=True)
        run = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append(run)
        print(f"run {i + 1}: {run['events']:,} events in {run['seconds']:.1f} s "
              f"= {run['events'] / run['seconds']:,.0f} events/s, peak RSS {run['peak_rss_mib']:,.0f} MiB", flush=True)
    rates = [r["events"] / r["seconds"] for r in runs]
    print(f"{args.persons:,} persons x {args.days} days -> {args.format}: median {statistics.median(rates):,.0f} events/s "
          f"(min {min(rates):,.0f}, max {max(rates):,.0f}); peak RSS median "
          f"{statistics.median(r['peak_rss_mib'] for r in runs):,.0f} MiB over {len(runs)} runs")


if __name__ == "__main__":
    main()
