"""The ``fraudgraph`` command: thin click commands over the public API.

Errors of the user's making print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import click
import numpy as np

from fraudgraph import schema, stageclock
from fraudgraph._version import __version__
from fraudgraph.config import STREAMS, Scenario, preset_names
from fraudgraph.errors import ConfigError, FraudGraphError, OutputError
from fraudgraph.exporters import available_formats, get_exporter
from fraudgraph.loading import read_dataset, read_manifest, validate_folder
from fraudgraph.pipeline import generate as generate_dataset
from fraudgraph.pipeline import plan, prepare
from fraudgraph.shards.engines import ENGINES, check_engine
from fraudgraph.shards.plan import DEFAULT_PER_SHARD
from fraudgraph.writing import write_dataset


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fraudgraph")
def cli():
    """Generate synthetic fraud networks: a typed property graph with ground truth, exported to files."""


@cli.command()
@click.option("--scenario", "scenario_name", metavar="NAME", help="Preset name (see 'fraudgraph scenarios'). Default: default.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Scenario YAML file (e.g. an edited 'fraudgraph scenario show' dump).")
@click.option("--seed", type=int, help="Root seed; the same seed and scenario give byte-identical files.")
@click.option("--persons", type=int, help="Override persons.count.")
@click.option("--days", type=int, help="Override the simulated span in days.")
@click.option("--format", "formats", metavar="LIST", help=f"Comma-separated formats: {', '.join(available_formats())}.")
@click.option("--out", required=True, callback=lambda ctx, param, value: _out_target(value),
              help="Output folder (absent or empty), or a URL: s3://bucket/prefix, gs://..., file://... (an empty prefix).")
@click.option("--force", is_flag=True, help="Replace an existing dataset folder.")
@click.option("--labels-on-graph", is_flag=True, help="Also put fraud labels on node and edge tables (demos; truth/ always has them).")
@click.option("--streams", metavar="LIST", help=f"Comma-separated event families to write under events/ ({', '.join(STREAMS)}), or 'none'. Default: the scenario's events.streams.")
@click.option("--labels-on-events", is_flag=True, help="Also put is_fraud, fraud_type and pattern_id on each event (truth/events always has them).")
@click.option("--typed-events", is_flag=True, help="Parquet: also write the events as typed tables by family and date "
              "(events/<family>/date=<D>/; output.typed_events), for Spark, DuckDB and pandas.")
@click.option("--graph-events", type=click.Choice(["none", "relationships", "nodes"]), default="relationships",
              show_default=True, help="How the graph-database formats and --neo4j hold the events: TRANSFERRED and "
              "LOGGED_IN relationships, or Transaction and Session nodes.")
@click.option("--blind", is_flag=True, help="The graph-database formats and --neo4j leave every trace of the truth "
              "out (truth/ is written as always).")
@click.option("--kafka", "kafka_uri", metavar="URI", help="Also produce the events to Kafka at kafka://HOST:PORT "
              "(topics fraudgraph.<family>; see 'fraudgraph stream --to'), from the written files.")
@click.option("--postgres", "postgres_dsn", metavar="DSN", help="Also load the dataset into PostgreSQL at "
              "postgresql://USER:PASSWORD@HOST:PORT/DB, in a new schema named after --out (see 'load postgres').")
@click.option("--neo4j", "neo4j_uri", metavar="URI", help="Also load the dataset into this Bolt server (an empty "
              "database; user, password and database from NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE).")
@click.option("--timings", "timings_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write wall and CPU seconds per stage, peak memory and work counts to FILE (JSON).")
@click.option("--shard-persons", type=int, metavar="N", help="Generate in shards of about N persons each "
              "(persons.per_shard), written as partitioned Parquet; the files do not depend on where shards run.")
@click.option("--workers", type=int, metavar="N", help="Run the shards in N local processes (a sharded run; "
              f"shards of {DEFAULT_PER_SHARD:,} persons unless --shard-persons says).")
@click.option("--engine", type=click.Choice(ENGINES), help="Where the shards run: local processes, or an existing "
              "Dask cluster (--engine dask --scheduler tcp://HOST:PORT; its workers must see --out).")
@click.option("--scheduler", metavar="URL", help="Address of the Dask scheduler for --engine dask.")
def generate(scenario_name, config_file, seed, persons, days, formats, out, force, labels_on_graph, streams,
             labels_on_events, typed_events, graph_events, blind, kafka_uri, postgres_dsn, neo4j_uri, timings_file,
             shard_persons, workers, engine, scheduler):
    """Generate a dataset and write it to OUT."""
    if scenario_name and config_file:
        raise click.UsageError("pass either --scenario or --config, not both")
    sharding = {"shard_persons": shard_persons, "workers": workers, "engine": engine, "scheduler": scheduler}
    typed = {"output.typed_events": True} if typed_events else {}
    scenario = _sharded_scenario(config_file or scenario_name, seed, persons, days, formats, streams, sharding, typed)
    if scenario is not None:
        _refuse_with_shards(labels_on_graph=labels_on_graph, labels_on_events=labels_on_events, neo4j=neo4j_uri,
                            kafka=kafka_uri, postgres=postgres_dsn)

        def run():
            return _generate_sharded(scenario, out, force, sharding)
    else:
        def run():
            return _generate(scenario_name, config_file, seed, persons, days, formats, out, force, labels_on_graph,
                             streams, labels_on_events, graph_events, blind, neo4j_uri, typed, kafka_uri,
                             postgres_dsn)
    if timings_file is None:
        run()
        return
    _check_timings_path(timings_file, Path(out))
    with stageclock.recording() as clock:
        manifest = run()
    _write_timings(timings_file, clock, manifest)


def _out_target(value):
    """A local path, or a URL kept as text (``s3://`` ...)."""
    from fraudgraph.remote import is_url

    return value if value is None or is_url(value) else Path(value)


def _check_out(out, force) -> None:
    from fraudgraph.output import check_target
    from fraudgraph.remote import check_url_target, is_url

    if is_url(out):
        check_url_target(out, force)
    else:
        check_target(Path(out).absolute(), force)


def _generate(scenario_name, config_file, seed, persons, days, formats, out, force, labels_on_graph, streams,
              labels_on_events, graph_events, blind, neo4j_uri, overrides, kafka_uri=None, postgres_dsn=None):
    started = time.perf_counter()
    scenario = prepare(config_file or scenario_name, seed=seed, persons=persons, days=days, formats=formats,
                       streams=_streams_option(streams)).override(overrides)
    _check_out(out, force)  # fail before spending minutes on generation
    loader = None
    readable = any(get_exporter(f).capabilities.readable for f in scenario.output.formats)
    if neo4j_uri and graph_events != "none" and scenario.events.streams and not readable:
        raise click.UsageError(f"--neo4j loads the events from the written files: add csv, jsonl or parquet to "
                               f"--format {','.join(scenario.output.formats)}, or pass --graph-events none")
    kafka = _kafka_sink(kafka_uri) if kafka_uri else None  # an unreachable broker fails before the work
    if kafka is not None and scenario.events.streams and not readable:
        raise click.UsageError(f"--kafka sends the events from the written files: add csv, jsonl or parquet to "
                               f"--format {','.join(scenario.output.formats)}")
    if postgres_dsn:
        from fraudgraph.exporters.postgres import PostgresLoader, schema_name

        if not readable:
            raise click.UsageError(f"--postgres loads the written files: add csv, jsonl or parquet to "
                                   f"--format {','.join(scenario.output.formats)}")
        PostgresLoader(postgres_dsn, schema_name(Path(out))).check()  # unreachable, or the schema exists: now
    if neo4j_uri:
        from fraudgraph.exporters.bolt import BoltLoader, Target

        loader = BoltLoader(Target(neo4j_uri, os.environ.get("NEO4J_USER", "neo4j"),
                                   _password(os.environ.get("NEO4J_PASSWORD")), os.environ.get("NEO4J_DATABASE")))
        loader.check()
    steps = plan(scenario.output.formats, scenario)
    if sys.stderr.isatty():
        with click.progressbar(length=len(steps), label="generating", file=sys.stderr,
                               item_show_func=lambda s: s or "") as bar:
            def progress(step: str) -> None:
                bar.update(1, step)

            dataset = generate_dataset(scenario, progress=progress)
            manifest = write_dataset(dataset, out, scenario.output.formats, force=force,
                                     labels_on_graph=labels_on_graph, labels_on_events=labels_on_events,
                                     graph_events=graph_events, blind=blind, progress=progress)
    else:
        dataset = generate_dataset(scenario)
        manifest = write_dataset(dataset, out, scenario.output.formats, force=force, labels_on_graph=labels_on_graph,
                                 labels_on_events=labels_on_events, graph_events=graph_events, blind=blind)
    elapsed = time.perf_counter() - started
    click.echo(_counts_table(dataset.graph.counts(), scenario.persons.count))
    if manifest.event_counts:
        click.echo(f"events: {sum(manifest.event_counts.values()):,} of {len(manifest.event_counts)} types "
                   f"({', '.join(scenario.events.streams)})")
    click.echo(f"wrote {len(manifest.files)} files ({', '.join(scenario.output.formats)}) to {out} "
               f"in {elapsed:.1f} s (scenario {scenario.name}, seed {scenario.seed})")
    if loader is not None:
        _load_into_neo4j(loader, dataset, blind, graph_events, Path(out))
    if postgres_dsn:
        from fraudgraph.loading import postgres_load

        counts = postgres_load(Path(out), postgres_dsn)
        click.echo(f"loaded {sum(counts.values()):,} rows into {len(counts)} tables of PostgreSQL schema "
                   f"{_default_schema(out)!r}")
    if kafka is not None:
        from fraudgraph.loading import read_event_parts

        _send_to_kafka(kafka, (events for events, _ in read_event_parts(Path(out))))
    return manifest


def _sharded_scenario(name, seed, persons, days, formats, streams, sharding, overrides):
    """The scenario of a sharded run, or None when the run builds one world."""
    scenario = prepare(name, seed=seed, persons=persons, days=days,
                       formats=formats or "parquet", streams=_streams_option(streams)).override(overrides)
    if sharding["shard_persons"] is not None:
        scenario = scenario.override({"persons.per_shard": sharding["shard_persons"]})
    wanted = scenario.persons.per_shard is not None or any(
        sharding[k] is not None for k in ("workers", "engine", "scheduler"))
    return scenario if wanted else None


def _refuse_with_shards(**options) -> None:
    for name, value in options.items():
        if value:
            raise ConfigError(f"--{name.replace('_', '-')}: not available with a sharded run "
                              f"(--shard-persons, --workers, --engine or persons.per_shard)")


def _generate_sharded(scenario, out, force, sharding):
    from fraudgraph.output import check_target
    from fraudgraph.shards import ShardPlan, write_sharded

    started = time.perf_counter()
    engine = sharding["engine"] or "local"
    workers = 1 if sharding["workers"] is None else sharding["workers"]
    check_engine(engine, workers, sharding["scheduler"])
    check_target(Path(out).absolute(), force)
    plan = ShardPlan(scenario)
    where = (f"the Dask cluster at {sharding['scheduler']}" if engine == "dask"
             else f"{min(workers, plan.count)} local process(es)")
    progress = None
    if sys.stderr.isatty():
        click.echo(f"{scenario.persons.count:,} persons in {plan.count} shard(s) of up to {plan.per_shard:,}, "
                   f"on {where}", err=True)

        def progress(step: str) -> None:
            click.echo(f"{step} done", err=True)
    manifest = write_sharded(scenario, out, engine=engine, workers=workers, scheduler=sharding["scheduler"],
                             force=force, progress=progress)
    click.echo(_counts_table(manifest["counts"], scenario.persons.count))
    if manifest.event_counts:
        click.echo(f"events: {sum(manifest.event_counts.values()):,} of {len(manifest.event_counts)} types "
                   f"({', '.join(scenario.events.streams)})")
    click.echo(f"wrote {len(manifest.files)} partitioned Parquet files to {out} in "
               f"{time.perf_counter() - started:.1f} s (scenario {scenario.name}, seed {scenario.seed})")
    return manifest


def _check_timings_path(path: Path, out: Path) -> None:
    if out.absolute() in path.absolute().parents:
        raise ConfigError(f"--timings: {str(path)!r} is inside the output folder {str(out)!r}; write it elsewhere")
    if not path.absolute().parent.is_dir():
        raise ConfigError(f"--timings: folder {str(path.absolute().parent)!r} does not exist")


def _write_timings(path: Path, clock, manifest) -> None:
    """The stage clock's report with what the run made: persons, accounts, money movements, events, bytes."""
    report = clock.report()
    nodes = manifest["counts"]["nodes"]
    events = manifest.event_counts
    report.update(persons=nodes.get("Person", 0), accounts=nodes.get("Account", 0),
                  money_movements=clock.counts.get("money movements", 0), events=sum(events.values()),
                  files=len(manifest.files), bytes=sum(f["bytes"] for f in manifest.files))
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


@cli.command()
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder (absent or empty).")
@click.option("--seed", type=int, default=0, show_default=True, help="Root seed of the showcase world.")
@click.option("--force", is_flag=True, help="Replace an existing dataset folder.")
@click.option("--neo4j", "neo4j_uri", metavar="URI", help="Also load the world into this Bolt server and score the "
              "investigation pack on it (user, password and database from NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE).")
@click.option("--wipe", is_flag=True, help="With --neo4j: empty the database first (it must be empty otherwise).")
def demo(out, seed, force, neo4j_uri, wipe):
    """Write the curated showcase world to OUT: every typology next to its look-alike, Parquet and CSV files, a
    Cypher load script, the investigation pack and the case report (OUT/report/index.html)."""
    started = time.perf_counter()
    scenario = prepare("showcase", seed=seed, formats=["parquet", "csv", "cypher", "report"])
    from fraudgraph.output import check_target

    check_target(Path(out).absolute(), force)
    loader = None
    if neo4j_uri:
        from fraudgraph.exporters.bolt import BoltLoader, Target

        loader = BoltLoader(Target(neo4j_uri, os.environ.get("NEO4J_USER", "neo4j"),
                                   _password(os.environ.get("NEO4J_PASSWORD")), os.environ.get("NEO4J_DATABASE")),
                            wipe=wipe)
        loader.check()
    dataset = generate_dataset(scenario)
    manifest = write_dataset(dataset, out, scenario.output.formats, force=force, graph_events="nodes")
    patterns = dataset.truth.patterns
    click.echo(f"wrote the showcase world to {out}: {len(dataset.graph.nodes['Person']):,} persons, "
               f"{int(patterns['is_fraud'].sum())} fraud cases and {int((~patterns['is_fraud']).sum())} look-alikes "
               f"of {patterns['typology'].nunique()} typologies, {sum(manifest.event_counts.values()):,} events, "
               f"{len(manifest.files)} files in {time.perf_counter() - started:.1f} s")
    if loader is not None:
        _load_into_neo4j(loader, dataset, False, "nodes", Path(out))
        scores = _score_pack(loader.target, dataset.truth, 20, directory=out)
        _rerender_overview(dataset, Path(out), scores)
    click.echo(f"open {Path(out) / 'report' / 'index.html'} in a browser; the queries are in {Path(out) / 'queries'}")


def _score_pack(target, truth, k: int, detectors=None, overrides=None, timeout=None, directory="DIR") -> dict:
    """Run the pack's detectors (all by default) on ``target``, score each against ``truth`` and print the
    table; the report as JSON takes it. A query the server cannot run is listed under ``failed``."""
    from fraudgraph.queries import load_pack
    from fraudgraph.queries.scoring import run, score, table

    scores, failed = [], []
    with _bolt_session(target) as session:
        if not session.run("MATCH (t:Transaction) RETURN t.id AS id LIMIT 1").data():
            raise ConfigError(f"The database at {target.describe()} holds no Transaction nodes; the pack reads "
                              f"Neo4j's transaction model: load it with 'fraudgraph load neo4j {directory} --events nodes'")
        for q in detectors if detectors is not None else [q for q in load_pack() if q.scored]:
            try:
                rows, seconds = run(session, q, (overrides or {}).get(q.name), timeout)
            except Exception as exc:  # a server that does not run a query: report it, go on with the others
                if isinstance(exc, FraudGraphError):
                    raise
                failed.append(f"{q.name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                continue
            scores.append(score(q, rows, truth, k, seconds))
    click.echo(table(scores))
    for line in failed:
        click.echo(f"failed: {line}")
    return {"k": k, "database": target.describe(), "scores": [s.to_dict() for s in scores], "failed": failed}


def _rerender_overview(dataset, out: Path, scores: dict) -> None:
    """Put the pack's scores into the report's overview, and record the changed files in the manifest."""
    import json

    from fraudgraph.casebook import TITLE, subtitle, write_report
    from fraudgraph.writing import amend_manifest

    cases, events = _case_material(dataset, out)
    written = write_report(out / "report", cases, events, dataset.graph.counts(), TITLE,
                           subtitle(dataset.scenario, dataset.seed), scores)
    (out / "report" / "scores.json").write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    amend_manifest(out, [(f"report/{rel}", "report", "report", Path(rel).stem) for rel in written]
                   + [("report/scores.json", "report", "scores", "scores")])


def _streams_option(value: str | None):
    if value is None:
        return None
    return [] if value.strip().lower() == "none" else value


@cli.command()
@click.option("--to", "target", metavar="URI", help="Where the events go: stdout (default, JSON lines) or "
              "kafka://HOST:PORT (one topic per family, keyed by the entity whose order they keep).")
@click.option("--rate", type=float, help="Events per second (required for stdout; for Kafka default: as fast as the "
              "broker takes them).")
@click.option("--duration", type=float, help="Seconds to run (default: until the span's events run out or a signal).")
@click.option("--topic-prefix", default="fraudgraph.", show_default=True, help="Kafka topic name prefix.")
@click.option("--topic-per", type=click.Choice(["family", "type"]), default="family", show_default=True,
              help="One Kafka topic per event family or per event type.")
@click.option("--partitions", type=int, default=6, show_default=True, help="Partitions of each Kafka topic created.")
@click.option("--replication", type=int, default=1, show_default=True, help="Replication factor of each Kafka topic "
              "created (existing topics are used as they are).")
@click.option("--scenario", "scenario_name", metavar="NAME", help="Preset name. Default: default.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE", help="Scenario YAML file.")
@click.option("--seed", type=int, help="Root seed.")
@click.option("--persons", type=int, help="Override persons.count.")
@click.option("--days", type=int, help="Override the simulated span in days.")
@click.option("--streams", metavar="LIST", help="Comma-separated event families (default: the scenario's).")
def stream(target, rate, duration, topic_prefix, topic_per, partitions, replication, scenario_name, config_file, seed,
           persons, days, streams):
    """Emit events as JSON lines on stdout at a steady RATE, or produce them to Kafka (--to kafka://HOST:PORT).

    Stops cleanly on Ctrl-C, SIGTERM or when the reader closes the pipe; Kafka gets everything sent so far
    flushed, and the count of events the broker acknowledged is printed.
    """
    from fraudgraph.streaming import check_pacing, stream_events

    if scenario_name and config_file:
        raise click.UsageError("pass either --scenario or --config, not both")
    check_pacing(rate, duration, rate_required=False)  # before the work
    kafka = None
    if target not in (None, "stdout", "-"):
        kafka = _kafka_sink(target, topic_prefix, topic_per, partitions, replication)  # fails before the work
    elif rate is None:
        raise click.UsageError("--rate is required when streaming to stdout")
    scenario = prepare(config_file or scenario_name, seed=seed, persons=persons, days=days, streams=_streams_option(streams))
    dataset = generate_dataset(scenario)
    if kafka is None:
        written = stream_events(dataset, rate, duration, streams=scenario.events.streams)
        click.echo(f"streamed {written:,} events", err=True)
        return
    batches = (w.events for w in dataset.events(scenario.events.streams, window_days=1))
    _send_to_kafka(kafka, batches, rate, duration)


def _kafka_sink(uri, prefix="fraudgraph.", per="family", partitions=6, replication=1):
    from fraudgraph.exporters.kafka import KafkaSink, KafkaTarget

    sink = KafkaSink(KafkaTarget.parse(uri), prefix=prefix, per=per, partitions=partitions, replication=replication)
    sink.check()
    return sink


def _send_to_kafka(sink, batches, rate=None, duration=None):
    from fraudgraph.streaming import send_to_kafka

    started = time.monotonic()
    sent = send_to_kafka(batches, sink, rate, duration, progress=lambda line: click.echo(line, err=True))
    elapsed = max(time.monotonic() - started, 1e-9)
    click.echo(f"sent {sent:,} events to kafka://{sink.target.bootstrap} ({', '.join(sorted(sink.topics))}) "
               f"in {elapsed:.1f} s, {sent / elapsed:,.0f}/s", err=True)
    return sent


@cli.command()
def scenarios():
    """List the preset scenarios."""
    for name in preset_names():
        s = Scenario.from_preset(name)
        click.echo(f"{name:<12} {s.persons.count:>9,} persons  {s.days:>4} days  {s.description}")


@cli.group()
def scenario():
    """Inspect preset scenarios."""


@scenario.command("show")
@click.argument("name")
def scenario_show(name):
    """Print preset NAME as YAML (edit it and pass it back with --config)."""
    click.echo(Scenario.from_preset(name).to_yaml(), nl=False)


@cli.command()
@click.argument("directory", callback=lambda ctx, param, value: _out_target(value))
def validate(directory):
    """Check a written dataset: checksums, schema, referential integrity, counts, event streams.

    Event streams are read one part file at a time: global (timestamp, event_id)
    order, unique ids, counts per type, envelope values, truth and feature rows
    that point at real events, and the same events in every format.
    Exits 0 when sound, 1 with the problems listed otherwise.
    """
    problems, summary = validate_folder(directory)
    if problems:
        click.echo(f"{directory}: {len(problems)} problem(s)", err=True)
        for p in problems:
            click.echo(f"  - {p}", err=True)
        sys.exit(1)
    events = (f", {summary['events']:,} events in {summary['event_parts']} part(s) per format"
              if summary.get("event_parts") else "")
    others = [f for f in summary["formats"] if f not in summary["read_back"]]
    unread = f"; {', '.join(others)} checked by sha256 only" if others else ""
    click.echo(f"{directory}: OK — {summary['tables']} files in {len(summary['formats'])} format(s) "
               f"({', '.join(summary['formats'])}{unread}), {summary['rows']:,} rows per format{events}; schema, "
               "checksums, referential integrity, counts and event order all hold")


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--format", "fmt", help="Which written format to read (default: the fastest present).")
def stats(directory, fmt):
    """Print counts and degree summaries of a written dataset."""
    manifest = read_manifest(directory)
    dataset = read_dataset(directory, format=fmt)
    g = dataset.graph
    click.echo(f"dataset {directory}: scenario {manifest['scenario']['name']}, seed {manifest['seed']}, "
               f"fraudgraph {manifest['fraudgraph_version']}")
    click.echo(_counts_table(g.counts(), dataset.scenario.persons.count))
    click.echo("")
    header = f"{'edge type':<32} {'side':<4} {'mean':>7} {'median':>7} {'p99':>7} {'max':>8} {'with 0':>8}"
    click.echo(header)
    click.echo("-" * len(header))
    for key, table in g.edges.items():
        et = schema.edge_type(key)
        for side, label, column in (("out", et.src, "src"), ("in", et.dst, "dst")):
            ids = g.nodes[label]["id"]
            degree = table[column].value_counts().reindex(ids, fill_value=0).to_numpy()
            if degree.size == 0:
                continue
            click.echo(f"{et.file_stem:<32} {side:<4} {degree.mean():>7.2f} {np.median(degree):>7.0f} "
                       f"{np.percentile(degree, 99):>7.0f} {degree.max():>8,} {(degree == 0).mean():>7.1%}")


def _bolt_options(command):
    """The server options of every command that talks to a Bolt server (settable from NEO4J_* variables)."""
    for option in reversed([
        click.option("--uri", envvar="NEO4J_URI", default="bolt://localhost:7687", show_default=True,
                     help="Bolt URI of the server (env NEO4J_URI)."),
        click.option("--user", envvar="NEO4J_USER", default="neo4j", show_default=True, help="User (env NEO4J_USER)."),
        click.option("--password", envvar="NEO4J_PASSWORD", help="Password (env NEO4J_PASSWORD)."),
        click.option("--database", envvar="NEO4J_DATABASE", help="Database (env NEO4J_DATABASE; default: the server's).")]):
        command = option(command)
    return command


@cli.group()
def report():
    """Reports on a written dataset."""


@report.command("hardness")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), metavar="FILE",
              help="Also write the report as JSON to FILE ('-': JSON on stdout instead of the table). "
                   "FILE may not lie inside the dataset folder, which must keep matching its manifest.")
