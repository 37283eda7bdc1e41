"""What fraudgraph costs as it grows, beside graphfaker 1.4.0 at the same number of accounts.

For each size, runs ``fraudgraph generate`` in fresh processes for two kinds of work (``money``: entities
and money movements to Parquet, ``--streams transactions``; ``full``: every event stream to Parquet),
then ``graphfaker fraud`` with as many accounts as the fraudgraph run made. Prints per size the counts,
wall and CPU seconds, CPU microseconds per money movement, peak RSS and output size; the stages of each
run (when ``fraudgraph generate`` has ``--timings``); the log-log growth of CPU seconds and peak RSS
against money movements between consecutive sizes; and the two generators side by side with the
targets. Wall, CPU and peak RSS are each process's own (``os.wait4``); CPU is a median of ``--repeat``
runs (min and max printed), peak RSS the largest. Every run writes to a temporary folder removed
afterwards; a size is skipped when the disk it would need is not free.

Without ``--graphfaker``, graphfaker is installed once into ~/.cache/fraudgraph-bench/graphfaker-venv.

    python benchmarks/scale.py                                         # 10k, 100k, 1M persons, 90 days (hours)
    python benchmarks/scale.py --persons 2000,5000 --days 30 --repeat 1   # a quick look
    python benchmarks/scale.py --persons 100000 --work money --repeat 3
    python benchmarks/scale.py --only fraudgraph --work full
    python benchmarks/scale.py --graphfaker /path/to/venv/bin/graphfaker
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORK = {"money": ["--streams", "transactions"], "full": []}
GRAPHFAKER = "graphfaker==1.4.0"
GRAPHFAKER_DEPS = ["certifi", "faker", "networkx", "numpy", "pandas", "polars", "pyarrow", "pydantic", "pyyaml",
                   "requests", "tqdm", "typer", "urllib3", "wikipedia"]
GRAPHFAKER_VENV = Path.home() / ".cache" / "fraudgraph-bench" / "graphfaker-venv"
#: graphfaker's --scale 1.0 makes this many accounts.
GRAPHFAKER_BASE_ACCOUNTS = 10_000_000
GRAPHFAKER_MOVEMENTS = ("PAYS", "TRANSFERS", "WIRES")
#: Output bytes assumed before a run has measured them: per person-day (fraudgraph), per account (graphfaker).
ASSUMED_BYTES = {"money": 200, "full": 500, "graphfaker": 500}
CALIBRATION_PERSONS = 2000
TARGETS = {"cpu": 1.0, "rss": 1.0, "slope": 1.05}
MIB = 1024 * 1024


# ----------------------------------------------------------------------------------------------- processes

def measure(command: list[str], cwd: Path) -> dict:
    """Run one process to its end and measure it alone.

    Parameters
    ----------
    command : list of str
        The program and its arguments.
    cwd : Path
        Working folder; its ``stdout.txt`` and ``stderr.txt`` receive the process's output.

    Returns
    -------
    dict
        ``wall`` seconds, ``cpu`` seconds (user + system) and ``rss`` (peak resident MiB) of that process.

    Raises
    ------
    SystemExit
        When the process fails; the message holds the end of its standard error.
    """
    with open(cwd / "stdout.txt", "wb") as out, open(cwd / "stderr.txt", "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code:
        tail = (cwd / "stderr.txt").read_text(errors="replace")[-2000:]
        raise SystemExit(f"{shlex.join(command)} failed with exit code {code}:\n{tail}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024}


def tree_bytes(folder: Path) -> int:
    """Total size in bytes of the files under ``folder``.

    Parameters
    ----------
    folder : Path
        The folder to walk.

    Returns
    -------
    int
        The sum of the file sizes.
    """
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def enough_disk(where: Path, need: float, label: str) -> bool:
    """Whether ``where`` has room for a run, saying so when it has not.

    Parameters
    ----------
    where : Path
        Folder the run will write under.
    need : float
        Bytes the run is expected to write.
    label : str
        The run, for the message.

    Returns
    -------
    bool
        True when the free space exceeds 1.5 times ``need`` plus 1 GiB.
    """
    free = shutil.disk_usage(where).free
    if free > 1.5 * need + 1024 * MIB:
        return True
    print(f"  skipped {label}: it would write about {need / 1e9:,.1f} GB and {where} has {free / 1e9:,.1f} GB free",
          flush=True)
    return False


# ----------------------------------------------------------------------------------------------- fraudgraph

def fraudgraph_base() -> list[str]:
    """The command that runs the installed ``fraudgraph`` (``-P``: the source folder must not shadow it).

    Returns
    -------
    list of str
        Interpreter and module arguments.
    """
    return [sys.executable, "-P", "-m", "fraudgraph"]


def fraudgraph_has_timings() -> bool:
    """Whether ``fraudgraph generate --help`` lists ``--timings``.

    Returns
    -------
    bool
        True when the option exists.
    """
    result = subprocess.run([*fraudgraph_base(), "generate", "--help"], capture_output=True, text=True, check=True)
    return "--timings" in result.stdout


def fraudgraph_counts(manifest: dict) -> dict:
    """Counts of a fraudgraph dataset from its manifest.

    Parameters
    ----------
    manifest : dict
        The parsed ``manifest.json``.

    Returns
    -------
    dict
        ``persons``, ``accounts``, ``movements`` (transactions initiated) and ``events``.
    """
    counts = manifest["counts"]
    return {"persons": counts["nodes"]["Person"], "accounts": counts["nodes"]["Account"],
            "movements": counts["events"].get("transaction-initiated", 0), "events": sum(counts["events"].values())}


def read_timings(path: Path) -> dict | None:
    """The ``--timings`` report of a run, or None when the run wrote none.

    Parameters
    ----------
    path : Path
        Where the run was asked to write it.

    Returns
    -------
    dict or None
        The parsed report.
    """
    return json.loads(path.read_text()) if path.exists() else None


def fraudgraph_result(out: Path, timings: dict | None) -> dict:
    """What a fraudgraph run wrote: counts and bytes, from its timings where given, else from its files.

    Parameters
    ----------
    out : Path
        The dataset folder.
    timings : dict or None
        The run's ``--timings`` report.

    Returns
    -------
    dict
        ``persons``, ``accounts``, ``movements``, ``events``, ``bytes`` and ``stages`` (None without timings).
    """
    result = fraudgraph_counts(json.loads((out / "manifest.json").read_text()))
    result["bytes"] = tree_bytes(out)
    result["stages"] = None
    if timings:
        keys = {"persons": "persons", "accounts": "accounts", "movements": "money_movements", "events": "events",
                "bytes": "bytes"}
        result.update({ours: timings[theirs] for ours, theirs in keys.items() if timings.get(theirs) is not None})
        result["stages"] = timings.get("stages")
        result["clocked"] = {"wall": timings.get("wall_s"), "cpu": timings.get("cpu_s")}
    return result


def run_fraudgraph(args: list[str], scratch: Path, with_timings: bool) -> dict:
    """One ``fraudgraph generate`` process in a temporary folder under ``scratch``, removed afterwards.

    Parameters
    ----------
    args : list of str
        The ``generate`` arguments, ``--out`` and ``--timings`` excepted.
    scratch : Path
        Folder for the temporary folder.
    with_timings : bool
        Pass ``--timings``.

    Returns
    -------
    dict
        :func:`measure`'s figures and :func:`fraudgraph_result`'s.
    """
    root = Path(tempfile.mkdtemp(prefix="fraudgraph-scale-", dir=scratch))
    try:
        extra = ["--timings", str(root / "timings.json")] if with_timings else []
        figures = measure([*fraudgraph_base(), "generate", *args, "--out", str(root / "ds"), *extra], root)
        return figures | fraudgraph_result(root / "ds", read_timings(root / "timings.json"))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def generate_args(persons: int, days: int, seed: int, work: str) -> list[str]:
    """``fraudgraph generate`` arguments for one size and kind of work.

    Parameters
    ----------
    persons, days, seed : int
        The world.
    work : str
        ``money`` or ``full``.

    Returns
    -------
    list of str
        Arguments without ``--out``.
    """
    return ["--persons", str(persons), "--days", str(days), "--seed", str(seed), "--format", "parquet", *WORK[work]]


def accounts_per_person(days: int, seed: int, scratch: Path) -> float:
    """Accounts per person of a small fraudgraph world (no event streams).

    Parameters
    ----------
    days, seed : int
        The world's span and seed.
    scratch : Path
        Folder for the temporary folder.

    Returns
    -------
    float
        The manifest's Account count over its Person count.
    """
    args = ["--persons", str(CALIBRATION_PERSONS), "--days", str(days), "--seed", str(seed), "--format", "parquet",
            "--streams", "none"]
    result = run_fraudgraph(args, scratch, with_timings=False)
    return result["accounts"] / result["persons"]


# ----------------------------------------------------------------------------------------------- graphfaker

def install_graphfaker(venv: Path) -> Path:
    """The ``graphfaker`` executable of ``venv``, installing graphfaker 1.4.0 there first if missing.

    Its metadata pins a certifi newer than the registry serves, so its dependencies are installed by name
    and graphfaker itself with ``--no-deps``, last (the executable marks a finished install).

    Parameters
    ----------
    venv : Path
        The virtual environment's folder.

    Returns
    -------
    Path
        The executable.
    """
    exe = venv / "bin" / "graphfaker"
    if exe.exists():
        return exe
    pip = str(venv / "bin" / "pip")
    print(f"installing {GRAPHFAKER} into {venv} (once):", flush=True)
    for command in (["python3", "-m", "venv", str(venv)], [pip, "install", "-q", *GRAPHFAKER_DEPS],
                    [pip, "install", "-q", "--no-deps", GRAPHFAKER]):
        print(f"  $ {shlex.join(command)}", flush=True)
        subprocess.run(command, check=True)
    return exe


def graphfaker_scale(accounts: int) -> str:
    """graphfaker's ``--scale`` for a number of accounts (1.0 is ten million).

    Parameters
    ----------
    accounts : int
        Accounts wanted.

    Returns
    -------
    str
        The scale as written on the command line.
    """
    return repr(accounts / GRAPHFAKER_BASE_ACCOUNTS)


def graphfaker_result(out: Path) -> dict:
    """Counts and bytes of a graphfaker fraud dataset, from its manifest and files.

    Parameters
    ----------
    out : Path
        The dataset folder.

    Returns
    -------
    dict
        ``persons`` (customers), ``accounts``, ``movements`` (PAYS, TRANSFERS and WIRES edges), ``events``
        (None), ``bytes``, ``stages`` (None) and ``version``.
    """
    manifest = json.loads((out / "manifest.json").read_text())
    nodes, edges = manifest["node_counts"], manifest["edge_counts"]
    return {"persons": nodes.get("Customer"), "accounts": nodes["Account"], "events": None, "stages": None,
            "movements": sum(edges.get(name, 0) for name in GRAPHFAKER_MOVEMENTS), "bytes": tree_bytes(out),
            "version": manifest.get("graphfaker_version")}


def run_graphfaker(exe: Path, accounts: int, days: int, seed: int, scratch: Path) -> dict:
    """One ``graphfaker fraud`` process with ``accounts`` accounts, in a temporary folder removed afterwards.

    Parameters
    ----------
    exe : Path
        The ``graphfaker`` executable.
    accounts, days, seed : int
        The world.
    scratch : Path
        Folder for the temporary folder.

    Returns
    -------
    dict
        :func:`measure`'s figures and :func:`graphfaker_result`'s.
    """
    root = Path(tempfile.mkdtemp(prefix="graphfaker-scale-", dir=scratch))
    try:
        command = [str(exe), "fraud", "--scale", graphfaker_scale(accounts), "--seed", str(seed),
                   "--out", str(root / "ds"), "--no-report", "-q", "--period-days", str(days)]
        return measure(command, root) | graphfaker_result(root / "ds")
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ----------------------------------------------------------------------------------------------- runs

def summarise(runs: list[dict]) -> dict:
    """One row from repeated runs of the same world.

    Parameters
    ----------
    runs : list of dict
        The runs' figures (same seed, so the same counts).

    Returns
    -------
    dict
        The counts of the first run; median wall; median, min and max CPU; largest peak RSS; the stages
        of the run with the median CPU.
    """
    cpus = [run["cpu"] for run in runs]
    middle = sorted(runs, key=lambda run: run["cpu"])[(len(runs) - 1) // 2]
    return runs[0] | {"wall": statistics.median(run["wall"] for run in runs), "cpu": statistics.median(cpus),
                      "cpu_min": min(cpus), "cpu_max": max(cpus), "rss": max(run["rss"] for run in runs),
                      "stages": middle["stages"], "clocked": middle.get("clocked"),
                      "wall_middle": middle["wall"], "cpu_middle": middle["cpu"], "runs": len(runs)}


def repeat(label: str, times: int, run) -> dict:
    """Run ``run()`` ``times`` times, printing a line per run, and summarise.

    Parameters
    ----------
    label : str
        What runs, for the progress lines.
    times : int
        How many runs.
    run : callable
        Makes one run and returns its figures.

    Returns
    -------
    dict
        :func:`summarise` of the runs.
    """
    runs = []
    for index in range(times):
        runs.append(run())
        last = runs[-1]
        print(f"  {label}, run {index + 1}/{times}: {last['wall']:.1f} s wall, {last['cpu']:.1f} CPU s, "
              f"{last['rss']:,.0f} MiB peak, {last['movements']:,} money movements", flush=True)
    return summarise(runs)


# ----------------------------------------------------------------------------------------------- printing

def print_table(header: list[str], rows: list[list[str]]) -> None:
    """A Markdown table: the first column left-aligned, the others right-aligned.

    Parameters
    ----------
    header : list of str
        Column titles.
    rows : list of list of str
        Cells, already formatted.
    """
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]

    def line(cells: list[str]) -> str:
        parts = [cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(parts) + " |"

    print(line(header))
    print("|" + "|".join(("-" * (w + 1)) + (":" if i else "-") for i, w in enumerate(widths)) + "|")
    for row in rows:
        print(line(row))


def number(value, spec: str = ",") -> str:
    """``value`` formatted with ``spec``, or ``-`` when missing.

    Parameters
    ----------
    value : int, float or None
        The figure.
    spec : str
        Format specification.

    Returns
    -------
    str
        The cell.
    """
    return "-" if value is None else format(value, spec)


def us_per_movement(row: dict) -> float | None:
    """Median CPU microseconds per money movement of a row, or None without movements.

    Parameters
    ----------
    row : dict
        A :func:`summarise` row.

    Returns
    -------
    float or None
        The cost per movement.
    """
    return row["cpu"] / row["movements"] * 1e6 if row["movements"] else None


def print_sizes(title: str, rows: list[dict]) -> None:
    """The per-size table of one generator and kind of work.

    Parameters
    ----------
    title : str
        Heading.
    rows : list of dict
        :func:`summarise` rows, one a size.
    """
    print(f"\n{title}")
    header = ["persons", "accounts", "money movements", "events", "wall s", "CPU s (min-max)", "CPU us/movement",
              "peak MiB", "output MB"]
    cells = [[number(r["persons"]), number(r["accounts"]), number(r["movements"]), number(r["events"]),
              f"{r['wall']:.1f}", f"{r['cpu']:.1f} ({r['cpu_min']:.1f}-{r['cpu_max']:.1f})",
              number(us_per_movement(r), ",.2f"), f"{r['rss']:,.0f}", f"{r['bytes'] / 1e6:,.1f}"] for r in rows]
    print_table(header, cells)


def stage_rows(row: dict) -> list[list[str]]:
    """Cells of one run's stage table, with what its clock did not see (start-up, exit) as the last row.

    Parameters
    ----------
    row : dict
        A :func:`summarise` row with stages.

    Returns
    -------
    list of list of str
        Stage, wall s, CPU s and share of the process's CPU.
    """
    total = row["cpu_middle"]
    cells = [[s["stage"], number(s.get("wall_s"), ".2f"), number(s.get("cpu_s"), ".2f"),
              "-" if s.get("cpu_s") is None else f"{s['cpu_s'] / total:.1%}"] for s in row["stages"]]
    clocked = row.get("clocked") or {}
    if clocked.get("cpu") is not None:
        outside_cpu = total - clocked["cpu"]
        outside_wall = None if clocked.get("wall") is None else row["wall_middle"] - clocked["wall"]
        cells.append(["(outside the clock)", number(outside_wall, ".2f"), f"{outside_cpu:.2f}",
                      f"{outside_cpu / total:.1%}"])
    cells.append(["process", f"{row['wall_middle']:.2f}", f"{total:.2f}", "100.0%"])
    return cells


def print_stages(work: str, rows: list[dict]) -> None:
    """The stage table of each size (the run with the median CPU), or why there is none.

    Parameters
    ----------
    work : str
        The kind of work.
    rows : list of dict
        :func:`summarise` rows.
    """
    for row in rows:
        print(f"\nfraudgraph {work}, {row['persons']:,} persons: stages of the median run")
        if not row["stages"]:
            print("  (no stage timings: this fraudgraph generate has no --timings)")
            continue
        print_table(["stage", "wall s", "CPU s", "share of CPU"], stage_rows(row))


def slope(x1: float, x2: float, y1: float, y2: float) -> float | None:
    """Log-log slope of y against x between two points, or None when it is undefined.

    Parameters
    ----------
    x1, x2, y1, y2 : float
        The two points.

    Returns
    -------
    float or None
        ``log(y2 / y1) / log(x2 / x1)``.
    """
    if min(x1, x2, y1, y2) <= 0 or x1 == x2:
        return None
    return math.log(y2 / y1) / math.log(x2 / x1)


def growth(rows: list[dict]) -> list[dict]:
    """Growth of CPU seconds and peak RSS against money movements between consecutive sizes.

    Parameters
    ----------
    rows : list of dict
        :func:`summarise` rows in the order measured.

    Returns
    -------
    list of dict
        ``from``, ``to`` (persons), ``factor`` (of movements), ``cpu`` and ``rss`` slopes.
    """
    steps = []
    for a, b in itertools.pairwise(rows):
        m1, m2 = a["movements"] or 0, b["movements"] or 0
        steps.append({"from": a["persons"], "to": b["persons"], "factor": m2 / m1 if m1 else None,
                      "cpu": slope(m1, m2, a["cpu"], b["cpu"]), "rss": slope(m1, m2, a["rss"], b["rss"])})
    return steps


def print_growth(title: str, rows: list[dict]) -> None:
    """The growth table of one generator and kind of work.

    Parameters
    ----------
    title : str
        Heading.
    rows : list of dict
        :func:`summarise` rows.
    """
    steps = growth(rows)
    if not steps:
        return
    print(f"\n{title}: log-log slope against money movements")
    print_table(["persons", "movements x", "CPU slope", "peak RSS slope"],
                [[f"{s['from']:,} -> {s['to']:,}", number(s["factor"], ",.2f"), number(s["cpu"], ".3f"),
                  number(s["rss"], ".3f")] for s in steps])


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b``, or None when either is missing or ``b`` is zero.

    Parameters
    ----------
    a, b : float or None
        Numerator and denominator.

    Returns
    -------
    float or None
        The ratio.
    """
    return a / b if a is not None and b else None


