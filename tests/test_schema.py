import pytest

from fraudgraph import schema
from fraudgraph.errors import UnknownNameError

ISSUE_NODE_TYPES = {"Person", "Device", "IP", "Account", "Company", "Circle"}
ISSUE_EDGE_TYPES = {
    ("Person", "OWNS", "Account"), ("Company", "OWNS", "Account"), ("Person", "USES_DEVICE", "Device"),
    ("Person", "USES_IP", "IP"), ("Device", "SEEN_AT", "IP"), ("Person", "KNOWS", "Person"),
    ("Person", "WORKS_AT", "Company"), ("Person", "MEMBER_OF", "Circle"), ("Person", "ORGANIZES", "Circle"),
    ("Account", "TRANSFERS_TO", "Account"), ("Account", "PAYS", "Company"),
    # added for issue 3: trades (insider trading) and invoiced supplies (trade-based laundering)
    ("Account", "TRADES", "Company"), ("Company", "SUPPLIES", "Company"),
}


def test_schema_covers_the_issue():
    assert set(schema.NODE_TYPES) == ISSUE_NODE_TYPES
    assert set(schema.EDGE_TYPES) == ISSUE_EDGE_TYPES


def test_every_type_names_an_existing_time_property():
    for nt in schema.NODE_TYPES.values():
        assert nt.time_property in nt.columns
    for et in schema.EDGE_TYPES.values():
        assert et.time_property in et.columns
        assert et.src in schema.NODE_TYPES and et.dst in schema.NODE_TYPES


def test_id_prefixes_unique():
    prefixes = [nt.id_prefix for nt in schema.NODE_TYPES.values()]
    assert len(set(prefixes)) == len(prefixes)


def test_lookup_errors_list_choices():
    with pytest.raises(UnknownNameError, match="Person"):
        schema.node_type("Human")
    with pytest.raises(UnknownNameError, match="Person_KNOWS_Person"):
        schema.edge_type(("Person", "LIKES", "Person"))


def test_markdown_lists_every_property():
    md = schema.markdown()
    for nt in schema.NODE_TYPES.values():
        for p in nt.properties:
            assert f"`{p.name}`" in md
    for et in schema.EDGE_TYPES.values():
        assert et.file_stem in md
