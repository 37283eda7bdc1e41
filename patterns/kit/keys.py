"""Edge types the typologies touch, by schema key, and the account types they use."""

from __future__ import annotations

from fraudgraph import schema

USES_DEVICE = ("Person", "USES_DEVICE", "Device")
USES_IP = ("Person", "USES_IP", "IP")
SEEN_AT = ("Device", "SEEN_AT", "IP")
OWNS = ("Person", "OWNS", "Account")
KNOWS = ("Person", "KNOWS", "Person")
PAYS = ("Account", "PAYS", "Company")
WORKS_AT = ("Person", "WORKS_AT", "Company")
TRANSFERS = ("Account", "TRANSFERS_TO", "Account")
C_OWNS = ("Company", "OWNS", "Account")
#: USES_IP context for each IP kind (the inverse of the population's KIND_OF_CONTEXT).
CONTEXT = {"residential": "home", "mobile": "mobile", "corporate": "work", "public_wifi": "public",
           "vpn": "vpn", "hosting": "hosting"}
SPENDING = ("checking", "credit_card", "wallet")
EVERYDAY = ("checking", "wallet", "savings")
#: The TRANSFERS_TO and PAYS edge types by file stem, as schedules name them.
TRANSFERS_STEM = schema.stem(*TRANSFERS)
PAYS_STEM = schema.stem(*PAYS)
EdgeKey = tuple[str, str, str]


def stem(key) -> str:
    """File stem of an edge type (the schedule's ``edge_type``)."""
    return schema.edge_type(key).file_stem


def knows_pair(a: str, b: str) -> tuple[str, str]:
    """KNOWS is stored once per pair, smaller id first; truth must name it the same way."""
    return (a, b) if str(a) < str(b) else (b, a)
