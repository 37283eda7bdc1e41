"""Events to Kafka: produced to a real broker (Tansu, on a loopback port) and consumed back."""
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict

import pytest
from clirun import cli, one_line_exit_2
from fraudgraph.exporters.kafka import KafkaError, KafkaSink, KafkaTarget

import fraudgraph
from fraudgraph import schema

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
WORLD = ["--scenario", "default", "--seed", "5", "--persons", "5000", "--days", "6"]


def consume(server, topics, expected: int | None = None, idle: float = 5.0, timeout: float = 120.0):
    """Every message of ``topics`` from the beginning, partition by partition (no consumer group to join)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": server.bootstrap, "group.id": f"test-{time.monotonic_ns()}",
                         "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(timeout=10).topics
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t in topics for p in metadata[t].partitions])
        got, last, deadline = [], time.monotonic(), time.monotonic() + timeout
        while time.monotonic() < deadline and (expected is None or len(got) < expected):
            batch = [m for m in consumer.consume(10_000, timeout=0.5) if m.error() is None]
            got += batch
            if batch:
                last = time.monotonic()
            elif time.monotonic() - last > idle:
                break
        return got
    finally:
        consumer.close()


def run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "fraudgraph", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"}, **kwargs)


@pytest.fixture(scope="module")
def streamed(kafka_server, tmp_path_factory):
    """A 5,000-person world produced to the broker by `fraudgraph stream --to`, its messages consumed back,
    and the same seed written as JSON Lines."""
    r = run("stream", "--to", kafka_server.uri, "--topic-prefix", "full.", *WORLD)
    assert r.returncode == 0, r.stderr
    out = tmp_path_factory.mktemp("kafka") / "ds"
    assert run("generate", *WORLD, "--format", "jsonl", "--out", str(out)).returncode == 0
    manifest = json.loads((out / "manifest.json").read_text())
    total = sum(manifest["counts"]["events"].values())
    topics = [f"full.{f}" for f in dict.fromkeys(et.family for et in schema.EVENT_TYPES.values())]
    messages = consume(kafka_server, topics, expected=total)
    lines = [line for p in sorted((out / "events").glob("part-*.jsonl")) for line in p.read_text().splitlines()]
    return r, messages, lines, total


def test_every_event_arrives_once_identical_to_the_files(streamed):
    r, messages, lines, total = streamed
    assert total > 100_000 and f"sent {total:,} events" in r.stderr
    assert len(messages) == total
    assert sorted(m.value().decode() for m in messages) == sorted(lines)


def test_topics_per_family_and_headers(streamed):
    _, messages, _, _ = streamed
    for m in messages[:: max(1, len(messages) // 2000)]:
        value = json.loads(m.value())
        headers = dict(m.headers())
        assert headers["event_type"].decode() == value["event_type"]
        assert headers["event_version"].decode() == value["event_version"]
        assert headers["source_service"].decode() == value["source_service"]
        assert m.topic() == "full." + schema.EVENT_TYPES[value["event_type"]].family


def test_each_key_keeps_its_events_in_order_on_one_partition(streamed):
    _, messages, lines, _ = streamed
    position = {json.loads(line)["event_id"]: i for i, line in enumerate(lines)}
    by_key = defaultdict(list)
    partitions = defaultdict(set)
    for m in sorted(messages, key=lambda m: (m.topic(), m.partition(), m.offset())):
        by_key[(m.topic(), m.key())].append(position[json.loads(m.value())["event_id"]])
        partitions[(m.topic(), m.key())].add(m.partition())
    assert all(len(p) == 1 for p in partitions.values())
    assert all(order == sorted(order) for order in by_key.values())  # the files' (timestamp, event id) order


def test_keys_are_the_entities(streamed):
    _, messages, _, _ = streamed
    account_of = {}
    for m in sorted(messages, key=lambda m: (m.topic(), m.partition(), m.offset())):
        value = json.loads(m.value())
        payload, key, kind = value["payload"], m.key().decode(), value["event_type"]
        if kind == "transaction-initiated":
            assert key == (payload["account_id"] or payload["counterparty_account_id"])
            account_of[value["correlation_id"]] = key
            account_of[payload["transaction_id"]] = key
        elif kind == "transaction-returned":  # days later: its own correlation, the same paying account
            assert key == (payload["account_id"] or payload["counterparty_account_id"])
            assert key == account_of[payload["transaction_id"]]
        elif schema.EVENT_TYPES[kind].family == "transactions":
            assert key == account_of[value["correlation_id"]]  # a transaction's later events follow its account
        elif kind.startswith("circle-"):
            assert key == payload["circle_id"]
        elif kind.startswith("remittance-"):
            assert key == payload["remittance_id"]
        elif kind in ("login-attempt", "session-started", "session-ended", "device-registered"):
            assert key == payload["user_id"]
        elif kind == "trade-executed":
            assert key == payload["account_id"]


def test_rate_is_held(kafka_server):
    started = time.monotonic()
    r = run("stream", "--to", kafka_server.uri, "--topic-prefix", "rate.", "--rate", "3000", "--duration", "12",
            "--scenario", "default", "--seed", "2", "--persons", "3000", "--days", "20")
    assert r.returncode == 0, r.stderr
    sent = int(r.stderr.split("sent ", 1)[1].split(" events", 1)[0].replace(",", ""))
    assert abs(sent - 36_000) <= 0.02 * 36_000, r.stderr
    assert time.monotonic() - started < 60
    messages = consume(kafka_server, [f"rate.{f}" for f in ("transactions", "sessions", "circles", "remittances",
                                                             "identity", "markets", "documents")], expected=sent)
    assert len(messages) == sent


def test_sigterm_flushes_and_counts(kafka_server):
    process = subprocess.Popen([sys.executable, "-m", "fraudgraph", "stream", "--to", kafka_server.uri,
                                "--topic-prefix", "term.", "--topic-per", "type", "--rate", "2000",
                                "--scenario", "default", "--seed", "4", "--persons", "2000", "--days", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONWARNINGS": "ignore"})
    deadline = time.monotonic() + 60
    topics = set()
    while time.monotonic() < deadline and not topics:  # wait until it is producing
        time.sleep(0.5)
        from confluent_kafka.admin import AdminClient
        topics = {t for t in AdminClient({"bootstrap.servers": kafka_server.bootstrap}).list_topics(timeout=5).topics
                  if t.startswith("term.")}
    time.sleep(2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    sent = int(err.split("sent ", 1)[1].split(" events", 1)[0].replace(",", ""))
    assert sent > 1000
    from confluent_kafka.admin import AdminClient
    topics = [t for t in AdminClient({"bootstrap.servers": kafka_server.bootstrap}).list_topics(timeout=5).topics
              if t.startswith("term.")]
    assert set(topics) <= {f"term.{t}" for t in schema.EVENT_TYPES}  # a topic per event type
    assert len(consume(kafka_server, topics, expected=sent, idle=3)) == sent


def test_generate_also_sends_the_written_events(kafka_server, tmp_path):
    out = tmp_path / "ds"
    code, _, err = cli("generate", "--scenario", "demo", "--seed", "3", "--persons", "300", "--days", "5",
                       "--format", "parquet", "--kafka", kafka_server.uri, "--out", out)
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    total = sum(manifest["counts"]["events"].values())
    assert f"sent {total:,} events" in err
    messages = consume(kafka_server, [f"fraudgraph.{f}" for f in ("transactions", "sessions", "identity")],
                       idle=3)
    kinds = {json.loads(m.value())["event_type"] for m in messages}
    assert "transaction-initiated" in kinds and "login-attempt" in kinds


def test_unreachable_broker_is_one_line_and_exit_2(tmp_path):
    from servers.process import free_port

    uri = f"kafka://127.0.0.1:{free_port()}"
    code, out, err = cli("stream", "--to", uri, "--persons", "50", "--days", "1")
    one_line_exit_2(code, err, uri.removeprefix("kafka://"), "cannot reach the Kafka broker")
    code, out, err = cli("generate", "--persons", "50", "--days", "1", "--kafka", uri, "--out", tmp_path / "x")
    one_line_exit_2(code, err, "cannot reach the Kafka broker")
    assert not (tmp_path / "x").exists()  # refused before any work


@pytest.mark.parametrize("uri", ["http://127.0.0.1:9092", "kafka://", "kafka://host", "kafka://host:0"])
def test_bad_uri_is_refused(uri):
    with pytest.raises(KafkaError, match="expected kafka://HOST:PORT"):
        KafkaTarget.parse(uri)


def test_bad_options_are_refused(kafka_server):
    target = KafkaTarget.parse(kafka_server.uri)
    with pytest.raises(KafkaError, match="--topic-per"):
        KafkaSink(target, per="stream")
    with pytest.raises(KafkaError, match="--partitions"):
        KafkaSink(target, partitions=0)
    code, _, err = cli("stream", "--to", kafka_server.uri, "--rate", "-1", "--persons", "50", "--days", "1")
    one_line_exit_2(code, err, "rate", "-1")


def test_keys_of_a_window_follow_open_transactions(kafka_server):
    """A transaction completed in a later window than it began keeps its account's key."""
    ds = fraudgraph.generate("default", seed=6, persons=400, days=3)
    sink = KafkaSink(KafkaTarget.parse(kafka_server.uri))
    windows = [w.events for w in ds.events(window_days=1)]
    keys = [sink.keys(w) for w in windows]
    opened = {}
    crossing = 0
    for w, k in zip(windows, keys):
        for kind, corr, key in zip(w["event_type"].to_pylist(), w["correlation_id"].to_pylist(), k.to_pylist()):
            if kind == "transaction-initiated":
                opened[corr] = key
            elif kind in ("transaction-completed", "transaction-failed"):
                crossing += corr in opened and opened[corr] == key
    assert crossing > 100