def report_hardness(directory, json_path):
    """Best single-feature AUC separating fraud members from everyone else, per typology and overall.

    The table goes to stdout; nothing is written into DIRECTORY.
    """
    import json

    from fraudgraph.report import format_report, hardness_report

    if json_path is not None and str(json_path) != "-":
        _check_report_path(json_path, directory)
    dataset = read_dataset(directory)
    result = hardness_report(dataset, directory)
    text = json.dumps(result, indent=2) + "\n"
    if json_path is not None and str(json_path) == "-":
        click.echo(text, nl=False)
        return
    click.echo(format_report(result))
    if json_path is not None:
        try:
            json_path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"The '--json' file {str(json_path)!r} cannot be written: {exc.strerror}") from None
        click.echo(f"\nwrote {json_path}")


@report.command("queries")
@click.argument("directory", type=click.Path(path_type=Path))
@_bolt_options
@click.option("--top", "k", type=click.IntRange(1, 1_000_000), default=50, show_default=True,
              help="Length of the alert queue whose precision is the headline (P@k).")
@click.option("--query", "names", multiple=True, metavar="NAME", help="Run only this detector (repeatable).")
@click.option("--param", "params", multiple=True, metavar="QUERY.NAME=VALUE",
              help="Override a query parameter, the value as JSON (repeatable), e.g. money_mule.window_hours=24.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the scores as JSON to FILE (outside the dataset folder).")