def print_side_by_side(pairs: list[tuple[dict, dict]]) -> None:
    """fraudgraph (money) and graphfaker at the same accounts.

    Parameters
    ----------
    pairs : list of tuple of dict
        (fraudgraph row, graphfaker row) per size.
    """
    print("\nfraudgraph (money, parquet) beside graphfaker fraud at the same accounts (fg = fraudgraph, "
          "gf = graphfaker)")
    header = ["accounts", "movements fg", "movements gf", "CPU s fg", "CPU s gf", "us/mvt fg", "us/mvt gf",
              "us/mvt fg/gf", "peak MiB fg", "peak MiB gf", "peak fg/gf"]
    cells = []
    for fg, gf in pairs:
        accounts = f"{fg['accounts']:,}" + ("" if gf["accounts"] == fg["accounts"] else f" (gf {gf['accounts']:,})")
        cells.append([accounts, f"{fg['movements']:,}", f"{gf['movements']:,}", f"{fg['cpu']:.1f}", f"{gf['cpu']:.1f}",
                      number(us_per_movement(fg), ".2f"), number(us_per_movement(gf), ".2f"),
                      number(ratio(us_per_movement(fg), us_per_movement(gf)), ".2f"), f"{fg['rss']:,.0f}",
                      f"{gf['rss']:,.0f}", number(ratio(fg["rss"], gf["rss"]), ".2f")])
    print_table(header, cells)