def test_a_broker_that_goes_away_is_a_delivery_error_not_silence(tmp_path):
    """Messages the broker never acknowledges fail the run, with the broker named."""
    from servers import kafka as servers_kafka

    server = servers_kafka.start(tmp_path / "gone")
    try:
        sink = KafkaSink(KafkaTarget.parse(server.uri), prefix="gone.", timeout=1.0)
        ds = fraudgraph.generate("demo", seed=1, persons=100, days=2)
        windows = [w.events for w in ds.events(window_days=1)]
        from fraudgraph.streaming import envelope_json

        sink.send(windows[0], envelope_json(windows[0]))
        assert sink.flush() == windows[0].num_rows
    finally:
        servers_kafka.stop(server)
    with pytest.raises(KafkaError, match=f"{server.bootstrap} did not"):  # its topics are known: the delivery fails
        sink.send(windows[0], envelope_json(windows[0]))
        sink.flush()


def test_an_oversized_message_is_refused_in_one_line(kafka_server):
    import pyarrow as pa

    ds = fraudgraph.generate("demo", seed=1, persons=100, days=1)
    events = next(iter(ds.events(window_days=1))).events.slice(0, 1)
    sink = KafkaSink(KafkaTarget.parse(kafka_server.uri), prefix="huge.")
    with pytest.raises(KafkaError, match="refused a message"):
        sink.send(events, pa.array(["x" * 3_000_000]))