@click.option("--timeout", type=click.FloatRange(1, 86_400), default=600, show_default=True,
              help="Seconds a query may run before the server stops it (it is then reported as failed).")
def report_queries(directory, uri, user, password, database, k, names, params, json_path, timeout):
    """Run the investigation pack's detectors against a database holding DIRECTORY (loaded with
    ``load neo4j --events nodes``) and score each against the dataset's truth."""
    import json

    from fraudgraph.exporters.bolt import BoltLoader, Target
    from fraudgraph.queries import load_pack, query

    if json_path is not None:
        _check_report_path(json_path, directory)
    pack = {q.name: q for q in load_pack()}
    detectors = [query(n) for n in names] if names else [q for q in pack.values() if q.scored]
    overrides = _query_params(params, pack)
    target = Target(uri, user, _password(password), database)
    BoltLoader(target).check_reachable()
    dataset = read_dataset(directory)
    report = _score_pack(target, dataset.truth, k, detectors, overrides, timeout, directory)
    click.echo(f"\nP@k: share of the top {k} flagged nodes in a fraud instance; recall: share of the typology's "
               "fraud instances with a member flagged; decoys flagged: the same for its look-alikes")
    if json_path is not None:
        text = json.dumps(report, indent=2) + "\n"
        try:
            json_path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"The '--json' file {str(json_path)!r} cannot be written: {exc.strerror}") from None
        click.echo(f"wrote {json_path}")
    if report["failed"]:
        sys.exit(1)