def verdict(worst: float | None, limit: float) -> str:
    """``PASS``/``FAIL`` of the worst value against its limit, with the value.

    Parameters
    ----------
    worst : float or None
        The largest measured value; None when it was not measured.
    limit : float
        The largest allowed.

    Returns
    -------
    str
        For example ``PASS (worst 0.84)``.
    """
    if worst is None:
        return "n/a (not measured)"
    return f"{'PASS' if worst <= limit else 'FAIL'} (worst {worst:.2f})"


def worst(values) -> float | None:
    """The largest of the values that are not None, or None.

    Parameters
    ----------
    values : iterable of float or None
        The values.

    Returns
    -------
    float or None
        The maximum.
    """
    known = [v for v in values if v is not None]
    return max(known) if known else None


def print_targets(pairs: list[tuple[dict, dict]], money: list[dict]) -> None:
    """The targets line: CPU per movement and peak memory against graphfaker, growth of fraudgraph money CPU.

    Parameters
    ----------
    pairs : list of tuple of dict
        (fraudgraph money row, graphfaker row) per size.
    money : list of dict
        fraudgraph money rows, for the growth slope.
    """
    cpu = worst(ratio(us_per_movement(fg), us_per_movement(gf)) for fg, gf in pairs)
    rss = worst(ratio(fg["rss"], gf["rss"]) for fg, gf in pairs)
    grow = worst(step["cpu"] for step in growth(money))
    print(f"\ntarget: CPU per movement ratio <= {TARGETS['cpu']:.1f}, peak memory ratio <= {TARGETS['rss']:.1f}, "
          f"growth slope <= {TARGETS['slope']:.2f}")
    print(f"result: CPU per movement ratio {verdict(cpu, TARGETS['cpu'])}, peak memory ratio "
          f"{verdict(rss, TARGETS['rss'])}, growth slope (money CPU) {verdict(grow, TARGETS['slope'])}")


