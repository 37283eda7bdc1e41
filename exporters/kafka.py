"""Kafka: the event streams as topics, keyed by the entity whose events must stay in order.

One topic per event family (``<prefix><family>``) or per event type
(``<prefix><event-type>``). Each message's key is the entity that orders its
events, so one partition holds all of an entity's events in time order:

* transactions: the paying account (the receiving one for money from outside);
  a transaction's later events (flagged, completed, failed) carry only its id,
  so they take the key of the ``transaction-initiated`` that opened it; a
  ``transaction-returned`` names the paying account itself;
* sessions and identity: the person (``user_id``; ``owner_id`` of an account opened or closed;
  the account of a bank link a company's account makes, which has no person);
* circles: the circle; remittances: the remittance (the currency pair for rates);
* markets: the sender of a communication, the company of an announcement, the
  account of a trade.

The value is the event's envelope as one JSON object (the payload embedded as an
object, as in JSON Lines), with headers ``event_type``, ``event_version`` and
``source_service``. The producer is idempotent (``acks=all``), so a retried
batch is never written twice, and the first failed delivery stops the run with
its error: nothing is dropped silently.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc

from fraudgraph.errors import FraudGraphError
from fraudgraph.event_tables import families, family_table

#: The payload field that keys each event type (transactions after the first event: see the module docstring).
KEY_FIELDS = {
    "transaction-initiated": ("account_id", "counterparty_account_id"),
    "login-attempt": ("user_id",), "login-success": ("user_id",), "login-failed": ("user_id",),
    "session-started": ("user_id",), "user-action-performed": ("user_id",), "session-ended": ("user_id",),
    "account-opened": ("owner_id",), "account-closed": ("owner_id",), "device-registered": ("user_id",),
    "identity-changed": ("user_id",), "bank-link-added": ("user_id", "account_id"),
    "exchange-rate-updated": ("currency_pair",),
    "communication-sent": ("sender_id",), "company-announcement": ("company_id",), "trade-executed": ("account_id",),
    "invoice-issued": ("supplier_id",), "bill-of-lading-issued": ("shipper_id",), "invoice-paid": ("supplier_id",),
}
#: Families whose every event type is keyed by one field.
FAMILY_KEYS = {"circles": "circle_id", "remittances": "remittance_id"}
TOPIC_MODES = ("family", "type")
#: A transaction's last events: after them its key is not needed any more.
_TERMINAL = ("transaction-completed", "transaction-failed")


class KafkaError(FraudGraphError):
    """The broker cannot be reached, refused a topic, or did not take a message."""


@dataclass(frozen=True)
class KafkaTarget:
    """Where to produce: ``kafka://HOST:PORT[,HOST:PORT...]``."""

    bootstrap: str

    @classmethod
    def parse(cls, uri: str) -> KafkaTarget:
        """The target of a ``kafka://`` URI.

        Raises
        ------
        KafkaError
            For another scheme, or a host without a port.
        """
        parts = urlsplit(uri)
        if parts.scheme != "kafka" or not parts.netloc:
            raise KafkaError(f"--to: expected kafka://HOST:PORT, got {uri!r}")
        for server in parts.netloc.split(","):
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise KafkaError(f"--to: expected kafka://HOST:PORT, got {uri!r} (no valid port in {server!r})")
        return cls(parts.netloc)


def _client_library():
    try:
        import confluent_kafka
        import confluent_kafka.admin  # noqa: F401 - the topics
    except ImportError:
        raise KafkaError("Kafka needs the confluent-kafka client: pip install 'fraudgraph[kafka]'") from None
    return confluent_kafka


def _quiet_logger() -> logging.Logger:
    """librdkafka's own log lines would break the one-line error: they go here, and nowhere unless configured."""
    logger = logging.getLogger("fraudgraph.kafka")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
    return logger