def _query_params(params, pack) -> dict[str, dict]:
    """``--param QUERY.NAME=VALUE`` options as overrides per query."""
    import json

    out: dict[str, dict] = {}
    for text in params:
        key, sep, value = text.partition("=")
        name, dot, param = key.partition(".")
        if not sep or not dot:
            raise ConfigError(f"--param expects QUERY.NAME=VALUE, got {text!r}")
        if name not in pack:
            raise ConfigError(f"--param names the query {name!r}, which is not in the pack; choose one of "
                              f"{', '.join(sorted(pack))}")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        known = [p.name for p in pack[name].parameters]
        if param not in known:
            raise ConfigError(f"--param names {param!r}, which the query {name!r} does not take; it takes "
                              f"{', '.join(known) or 'no parameters'}")
        out.setdefault(name, {})[param] = parsed
    return out


@contextlib.contextmanager
def _bolt_session(target):
    from neo4j import GraphDatabase

    with GraphDatabase.driver(target.uri, auth=(target.user, target.password)) as driver, \
            driver.session(database=target.database) as session:
        yield session


@report.command("case")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--pattern", "pattern_id", required=True, help="The pattern instance's id (truth/patterns).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The HTML file to write (default: ./<PATTERN>.html); not inside the dataset folder.")
def report_case(directory, pattern_id, out):
    """Render the case file of one pattern instance of the dataset in DIRECTORY, its look-alike beside it."""
    from fraudgraph.casebook import write_case

    out = Path(out or f"{pattern_id}.html")
    _check_report_path(out, directory, option="--out")
    dataset = read_dataset(directory)
    known = set(dataset.truth.patterns["pattern_id"].astype(str))
    if pattern_id not in known:
        raise ConfigError(f"The '--pattern' {pattern_id!r} is no instance of {directory}; it holds "
                          f"{len(known)} (e.g. {', '.join(sorted(known)[:3])})")
    cases, events = _case_material(dataset, directory)
    try:
        write_case(out, cases, events, pattern_id)
    except OSError as exc:
        raise OutputError(f"The '--out' file {str(out)!r} cannot be written: {exc.strerror}") from None
    click.echo(f"wrote {out}")


