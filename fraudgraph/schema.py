"""Node and edge types of the fraudgraph property graph.

This module is the one place that defines them: the graph checks tables
against it, the exporters derive column types from it, and the README's
schema section is generated from it (``python -m fraudgraph.schema``).

Every node table has a string ``id`` whose prefix names the type; every edge
table has ``src`` and ``dst`` ids. Each type names the property that holds
its creation time (``time_property``), from which snapshots and splits are cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fraudgraph.vocab import devices

#: Property kinds and what they mean on disk.
DTYPES = ("string", "int", "float", "bool", "datetime", "date")


@dataclass(frozen=True)
class Property:
    """One typed column of a node or edge table.

    Parameters
    ----------
    name : str
        Column name.
    dtype : str
        One of :data:`DTYPES`. ``datetime`` is UTC with second resolution,
        ``date`` a calendar day.
    description : str
        What the value means, for the README and for users.
    values : tuple of str, optional
        The closed set of allowed values for an enumerated string column.
    nullable : bool, default False
        Whether the column may hold missing values.
    """

    name: str
    dtype: str
    description: str
    values: tuple[str, ...] = ()
    nullable: bool = False

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"Property {self.name!r}: dtype must be one of {DTYPES}, got {self.dtype!r}")


@dataclass(frozen=True)
class NodeType:
    """A node label with its id prefix and properties (``id`` excluded)."""

    label: str
    id_prefix: str
    description: str
    properties: tuple[Property, ...]
    time_property: str

    @property
    def columns(self) -> tuple[str, ...]:
        return ("id",) + tuple(p.name for p in self.properties)

    @property
    def file_stem(self) -> str:
        return self.label


@dataclass(frozen=True)
class EdgeType:
    """A typed relationship ``(src, rel, dst)`` with its properties (endpoints excluded)."""

    src: str
    rel: str
    dst: str
    description: str
    properties: tuple[Property, ...] = field(default=())
    time_property: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.src, self.rel, self.dst)

    @property
    def columns(self) -> tuple[str, ...]:
        return ("src", "dst") + tuple(p.name for p in self.properties)

    @property
    def file_stem(self) -> str:
        return f"{self.src}_{self.rel}_{self.dst}"


@dataclass(frozen=True)
class TableSpec:
    """A table that is neither a node nor an edge type (ground truth, schedules)."""

    name: str
    description: str
    properties: tuple[Property, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)

    @property
    def file_stem(self) -> str:
        return self.name


#: Columns that ``labels_on_graph`` adds to node and edge tables (for demos only).
LABEL_PROPERTIES = (
    Property("is_fraud", "bool", "Whether the element takes part in a fraud instance (ground truth)."),
    Property("fraud_type", "string", "Typology of that instance.", nullable=True),
    Property("pattern_id", "string", "Pattern instance (see truth/patterns).", nullable=True),
    Property("fraud_role", "string", "Role in that instance (collector, mule, ...).", nullable=True),
)


def with_labels(table_type):
    """A copy of a node or edge type with the :data:`LABEL_PROPERTIES` appended."""
    from dataclasses import replace

    return replace(table_type, properties=tuple(table_type.properties) + LABEL_PROPERTIES)


P = Property

SEGMENTS = ("student", "young_professional", "family", "affluent", "retiree", "gig_worker")
KYC_LEVELS = ("basic", "standard", "enhanced")
COUNTRIES = ("US", "CA", "GB")
DEVICE_TYPES = devices.DEVICE_TYPES
IP_KINDS = ("residential", "mobile", "public_wifi", "corporate", "vpn", "hosting")
ACCOUNT_TYPES = ("checking", "savings", "wallet", "credit_card", "business", "brokerage")
ACCOUNT_STATUSES = ("active", "dormant", "frozen", "closed")
CURRENCIES = ("USD", "CAD", "GBP")
FREQUENCIES = ("weekly", "biweekly", "monthly")
#: Days between contributions, in FREQUENCIES order.
PERIOD_DAYS = (7, 14, 30)
ROTATION_ORDERS = ("sequential", "random", "need_based")
CIRCLE_STATUSES = ("pending", "active", "completed", "failed")
GOODS = ("electronics", "textiles", "food", "machinery", "chemicals", "furniture", "vehicles_parts", "medical_supplies")
INDUSTRIES = (
    "retail", "grocery", "restaurants", "travel", "utilities", "telecom", "healthcare",
    "education", "entertainment", "transport", "construction", "manufacturing",
    "technology", "finance", "real_estate", "import_export", "professional_services",
)

NODE_TYPES: dict[str, NodeType] = {
    nt.label: nt
    for nt in (
        NodeType(
            "Person", "per_", "A user of the platform: a natural person with synthetic, never-real PII.",
            (
                P("name", "string", "Full name (first and last name drawn from the locale's vocabulary)."),
                P("email", "string", "E-mail address on a reserved domain (example.com/.net/.org)."),
                P("phone", "string", "Phone number in E.164 form from a fictional or reserved range."),
                P("date_of_birth", "date", "Date of birth; every person is 18 or older at creation."),
                P("address", "string", "Street address; members of a household share it."),
                P("city", "string", "City of residence."),
                P("state", "string", "State, province or region code."),
                P("country", "string", "ISO 3166-1 alpha-2 country code.", COUNTRIES),
                P("national_id", "string", "National-id-like number from a never-issued range (SSN 9xx, SIN 0xx, NINO QQ)."),
                P("segment", "string", "Customer segment.", SEGMENTS),
                P("kyc_level", "string", "Depth of identity verification done at onboarding.", KYC_LEVELS),
                P("created_at", "datetime", "When the person joined the platform."),
            ),
            "created_at",
        ),
        NodeType(
            "Device", "dev_", "A phone, tablet or browser that persons use to reach the platform.",
            (
                P("fingerprint", "string", "Stable 32-hex-digit device fingerprint."),
                P("device_type", "string", "Client kind.", DEVICE_TYPES),
                P("os", "string", "Operating system and version."),
                P("user_agent", "string", "User-agent string the client sends."),
                P("first_seen", "datetime", "First time the platform saw the device."),
                P("is_emulator", "bool", "Whether the client runs in an emulator (a few legitimate developers and testers do)."),
            ),
            "first_seen",
        ),
        NodeType(
            "IP", "ip_", "An IP address that devices connect from.",
            (
                P("address", "string", "IPv4 address from a reserved block (240.0.0.0/4, or 100.64.0.0/10 for carrier NAT)."),
                P("kind", "string", "Network kind.", IP_KINDS),
                P("asn", "int", "Autonomous system number, from the private-use range 64512-65534."),
                P("provider", "string", "Network operator (fictional)."),
                P("country", "string", "Geolocated country code.", COUNTRIES),
                P("city", "string", "Geolocated city."),
                P("lat", "float", "Geolocated latitude."),
                P("lon", "float", "Geolocated longitude."),
                P("first_seen", "datetime", "First time the platform saw the address."),
            ),
            "first_seen",
        ),
        NodeType(
            "Account", "acc_", "A financial account held at one of several institutions.",
            (
                P("account_number", "string", "Institution-scoped account number (fictional)."),
                P("institution", "string", "Bank or wallet provider holding the account."),
                P("account_type", "string", "Product.", ACCOUNT_TYPES),
                P("currency", "string", "ISO 4217 currency code.", CURRENCIES),
                P("opened_at", "datetime", "When the account was opened."),
                P("status", "string", "Status at the scenario start.", ACCOUNT_STATUSES),
                P("opening_balance", "float", "Balance at the scenario start (2 decimals; owed amount for credit cards)."),
                P("credit_limit", "float", "Credit limit (0 for accounts without credit)."),
            ),
            "opened_at",
        ),
        NodeType(
            "Company", "com_", "An employer, a merchant, or both; some are listed on an exchange.",
            (
                P("name", "string", "Company name (fictional)."),
                P("industry", "string", "Industry.", INDUSTRIES),
                P("country", "string", "Country of incorporation.", COUNTRIES),
                P("city", "string", "City of the head office."),
                P("is_listed", "bool", "Whether its shares trade on an exchange."),
                P("ticker", "string", "Exchange ticker for listed companies (fictional).", nullable=True),
                P("is_merchant", "bool", "Whether it accepts customer payments."),
                P("incorporated_at", "datetime", "When it was incorporated."),
            ),
            "incorporated_at",
        ),
        NodeType(
            "Circle", "cir_", "A sou-sou / ROSCA savings circle: members contribute each period and take turns receiving the pot.",
            (
                P("name", "string", "Display name."),
                P("contribution_amount", "float", "Amount each member contributes per period."),
                P("currency", "string", "ISO 4217 currency code.", CURRENCIES),
                P("frequency", "string", "Contribution period.", FREQUENCIES),
                P("max_members", "int", "Capacity of the circle."),
                P("start_date", "date", "Date of the first contribution."),
                P("rotation_order", "string", "How the payout order is decided.", ROTATION_ORDERS),
                P("status", "string", "Status at the scenario start.", CIRCLE_STATUSES),
                P("created_at", "datetime", "When the organizer created the circle."),
            ),
            "created_at",
        ),
    )
}

EDGE_TYPES: dict[tuple[str, str, str], EdgeType] = {
    et.key: et
    for et in (
        EdgeType(
            "Person", "OWNS", "Account", "A person holds an account, alone or jointly.",
            (
                P("role", "string", "Holder role.", ("primary", "joint")),
                P("since", "datetime", "When the person became a holder."),
            ),
            "since",
        ),
        EdgeType(
            "Company", "OWNS", "Account", "A company holds a business account.",
            (P("since", "datetime", "When the account was opened for the company."),),
            "since",
        ),
        EdgeType(
            "Person", "USES_DEVICE", "Device", "A person logs in from a device; household members share some devices.",
            (
                P("is_primary", "bool", "Whether this is the person's main device."),
                P("first_seen", "datetime", "First login of the person from the device."),
            ),
            "first_seen",
        ),
        EdgeType(
            "Person", "USES_IP", "IP", "A person connects from an IP address.",
            (
                P("context", "string", "Where the person connects from (``travel``: a hotel or roaming address at a trip's destination).",
                  ("home", "mobile", "work", "public", "vpn", "hosting", "travel")),
                P("first_seen", "datetime", "First connection of the person from the address."),
            ),
            "first_seen",
        ),
        EdgeType(
            "Device", "SEEN_AT", "IP", "A device was seen connecting from an IP address.",
            (P("first_seen", "datetime", "First time the device was seen at the address."),),
            "first_seen",
        ),
        EdgeType(
            "Person", "KNOWS", "Person", "A social tie (stored once per pair, read as undirected).",
            (
                P("kind", "string", "Nature of the tie.", ("family", "friend", "coworker")),
                P("since", "datetime", "When the tie formed (or both joined, if later)."),
            ),
            "since",
        ),
        EdgeType(
            "Person", "WORKS_AT", "Company", "Employment.",
            (
                P("role", "string", "Position.", ("employee", "officer", "director")),
                P("since", "datetime", "Start of employment."),
            ),
            "since",
        ),
        EdgeType(
            "Person", "MEMBER_OF", "Circle", "Membership of a savings circle.",
            (
                P("position", "int", "Place in the payout rotation (1 = first payout)."),
                P("joined_at", "datetime", "When the member joined."),
            ),
            "joined_at",
        ),
        EdgeType(
            "Person", "ORGANIZES", "Circle", "The organizer of a savings circle (also one of its members).",
            (P("since", "datetime", "When the circle was created."),),
            "since",
        ),
        EdgeType(
            "Account", "TRANSFERS_TO", "Account", "A standing relationship along which money moves between accounts.",
            (
                P("kind", "string", "Why money moves.", ("own_accounts", "household", "p2p", "payroll", "supplier")),
                P("typical_amount", "float", "Median amount of one transfer."),
                P("monthly_count", "float", "Expected transfers per month."),
                P("since", "datetime", "When the relationship started."),
            ),
            "since",
        ),
        EdgeType(
            "Account", "TRADES", "Company", "A brokerage account that trades a listed company's shares.",
            (
                P("monthly_count", "float", "Expected trades per month."),
                P("typical_quantity", "int", "Median number of shares per trade."),
                P("since", "datetime", "First trade."),
            ),
            "since",
        ),
        EdgeType(
            "Company", "SUPPLIES", "Company", "A supplier ships goods to a buyer and invoices it (the buyer pays through TRANSFERS_TO).",
            (
                P("goods", "string", "What is shipped.", GOODS),
                P("invoice_amount", "float", "Median invoiced amount per shipment."),
                P("goods_value", "float", "Median market value of one shipment's goods, as declared to customs."),
                P("monthly_count", "float", "Expected shipments per month."),
                P("since", "datetime", "First shipment."),
            ),
            "since",
        ),
        EdgeType(
            "Account", "PAYS", "Company", "A customer account that pays a merchant.",
            (
                P("channel", "string", "Payment rail.", ("card", "bank_transfer", "wallet")),
                P("typical_amount", "float", "Median amount of one payment."),
                P("monthly_count", "float", "Expected payments per month."),
                P("since", "datetime", "First payment."),
            ),
            "since",
        ),
    )
}


def node_type(label: str) -> NodeType:
    """Return the :class:`NodeType` called ``label``.

    Raises
    ------
    UnknownNameError
        If no node type has that label; the message lists the valid labels.
    """
    from fraudgraph.errors import UnknownNameError

    try:
        return NODE_TYPES[label]
    except KeyError:
        raise UnknownNameError(
            f"unknown node type {label!r}; expected one of: {', '.join(NODE_TYPES)}"
        ) from None


def edge_type(key: tuple[str, str, str]) -> EdgeType:
    """Return the :class:`EdgeType` for ``(src, rel, dst)``.

    Raises
    ------
    UnknownNameError
        If the triple is not in the schema; the message lists the valid ones.
    """
    from fraudgraph.errors import UnknownNameError

    try:
        return EDGE_TYPES[tuple(key)]
    except KeyError:
        valid = ", ".join(et.file_stem for et in EDGE_TYPES.values())
        raise UnknownNameError(f"unknown edge type {key!r}; expected one of: {valid}") from None


def stem(src: str, rel: str, dst: str) -> str:
    """The file stem of the edge type ``(src, rel, dst)`` (``"Account_TRANSFERS_TO_Account"``): how schedules
    and files name it. An edge type the schema does not have raises at once."""
    return edge_type((src, rel, dst)).file_stem


def markdown() -> str:
    """Render the schema as Markdown tables (the README's schema section).

    Returns
    -------
    str
        One table of properties per node type, then one per edge type.
    """
    lines = ["### Node types", ""]
    for nt in NODE_TYPES.values():
        lines += [f"#### `{nt.label}` (ids `{nt.id_prefix}…`)", "", nt.description, ""]
        lines += _property_table((P("id", "string", f"Unique id, prefix `{nt.id_prefix}`."),) + nt.properties)
    lines += ["### Edge types", ""]
    for et in EDGE_TYPES.values():
        lines += [f"#### `({et.src})-[:{et.rel}]->({et.dst})` — file `{et.file_stem}`", "", et.description, ""]
        lines += _property_table(
            (P("src", "string", f"`{et.src}` id."), P("dst", "string", f"`{et.dst}` id.")) + et.properties
        )
    return "\n".join(lines).rstrip() + "\n"


def _property_table(props) -> list[str]:
    rows = ["| property | type | description |", "|---|---|---|"]
    for p in props:
        desc = p.description
        if p.values:
            desc += " One of " + ", ".join(f"`{v}`" for v in p.values) + "."
        if p.nullable:
            desc += " May be empty."
        rows.append(f"| `{p.name}` | {p.dtype} | {desc} |")
    return rows + [""]


README_BEGIN = "<!-- schema:begin (generated by `python -m fraudgraph.schema --update README.md`) -->"
README_END = "<!-- schema:end -->"


def update_readme(path: str) -> bool:
    """Rewrite the schema section of the README at ``path``; return whether it changed."""
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8")
    head, _, rest = text.partition(README_BEGIN)
    _, _, tail = rest.partition(README_END)
    new = f"{head}{README_BEGIN}\n{markdown()}{README_END}{tail}"
    Path(path).write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # pragma: no cover
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--update":
        print("updated" if update_readme(sys.argv[2]) else "unchanged")
    else:
        print(markdown(), end="")


@dataclass(frozen=True)
class EventType:
    """An event type: its name, family (stream), emitting service and meaning."""

    name: str
    family: str
    service: str
    description: str


#: Every event type of the timeline, by name.
EVENT_TYPES: dict[str, EventType] = {
    et.name: et
    for et in (
        EventType("transaction-initiated", "transactions", "transaction-service", "A payment was submitted (amount, type, accounts, device, IP, location)."),
        EventType("transaction-completed", "transactions", "transaction-service", "A payment settled; carries the source balance afterwards."),
        EventType("transaction-failed", "transactions", "transaction-service", "A payment was refused (error code, retry eligibility)."),
        EventType("transaction-returned", "transactions", "transaction-service", "A completed ACH payment came back from the other bank 1 to 5 banking days later and was reversed (return code and reason)."),
        EventType("transaction-flagged", "transactions", "transaction-service", "The risk engine scored a payment at or above the threshold (risk score, action)."),
        EventType("login-attempt", "sessions", "user-service", "A client asked to log in (device, IP, location, auth method)."),
        EventType("login-success", "sessions", "user-service", "Authentication succeeded; a session id is issued."),
        EventType("login-failed", "sessions", "user-service", "Authentication failed (reason, consecutive failures)."),
        EventType("session-started", "sessions", "user-service", "An app session began."),
        EventType("user-action-performed", "sessions", "user-service", "One action inside a session (page_view, circle_browse, remittance_initiate, ...)."),
        EventType("session-ended", "sessions", "user-service", "A session ended (duration, action count)."),
        EventType("circle-created", "circles", "circle-service", "An organizer created a savings circle."),
        EventType("circle-member-joined", "circles", "circle-service", "A person joined a circle (rotation position)."),
        EventType("circle-contribution-received", "circles", "circle-service", "A member paid a cycle's contribution, on time or late."),
        EventType("circle-contribution-missed", "circles", "circle-service", "A member did not pay a cycle's contribution."),
        EventType("circle-payout-executed", "circles", "circle-service", "The pot of a cycle was paid to its recipient."),
        EventType("circle-member-dropped", "circles", "circle-service", "A member left or was removed."),
        EventType("circle-failed", "circles", "circle-service", "A circle ended early (defaults, too few members)."),
        EventType("circle-completed", "circles", "circle-service", "Every member received the pot once."),
        EventType("exchange-rate-updated", "remittances", "remittance-service", "Daily rate of the corridor's currency per USD."),
        EventType("remittance-initiated", "remittances", "remittance-service", "A sender submitted a remittance (recipient, amounts, rate, fee, delivery method)."),
        EventType("remittance-processing", "remittances", "remittance-service", "A processing stage passed (compliance_check, funds_captured, partner_submitted, in_transit)."),
        EventType("remittance-completed", "remittances", "remittance-service", "The recipient was paid."),
        EventType("remittance-failed", "remittances", "remittance-service", "A remittance failed (reason, refund status)."),
        EventType("account-opened", "identity", "account-service", "A person or company opened an account."),
        EventType("device-registered", "identity", "user-service", "A person used a device for the first time."),
        EventType("identity-changed", "identity", "user-service", "A person changed their e-mail or phone."),
        EventType("account-closed", "identity", "account-service", "A customer who is leaving closed an account (reason, channel); it refuses payments from then on."),
        EventType("bank-link-added", "identity", "account-service", "An external bank account was linked for transfers."),
        EventType("communication-sent", "markets", "communication-service", "A call, message or e-mail between two persons."),
        EventType("company-announcement", "markets", "market-service", "Material news of a listed company."),
        EventType("trade-executed", "markets", "market-service", "A brokerage account bought or sold shares of a listed company."),
        EventType("invoice-issued", "documents", "trade-service", "A supplier invoiced a buyer for goods (quantity, unit price, amount, due date, shipment)."),
        EventType("bill-of-lading-issued", "documents", "trade-service", "A carrier took goods on board (shipment, quantity, declared value, ports, vessel)."),
        EventType("invoice-paid", "documents", "trade-service", "A buyer paid an invoice; shares its correlation id with the payment's transaction events."),
    )
}

#: The event envelope's columns, in order: every event of every family has exactly these.
ENVELOPE = ("event_id", "event_type", "event_version", "timestamp", "source_service", "correlation_id", "payload")
#: Columns that ``labels_on_events`` appends to the envelope (for demos; truth/events always has them).
EVENT_LABELS = ("is_fraud", "fraud_type", "pattern_id")


@dataclass(frozen=True)
class ScheduleKind:
    """A kind of scripted row that injectors hand to the timeline (``truth/schedule``).

    ``family`` is the event family that consumes the rows and ``events`` the
    event types a row becomes (one of them; none for a row that only stops
    activity); ``family`` ``None`` marks a row kept as ground truth only (no
    event family renders it yet). ``on`` names where its rows sit: edge types
    (by file stem; the row's ``src`` and ``dst`` are the edge's ends) or one node
    label (an empty ``edge_type``, the node in ``src``).
    """

    name: str
    family: str | None
    on: tuple[str, ...]
    events: tuple[str, ...]
    description: str

    @property
    def on_node(self) -> bool:
        return self.on[0] in NODE_TYPES

    @property
    def stops_activity(self) -> bool:
        """A row that renders no event but stops activity from its time on (it begins after an instance's window)."""
        return self.family is not None and not self.events


#: Every schedule kind, by name: the contract between the pattern injectors and the timeline.
SCHEDULE_KINDS: dict[str, ScheduleKind] = {
    k.name: k
    for k in (
        ScheduleKind("transfer", "transactions", ("Account_TRANSFERS_TO_Account",), ("transaction-initiated",),
                     "A transfer between two accounts."),
        ScheduleKind("card_payment", "transactions", ("Account_PAYS_Company",), ("transaction-initiated",),
                     "A card payment to a merchant."),
        ScheduleKind("bill_payment", "transactions", ("Account_PAYS_Company",), ("transaction-initiated",),
                     "A bill paid to a company by bank transfer."),
        ScheduleKind("refund", "transactions", ("Account_PAYS_Company",), ("transaction-initiated",),
                     "A merchant refunds a payment (money flows back)."),
        ScheduleKind("cash_deposit", "transactions", ("Account",), ("transaction-initiated",),
                     "Cash paid in at a branch or ATM (detail: where)."),
        ScheduleKind("account_dark", "transactions", ("Account",), (),
                     "From this time on the account makes no payments at all (a busted-out card)."),
        ScheduleKind("login", "sessions", ("Person_USES_DEVICE_Device", "Device_SEEN_AT_IP"), ("login-attempt",),
                     "A login from a device (USES_DEVICE), or a device seen at an address (SEEN_AT)."),
        ScheduleKind("circle_contribution", "circles", ("Person_MEMBER_OF_Circle",),
                     ("circle-contribution-received", "circle-contribution-missed"),
                     "A member pays a cycle's contribution."),
        ScheduleKind("circle_contribution_missed", "circles", ("Person_MEMBER_OF_Circle",),
                     ("circle-contribution-missed",),
                     "A member skips a contribution."),
        ScheduleKind("circle_payout", "circles", ("Person_MEMBER_OF_Circle",), ("circle-payout-executed",),
                     "A cycle's pot is paid to a member."),
        ScheduleKind("circle_member_dropped", "circles", ("Person_MEMBER_OF_Circle",), ("circle-member-dropped",),
                     "A member leaves the circle."),
        ScheduleKind("circle_failed", "circles", ("Circle",), ("circle-failed",),
                     "The circle ends early (detail: why)."),
        ScheduleKind("circle_payout_missed", None, ("Person_MEMBER_OF_Circle",), (),
                     "A pot that was due and never paid (withheld); its absence is what the circles stream shows."),
        ScheduleKind("account_open", "identity", ("Person_OWNS_Account",), ("account-opened",),
                     "A person opens an account."),
        ScheduleKind("bank_link", "identity", ("Account_TRANSFERS_TO_Account",), ("bank-link-added",),
                     "An external account is linked."),
        ScheduleKind("identity_change", "identity", ("Person_USES_DEVICE_Device",), ("identity-changed",),
                     "A person changes their e-mail or phone from a device (detail: which)."),
        ScheduleKind("communication", "markets", ("Person_KNOWS_Person",), ("communication-sent",),
                     "A call, message or e-mail (detail: tip or social)."),
        ScheduleKind("trade", "markets", ("Account_TRADES_Company",), ("trade-executed",),
                     "A buy or sell order (quantity, amount, detail: side)."),
        ScheduleKind("company_announcement", "markets", ("Company",), ("company-announcement",),
                     "Material news of a listed company (detail: kind)."),
        ScheduleKind("shipment", "documents", ("Company_SUPPLIES_Company",), ("invoice-issued",),
                     "Goods shipped and invoiced: an invoice and a bill of lading (amount: invoiced, quantity: units, "
                     "detail: goods)."),
        ScheduleKind("invoice", "documents", ("Company_SUPPLIES_Company",), ("invoice-issued",),
                     "An invoice for a new shipment that no bill of lading covers yet (amount, quantity: units "
                     "invoiced, detail: goods)."),
        ScheduleKind("reinvoice", "documents", ("Company_SUPPLIES_Company",), ("invoice-issued",),
                     "A further invoice for the latest shipment of the same instance on the edge (amount, quantity: "
                     "units invoiced, detail: goods)."),
        ScheduleKind("bill_of_lading", "documents", ("Company_SUPPLIES_Company",), ("bill-of-lading-issued",),
                     "The bill of lading of the edge's oldest invoiced shipment of the instance that has none "
                     "(amount: declared value, quantity: units shipped, detail: goods)."),
        ScheduleKind("invoice_payment", "documents", ("Account_TRANSFERS_TO_Account",), ("invoice-paid",),
                     "The buyer pays one of the instance's unpaid invoices on the edge's companies (the one closest "
                     "in amount); the payment is a transaction."),
    )
}


def schedule_kinds(family: str) -> tuple[str, ...]:
    """The schedule kinds the event family ``family`` turns into events."""
    return tuple(name for name, kind in SCHEDULE_KINDS.items() if kind.family == family)


def check_schedule(kinds, edge_types) -> None:
    """Raise ``ValueError`` unless every (kind, edge type) pair of a schedule is declared in :data:`SCHEDULE_KINDS`."""
    for kind, edge in set(zip(kinds, edge_types)):
        declared = SCHEDULE_KINDS.get(kind)
        if declared is None:
            raise ValueError(f"schedule kind {kind!r} is not declared in schema.SCHEDULE_KINDS")
        allowed = ("",) if declared.on_node else declared.on
        if (edge or "") not in allowed:
            raise ValueError(f"schedule kind {kind!r} sits on {declared.on}, not on edge type {edge!r}")