class KafkaSink:
    """Produce envelope rows to Kafka topics.

    Parameters
    ----------
    target : KafkaTarget
    prefix : str
        Topic name prefix (``fraudgraph.`` gives ``fraudgraph.transactions``).
    per : {"family", "type"}
        One topic per event family or per event type.
    partitions, replication : int
        Partitions and replication factor of a topic this sink creates (an existing topic is used as it is).
    timeout : float
        Seconds to wait for the broker when connecting and when flushing.
    """

    def __init__(self, target: KafkaTarget, prefix: str = "fraudgraph.", per: str = "family", partitions: int = 6,
                 replication: int = 1, timeout: float = 10.0):
        if per not in TOPIC_MODES:
            raise KafkaError(f"--topic-per: expected one of {', '.join(TOPIC_MODES)}, got {per!r}")
        if not 1 <= partitions <= 10_000:
            raise KafkaError(f"--partitions: expected 1 to 10000, got {partitions!r}")
        if not 1 <= replication <= 100:
            raise KafkaError(f"--replication: expected 1 to 100, got {replication!r}")
        kafka = _client_library()
        self.kafka, self.target, self.prefix, self.per = kafka, target, prefix, per
        self.partitions, self.replication, self.timeout = partitions, replication, timeout
        common = {"bootstrap.servers": target.bootstrap, "logger": _quiet_logger(), "client.id": "fraudgraph"}
        self.admin = kafka.admin.AdminClient(dict(common))
        self.producer = kafka.Producer({**common, "enable.idempotence": True, "acks": "all", "linger.ms": 20,
                                        "compression.type": "lz4", "message.timeout.ms": int(timeout * 3000)})
        self.sent = 0          # messages the broker acknowledged
        self.queued = 0        # messages handed to the producer
        self.failure: str | None = None
        self.topics: set[str] = set()
        # transactions still open at the end of the last window: correlation id and key
        self._open_corr, self._open_key = pa.array([], pa.string()), pa.array([], pa.string())

    # -- connecting and topics ---------------------------------------------------------------
    def check(self) -> None:
        """Reach the broker, or raise :class:`KafkaError` naming it."""
        try:
            self.admin.list_topics(timeout=self.timeout)
        except self.kafka.KafkaException as exc:
            raise KafkaError(f"cannot reach the Kafka broker at {self.target.bootstrap}: {_reason(exc)}") from None

    def _topic(self, event_type: str) -> str:
        from fraudgraph import schema

        return self.prefix + (schema.EVENT_TYPES[event_type].family if self.per == "family" else event_type)

    def ensure_topics(self, names) -> None:
        """Create the topics that do not exist yet (``partitions`` each)."""
        wanted = sorted({n for n in names if n not in self.topics})
        if not wanted:
            return
        try:
            existing = set(self.admin.list_topics(timeout=self.timeout).topics)
        except self.kafka.KafkaException as exc:
            raise KafkaError(f"lost the Kafka broker at {self.target.bootstrap}: {_reason(exc)}") from None
        missing = [n for n in wanted if n not in existing]
        if missing:
            futures = self.admin.create_topics([self.kafka.admin.NewTopic(n, num_partitions=self.partitions,
                                                                         replication_factor=self.replication)
                                                 for n in missing])
            for name, future in futures.items():
                try:
                    future.result(timeout=self.timeout)
                except self.kafka.KafkaException as exc:
                    if exc.args and exc.args[0].code() == self.kafka.KafkaError.TOPIC_ALREADY_EXISTS:
                        continue
                    raise KafkaError(f"Kafka broker {self.target.bootstrap} refused topic {name!r}: {_reason(exc)}") from None
        self.topics.update(wanted)

    # -- producing ------------------------------------------------------------------------
    def send(self, events: pa.Table, values: pa.Array) -> None:
        """Produce one message per event row, in row order; ``values`` are the rows' envelopes as JSON text.

        Raises
        ------
        KafkaError
            When a message was not delivered.
        """
        self.produce(self.messages(events, values))

    def messages(self, events: pa.Table, values: pa.Array) -> list[tuple]:
        """``(topic, key, value, headers)`` of each event row, in row order, its topic created if need be.

        Work per batch of rows, not per message: a window's messages are made at once and then
        produced in slices as the rate allows.
        """
        if events.num_rows == 0:
            return []
        types = events["event_type"].combine_chunks()
        kinds = pc.unique(types)
        kind_of = pc.index_in(types, value_set=kinds).to_numpy(zero_copy_only=False)
        topic_of = [self._topic(t) for t in kinds.to_pylist()]
        self.ensure_topics(topic_of)
        headers = [[("event_type", t), ("event_version", v), ("source_service", s)] for t, v, s in
                   zip(kinds.to_pylist(), *(_first_of(events, types, kinds, c) for c in ("event_version", "source_service")))]
        return list(zip((topic_of[i] for i in kind_of), self.keys(events).to_pylist(), values.to_pylist(),
                        (headers[i] for i in kind_of)))

    def keys(self, events: pa.Table) -> pa.Array:
        """The key of each event row (see the module docstring)."""
        types = events["event_type"].combine_chunks()
        keys = pa.nulls(events.num_rows, pa.string())
        for family in families():
            table = family_table(events, family)
            if table.num_rows == 0:
                continue
            if family == "transactions":
                found = self._transaction_keys(table)
            elif family in FAMILY_KEYS:
                found = table[FAMILY_KEYS[family]]
                if family == "remittances":  # rates have no remittance: their currency pair keys them
                    found = pc.coalesce(found, table["currency_pair"])
            else:
                found = pa.nulls(table.num_rows, pa.string())
                for event_type in pc.unique(table["event_type"]).to_pylist():
                    mine = pc.equal(table["event_type"], event_type)
                    found = pc.if_else(mine, pc.coalesce(*(table[f] for f in KEY_FIELDS[event_type])), found)
            rows = pc.indices_nonzero(pc.is_in(types, value_set=pc.unique(table["event_type"])))
            keys = _scatter(keys, rows, pc.coalesce(_whole(found), _whole(table["event_id"])))
        return keys

    def _transaction_keys(self, table: pa.Table) -> pa.Array:
        """The paying account of each transaction's events: the ``transaction-initiated`` event's, looked up
        by correlation id in this window or among the transactions still open from earlier windows."""
        corr = _whole(table["correlation_id"])
        initiated = pc.equal(table["event_type"], "transaction-initiated")
        own = pc.coalesce(table["account_id"], table["counterparty_account_id"], table["transaction_id"])
        known_corr = pa.concat_arrays([self._open_corr, _whole(corr.filter(initiated))])
        known_key = pa.concat_arrays([self._open_key, _whole(own.filter(initiated))])
        # a return, days later, has its own correlation id and names the paying account itself
        returned = pc.if_else(pc.equal(table["event_type"], "transaction-returned"), own, pa.scalar(None, own.type))
        keys = pc.coalesce(known_key.take(pc.index_in(corr, value_set=known_corr)), _whole(returned),
                           _whole(table["transaction_id"]))
        ended = corr.filter(pc.is_in(table["event_type"], value_set=pa.array(_TERMINAL)))
        still_open = pc.invert(pc.is_in(known_corr, value_set=ended))
        self._open_corr, self._open_key = known_corr.filter(still_open), known_key.filter(still_open)
        return keys

    def produce(self, messages) -> None:
        """Hand ``(topic, key, value, headers)`` messages to the producer, waiting while its queue is full;
        raise on a failed delivery."""
        for topic, key, value, headers in messages:
            while True:
                try:
                    self.producer.produce(topic, value=value, key=key, headers=headers, on_delivery=self._delivered)
                    break
                except BufferError:
                    self.producer.poll(0.05)
                    self._raise_failure()
                except self.kafka.KafkaException as exc:
                    raise KafkaError(f"Kafka producer for {self.target.bootstrap} refused a message for topic "
                                     f"{topic!r}: {_reason(exc)}") from None
            self.queued += 1
        self.producer.poll(0)
        self._raise_failure()

    def _delivered(self, err, msg) -> None:
        if err is not None:
            if self.failure is None:
                self.failure = f"Kafka broker {self.target.bootstrap} did not take a message for topic " \
                               f"{msg.topic()!r}: {err.str()}"
        else:
            self.sent += 1

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise KafkaError(self.failure)

    def flush(self) -> int:
        """Wait until every queued message is delivered; the number the broker acknowledged in all."""
        deadline = time.monotonic() + max(self.timeout * 3, 30.0)
        while self.producer.flush(1.0) > 0:
            self._raise_failure()
            if time.monotonic() > deadline:
                raise KafkaError(f"Kafka broker {self.target.bootstrap} did not acknowledge "
                                 f"{self.queued - self.sent:,} messages in time")
        self._raise_failure()
        return self.sent


def _first_of(events: pa.Table, types: pa.Array, kinds: pa.Array, column: str) -> list:
    """The value of ``column`` on the first row of each event type in ``kinds``."""
    first = pc.index_in(kinds, value_set=types).to_pylist()
    return [events[column][i].as_py() for i in first]


def _scatter(into: pa.Array, rows: pa.Array, values: pa.Array) -> pa.Array:
    """``into`` with ``values`` put at positions ``rows``."""
    out = into.to_numpy(zero_copy_only=False).astype(object)
    out[rows.to_numpy(zero_copy_only=False)] = values.to_numpy(zero_copy_only=False)
    return pa.array(out, pa.string())


def _whole(values):
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return values.cast(pa.string()) if pa.types.is_large_string(values.type) else values


def _reason(exc) -> str:
    err = exc.args[0] if exc.args else exc
    text = err.str() if hasattr(err, "str") else str(err)
    return " ".join(text.split())