# ----------------------------------------------------------------------------------------------- main

def parse_args() -> argparse.Namespace:
    """The command line.

    Returns
    -------
    argparse.Namespace
        The options.
    """
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", default="10000,100000,1000000", help="comma-separated sizes")
    parser.add_argument("--days", type=int, default=90, help="simulated days (graphfaker's default period)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (median CPU; min and max printed)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=["fraudgraph", "graphfaker"], help="measure one generator only")
    parser.add_argument("--work", default="money,full", help="fraudgraph kinds of work: money, full")
    parser.add_argument("--graphfaker", type=Path, help="the graphfaker executable (default: a cached venv)")
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()), help="folder for the runs")
    parser.add_argument("--shard-persons", type=int, help="run fraudgraph sharded, in shards of this many persons")
    parser.add_argument("--workers", type=int, default=1, help="with --shard-persons: local worker processes "
                        "(peak memory is then the largest single process)")
    args = parser.parse_args()
    args.persons = [int(p) for p in args.persons.split(",") if p.strip()]
    args.work = [w.strip() for w in args.work.split(",") if w.strip()]
    unknown = set(args.work) - set(WORK)
    if unknown:
        parser.error(f"unknown --work {', '.join(sorted(unknown))} (choose from {', '.join(WORK)})")
    return args


