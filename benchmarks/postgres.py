"""Rows per second into PostgreSQL: a written dataset loaded with `fraudgraph load postgres`.

The dataset is generated and written as Parquet first (not timed); then each run
loads it into a fresh schema (timed: wall, CPU of this process, rows read back).
Without ``--dsn`` a throwaway cluster of Debian's PostgreSQL is started (as the
tests do) and removed after. Prints the median over runs; the server's own CPU
is not counted.

    python benchmarks/postgres.py --persons 100000 --days 7 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    import fraudgraph
    from fraudgraph.loading import postgres_load

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dsn", help="postgresql://... of a running server (default: start a throwaway cluster)")
    args = parser.parse_args()

    server = None
    dsn = args.dsn
    if dsn is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from servers import postgres as throwaway

        server = throwaway.start()
        dsn = server.dsn()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "world"
            fraudgraph.generate("default", seed=args.seed, persons=args.persons, days=args.days).write(out, formats="parquet")
            runs = []
            for run in range(args.repeat):
                wall, cpu = time.perf_counter(), time.process_time()
                counts = postgres_load(out, dsn, f"bench_{run}", mode="replace")
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                rows = sum(counts.values())
                runs.append((rows, wall, cpu))
                print(f"run {run + 1}: {rows:,} rows in {len(counts)} tables, {wall:.1f} s wall, {cpu:.1f} CPU s: "
                      f"{rows / wall:,.0f} rows/s", flush=True)
    finally:
        if server is not None:
            throwaway.stop(server)
    rows = runs[0][0]
    wall = statistics.median(r[1] for r in runs)
    cpu = statistics.median(r[2] for r in runs)
    print(f"{args.persons:,} persons, {args.days} days: {rows:,} rows to PostgreSQL, median {rows / wall:,.0f} rows/s "
          f"wall, {cpu / rows * 1e6:.1f} CPU us/row in this process ({len(runs)} runs)")


if __name__ == "__main__":
    main()