def _case_material(dataset, directory: Path):
    """The cases of a written dataset and its events, read back, as the case files take them."""
    from fraudgraph.casebook import CaseEvents, build_cases
    from fraudgraph.loading import read_event_parts

    events = CaseEvents()
    for part, truth in read_event_parts(directory, truth_columns=("event_id", "pattern_id")):
        events.add(part, truth)
    return build_cases(dataset.graph, dataset.truth), events


@cli.group()
def export():
    """Export a written dataset for a use."""


@export.command("gnn")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (absent or empty) for gnn/ and its manifest.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--train", type=float, default=0.6, show_default=True, help="Share of the span for training.")
@click.option("--valid", type=float, default=0.2, show_default=True, help="Share of the span for validation.")
def export_gnn(directory, out, force, train, valid):
    """Write the dataset in DIRECTORY as graph-learning arrays (gnn/) to OUT."""
    from fraudgraph.gnn.splits import cutoffs
    from fraudgraph.output import check_target

    started = time.perf_counter()
    dataset = read_dataset(directory)
    cut = cutoffs(dataset.scenario.start_date, dataset.scenario.days, train=train, valid=valid)
    check_target(Path(out).absolute(), force)
    from fraudgraph.gnn.activity import STREAMS

    # only the families gnn/ reads are simulated again: the same seed gives the same events
    streams = [s for s in dataset.scenario.events.streams if s in STREAMS]
    manifest = write_dataset(dataset, out, ["gnn"], force=force, streams=streams,
                             options={"train": train, "valid": valid})
    money = next((f["rows"] for f in manifest.files if f["path"] == "gnn/money.parquet"), 0)
    click.echo(f"train before {cut.train_end}Z, validation before {cut.valid_end}Z, test before {cut.end}Z")
    click.echo(f"wrote {len(manifest.files)} files to {out}/gnn: {sum(dataset.graph.counts()['nodes'].values()):,} "
               f"nodes, {money:,} money edges, in {time.perf_counter() - started:.1f} s")