def measure_fraudgraph(args: argparse.Namespace, work: str, persons: int, with_timings: bool,
                       per_person_day: dict) -> dict | None:
    """The summarised fraudgraph runs of one size and kind of work, or None when the disk is too small.

    Parameters
    ----------
    args : argparse.Namespace
        The options.
    work : str
        ``money`` or ``full``.
    persons : int
        The size.
    with_timings : bool
        Pass ``--timings``.
    per_person_day : dict
        Output bytes per person-day by kind of work; updated from this run.

    Returns
    -------
    dict or None
        The :func:`summarise` row.
    """
    label = f"fraudgraph {work}, {persons:,} persons"
    if not enough_disk(args.tmp, persons * args.days * per_person_day[work], label):
        return None
    gen = generate_args(persons, args.days, args.seed, work)
    if args.shard_persons:
        gen += ["--shard-persons", str(args.shard_persons), "--workers", str(args.workers)]
    row = repeat(label, args.repeat, lambda: run_fraudgraph(gen, args.tmp, with_timings))
    per_person_day[work] = row["bytes"] / (persons * args.days)
    return row


def measure_graphfaker(args: argparse.Namespace, exe: Path, accounts: int, per_account: dict) -> dict | None:
    """The summarised graphfaker runs at ``accounts`` accounts, or None when the disk is too small.

    Parameters
    ----------
    args : argparse.Namespace
        The options.
    exe : Path
        The ``graphfaker`` executable.
    accounts : int
        Accounts to make.
    per_account : dict
        Output bytes per account under ``graphfaker``; updated from this run.

    Returns
    -------
    dict or None
        The :func:`summarise` row.
    """
    label = f"graphfaker, {accounts:,} accounts (--scale {graphfaker_scale(accounts)})"
    if not enough_disk(args.tmp, accounts * per_account["graphfaker"], label):
        return None
    row = repeat(label, args.repeat, lambda: run_graphfaker(exe, accounts, args.days, args.seed, args.tmp))
    per_account["graphfaker"] = row["bytes"] / row["accounts"]
    return row