@cli.group()
def load():
    """Load a written dataset into a server."""


@load.command("neo4j")
@click.argument("directory", type=click.Path(path_type=Path))
@_bolt_options
@click.option("--batch-size", type=int, default=5_000, show_default=True, help="Rows per UNWIND transaction.")
@click.option("--mode", type=click.Choice(["create", "merge"]), default="create", show_default=True,
              help="create refuses a database holding data; merge adds to it without duplicates.")
@click.option("--wipe", is_flag=True, help="Delete everything in the database first.")
@click.option("--blind", is_flag=True, help="Load the graph without any trace of the truth.")
@click.option("--events", "events_mode", type=click.Choice(["none", "relationships", "nodes"]),
              default="relationships", show_default=True,
              help="Money movements and logins as relationships (TRANSFERRED, LOGGED_IN), as Transaction and "
                   "Session nodes, or not at all.")
def load_neo4j(directory, uri, user, password, database, batch_size, mode, wipe, blind, events_mode):
    """Load the dataset in DIRECTORY into Neo4j (or any Bolt server)."""
    from fraudgraph.exporters.bolt import BoltLoader, Target

    loader = BoltLoader(Target(uri, user, _password(password), database), mode=mode, wipe=wipe,
                        batch_size=batch_size)
    loader.check()
    dataset = read_dataset(directory)
    _load_into_neo4j(loader, dataset, blind, events_mode, directory)


@load.command("postgres")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--dsn", envvar="FRAUDGRAPH_POSTGRES_DSN", required=True, metavar="DSN",
              help="postgresql://USER:PASSWORD@HOST:PORT/DATABASE (or FRAUDGRAPH_POSTGRES_DSN; libpq's PG* "
                   "variables fill what it leaves out).")
@click.option("--schema", "schema_name", metavar="NAME", help="Schema to load into (default: the folder's name).")
@click.option("--mode", type=click.Choice(["create", "replace", "append"]), default="create", show_default=True,
              help="create refuses an existing schema; replace swaps it for this dataset in one transaction; "
                   "append adds to its tables.")
def load_postgres(directory, dsn, schema_name, mode):
    """Load the dataset in DIRECTORY into PostgreSQL: a schema with a typed table per node, edge, truth table
    and event family, keys and indexes, filled with COPY."""
    from fraudgraph.loading import postgres_load

    started = time.perf_counter()
    counts = postgres_load(directory, dsn, schema_name, mode)
    rows = sum(counts.values())
    elapsed = max(time.perf_counter() - started, 1e-9)
    click.echo(f"loaded {rows:,} rows into {len(counts)} tables of schema "
               f"{schema_name or _default_schema(directory)!r} in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s)")


def _default_schema(directory) -> str:
    from fraudgraph.exporters.postgres import schema_name

    return schema_name(Path(directory))


@cli.group()
def verify():
    """Compare what a server holds with a written dataset."""


@verify.command("neo4j")
@click.argument("directory", type=click.Path(path_type=Path))
@_bolt_options
@click.option("--blind", is_flag=True, help="The database was loaded with --blind: expect no truth in it.")
@click.option("--sample", type=click.IntRange(1, 100_000), default=20, show_default=True,
              help="Nodes per label and relationships per triple whose properties are compared.")
@click.option("--events", "events_mode", type=click.Choice(["none", "relationships", "nodes"]),
              default="relationships", show_default=True, help="How the events were loaded (as with load).")
def verify_neo4j(directory, uri, user, password, database, blind, sample, events_mode):
    """Read counts, constraints, sampled properties and the truth back from the server; exit 1 on any difference."""
    from fraudgraph.exporters.bolt import BoltLoader, Target
    from fraudgraph.exporters.bolt import verify as verify_server
    from fraudgraph.graphdb import graph_model

    target = Target(uri, user, _password(password), database)
    BoltLoader(target).check_reachable()
    dataset = read_dataset(directory)
    checks = verify_server(target, graph_model(dataset.graph, dataset.truth, blind=blind), sample=sample,
                           events=_event_chunks(directory, events_mode, blind))
    width = max(len(c.what) for c in checks)
    for c in checks:
        shown = "ok" if c.ok else f"DIFFERS: expected {_short(c.expected)}, found {_short(c.found)}" + (
            f" (e.g. {', '.join(map(str, c.examples))})" if c.examples else "")
        click.echo(f"{c.what:<{width}}  {shown}")
    bad = [c for c in checks if not c.ok]
    click.echo(f"{len(checks) - len(bad)} of {len(checks)} checks agree with {directory} at {target.describe()}")
    if bad:
        sys.exit(1)