def print_report(args: argparse.Namespace, fg_rows: dict, gf_rows: list[dict], pairs: list) -> None:
    """Every table of the run.

    Parameters
    ----------
    args : argparse.Namespace
        The options.
    fg_rows : dict
        fraudgraph rows by kind of work.
    gf_rows : list of dict
        graphfaker rows.
    pairs : list of tuple of dict
        (fraudgraph money row, graphfaker row) per size.
    """
    for work, rows in fg_rows.items():
        if rows:
            print_sizes(f"fraudgraph generate, {work} ({args.days} days, parquet)", rows)
    if gf_rows:
        print_sizes(f"graphfaker fraud ({args.days} days; persons are its customers, it writes no events)", gf_rows)
    for work, rows in fg_rows.items():
        print_stages(work, rows)
    for work, rows in fg_rows.items():
        print_growth(f"fraudgraph {work}", rows)
    print_growth("graphfaker", gf_rows)
    if pairs:
        print_side_by_side(pairs)
    print_targets(pairs, fg_rows.get("money", []))


def main() -> None:
    args = parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    run_fg, run_gf = args.only in (None, "fraudgraph"), args.only in (None, "graphfaker")
    with_timings = fraudgraph_has_timings()
    per_person = accounts_per_person(args.days, args.seed, args.tmp)
    exe = (args.graphfaker or install_graphfaker(GRAPHFAKER_VENV)) if run_gf else None
    print(f"{os.cpu_count()} cores; sizes {', '.join(f'{p:,}' for p in args.persons)} persons, {args.days} days, "
          f"seed {args.seed}, {args.repeat} run(s) each; fraudgraph --timings: {'yes' if with_timings else 'no'}; "
          f"fraudgraph makes {per_person:.3f} accounts per person ({CALIBRATION_PERSONS:,}-person world)"
          + (f"; fraudgraph sharded: {args.shard_persons:,} persons per shard on {args.workers} worker(s)"
             if args.shard_persons else "")
          + (f"; graphfaker {exe}" if exe else ""), flush=True)
    bytes_per = dict(ASSUMED_BYTES)
    fg_rows = {work: [] for work in args.work} if run_fg else {}
    gf_rows, pairs = [], []
    for persons in args.persons:
        done = {work: measure_fraudgraph(args, work, persons, with_timings, bytes_per) for work in fg_rows}
        for work, row in done.items():
            if row:
                fg_rows[work].append(row)
        if not run_gf:
            continue
        measured = [row["accounts"] for row in done.values() if row]
        gf = measure_graphfaker(args, exe, measured[0] if measured else round(persons * per_person), bytes_per)
        if gf:
            gf_rows.append(gf)
            if done.get("money"):
                pairs.append((done["money"], gf))
    versions = {row["version"] for row in gf_rows} - {"1.4.0"}
    if versions:
        print(f"note: graphfaker reported version {', '.join(map(str, versions))}, not 1.4.0")
    print_report(args, fg_rows, gf_rows, pairs)


if __name__ == "__main__":
    main()