def _short(value) -> str:
    """A value for one line: lists cut to their first five items."""
    if isinstance(value, list) and len(value) > 5:
        return repr(value[:5])[:-1] + f", ... ({len(value)} in all)]"
    return repr(value)


def _password(password: str | None) -> str:
    if password is None:
        raise click.UsageError("no password for the Bolt server: pass --password or set NEO4J_PASSWORD")
    return password


def _load_into_neo4j(loader, dataset, blind: bool, events_mode: str, directory: Path) -> None:
    from fraudgraph.event_graph import event_labels
    from fraudgraph.graphdb import graph_model

    started = time.perf_counter()
    model = graph_model(dataset.graph, dataset.truth, blind=blind)
    expected = model.counts()
    total = sum(expected["nodes"].values()) + sum(expected["relationships"].values())
    events = _event_chunks(directory, events_mode, blind)
    labels = event_labels(events_mode)
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="loading", file=sys.stderr, item_show_func=lambda s: s or "") as bar:
            loader.progress = lambda what, rows: bar.update(rows, what)
            counts = loader.load(model, events, labels)
    else:
        counts = loader.load(model, events, labels)
    for kind in ("nodes", "relationships"):
        for name, n in loader.event_counts[kind].items():
            expected[kind][name] = expected[kind].get(name, 0) + n
    total = sum(expected["nodes"].values()) + sum(expected["relationships"].values())
    elapsed = time.perf_counter() - started
    click.echo(_load_table(expected, counts))
    click.echo(f"loaded {total:,} nodes and relationships into {loader.target.describe()} in {elapsed:.1f} s "
               f"({total / max(elapsed, 1e-9):,.0f} per second, mode {loader.mode}{', blind' if blind else ''})")


def _event_chunks(directory: Path, mode: str, blind: bool):
    """The written events of ``directory`` as graph elements, chunk by chunk (nothing for mode ``none``)."""
    if mode == "none":
        return
    from fraudgraph.event_graph import EventGraph
    from fraudgraph.loading import read_event_parts

    graph = EventGraph(mode, blind=blind)
    for events, truth in read_event_parts(directory):
        yield graph.add(events, truth)
    yield graph.close()


def _load_table(expected: dict, counts: dict) -> str:
    """Per label and type: the rows of the dataset and what the server holds."""
    rows = []
    for kind in ("nodes", "relationships"):
        rows.append((kind[:-1] if kind == "nodes" else "relationship", "dataset", "in database"))
        rows += [(k, f"{v:,}", f"{counts[kind].get(k, 0):,}") for k, v in expected[kind].items()]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:>11}  {c:>11}" for a, b, c in rows)


def _check_report_path(json_path: Path, directory: Path, option: str = "--json") -> None:
    """A report file must be writable and lie outside the dataset (whose folder must match its manifest)."""
    target, dataset = json_path.absolute().resolve(), Path(directory).absolute().resolve()
    if target == dataset or dataset in target.parents:
        raise OutputError(f"The '{option}' file {str(json_path)!r} lies inside the dataset folder {str(directory)!r}; "
                          "write reports elsewhere so that the dataset keeps matching its manifest")
    if not target.parent.is_dir():
        raise OutputError(f"The '{option}' file's folder {str(target.parent)!r} does not exist")
    if target.is_dir():
        raise OutputError(f"The '{option}' file {str(json_path)!r} is a folder, expected a file")


def _counts_table(counts: dict, persons: int | None = None) -> str:
    """Rows per node and edge type; Person says how many came from ``persons.count`` and how many patterns added."""
    def person_rows(label: str, value: int) -> str:
        if label != "Person" or persons is None or value == persons:
            return f"{value:,}"
        return f"{value:,} ({persons:,} + {value - persons:,} synthetic identities of fraud patterns)"

    rows = [("node type", "rows")] + [(k, person_rows(k, v)) for k, v in counts["nodes"].items()]
    rows += [("edge type", "rows")] + [(k, f"{v:,}") for k, v in counts["edges"].items()]
    width = max(len(r[0]) for r in rows)
    lines = []
    for name, value in rows:
        if value == "rows":
            lines.append(f"{name:<{width}}  {'rows':>11}")
            lines.append("-" * (width + 13))
        else:
            number, _, note = value.partition(" ")
            lines.append(f"{name:<{width}}  {number:>11}" + (f"  {note}" if note else ""))
    return "\n".join(lines)


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so that every half-written output is removed on the way."""


def _terminate(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one unwinding is enough; a second signal must not cut it short
    raise Terminated()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every user error into one stderr line and exit status 2.

    SIGINT exits with status 130 and SIGTERM (``kill``, ``docker stop``, CI
    timeouts) with 143, in both cases after removing what was half written.
    """
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    try:
        cli.main(args=argv, prog_name="fraudgraph", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(130)
    except Terminated:
        click.echo("error: terminated (SIGTERM)", err=True)
        sys.exit(143)
    except BrokenPipeError:
        # the reader of stdout went away (`fraudgraph scenario show default | head`): nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(2)
    except FraudGraphError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
