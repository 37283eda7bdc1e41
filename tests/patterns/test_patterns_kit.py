"""The pattern kit: one instance builder, and what it guarantees."""

import ast
from pathlib import Path

import numpy as np
import pytest
from fraudgraph.patterns.base import make_schedule
from fraudgraph.patterns.kit import KNOWS, TRANSFERS, Draft, stem

import fraudgraph

PATTERNS = Path(fraudgraph.__file__).resolve().parents[1] / "patterns"
EDGE = stem(TRANSFERS)


def _calls(path: Path, name: str) -> list[int]:
    tree = ast.parse(path.read_text())
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == name]


def test_only_the_draft_builds_instances():
    builders = {str(p.relative_to(PATTERNS)): lines for p in sorted(PATTERNS.rglob("*.py"))
                if (lines := _calls(p, "PatternInstance"))}
    assert list(builders) == ["kit/instances.py"], builders


def test_typology_modules_hold_no_toolkit_of_their_own():
    """Every typology module reads in one sitting: at most 300 lines, no function over 60."""
    for path in sorted(PATTERNS.glob("*.py")):
        if path.name in ("__init__.py", "base.py"):
            continue
        assert len(path.read_text().splitlines()) <= 300, path.name
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno - node.lineno < 60, f"{path.name}: {node.name}"


def test_members_and_edges_are_listed_once_with_their_first_role():
    draft = Draft("kiting_cycle", True, 100)
    draft.member("Person", ["P1", "P2"], "kiter")
    draft.member("Person", "P1", "collector")
    draft.edge(TRANSFERS, ["A1", "A2"], ["A2", "A1"], "cycle")
    draft.edge(TRANSFERS, "A1", "A2", "other")
    draft.edge(TRANSFERS, "A1", "A1", "loop")
    draft.edge(KNOWS, "P2", "P1", "tie")
    inst = draft.build()
    assert inst.members == [("Person", "P1", "kiter"), ("Person", "P2", "kiter")]
    assert inst.edges == [(TRANSFERS, "A1", "A2", "cycle"), (TRANSFERS, "A2", "A1", "cycle"), (KNOWS, "P1", "P2", "tie")]
    assert (inst.start, inst.end) == (100, 101)


def test_the_window_covers_activity_and_a_row_that_stops_it_begins_after():
    draft = Draft("bust_out", True)
    draft.schedule([500, 300], "transfer", EDGE, "A1", "A2", [10.0, 20.0])
    draft.schedule_frame(make_schedule([200], "transfer", EDGE, "A3", "A1", 5.0, detail="funding"), first=True)
    draft.schedule([501], "account_dark", "", "A1", "")
    inst = draft.build()
    assert inst.schedule["time"].tolist() == [200, 500, 300, 501]
    assert inst.schedule["detail"].tolist() == ["funding", "", "", ""]
    assert (inst.start, inst.end) == (200, 501)
    assert np.isnan(inst.schedule["amount"].iloc[-1])


def test_an_undeclared_schedule_kind_is_refused():
    draft = Draft("kiting_cycle", True, 0)
    draft.schedule([1], "teleport", EDGE, "A1", "A2")
    with pytest.raises(ValueError, match="teleport"):
        draft.build()


def test_an_instance_needs_a_start_or_a_row():
    with pytest.raises(ValueError, match="needs a start"):
        Draft("kiting_cycle", True).build()


def test_truth_lists_each_member_of_an_instance_once():
    """A customer recruited twice into one merchant collusion (member overlap) is still one member."""
    import json

    truth = fraudgraph.generate("default", seed=1, persons=1500, days=90).truth.patterns
    assert (truth["typology"] == "collusion").any()
    for members, n in zip(truth["members"], truth["n_members"]):
        listed = [(label, i) for label, i, _ in json.loads(members)]
        assert len(listed) == len(set(listed)) == n


def _ties_table(rng, n_rows: int, n_persons: int):
    import pandas as pd

    people = np.array([f"per_{i:04d}" for i in range(n_persons)], dtype=object)
    src, dst = people[rng.integers(0, n_persons, n_rows)], people[rng.integers(0, n_persons, n_rows)]
    return pd.DataFrame({"src": pd.array(src, dtype="str"), "dst": pd.array(dst, dtype="str")}), people


def test_pairs_answer_as_a_set_of_src_dst_strings_before_and_after_rows_are_appended():
    import pandas as pd
    from fraudgraph.patterns.kit.view import Pairs

    rng = np.random.default_rng(5)
    table, people = _ties_table(rng, 400, 60)
    more, _ = _ties_table(rng, 30, 70)  # ids the first rows never name, too
    pairs = Pairs()
    pairs.add(table)
    pairs.add(more)
    whole = pd.concat([table, more], ignore_index=True)
    expected = set((whole["src"] + "|" + whole["dst"]).tolist())
    queries = [f"{a}|{b}" for a in people[:50] for b in people[:50]] + ["per_9999|per_0001", "nobody"]
    assert [q in pairs for q in queries] == [q in expected for q in queries]
    assert any(q in pairs for q in queries) and not all(q in pairs for q in queries)
    last = {p: i for i, p in enumerate((whole["src"] + "|" + whole["dst"]).tolist())}  # the last row of each pair
    assert {q: pairs.row_of(q) for q in queries} == {q: last.get(q) for q in queries}


def test_ties_list_started_then_received_ties_in_table_order_as_of_a_row_count():
    import pandas as pd
    from fraudgraph.patterns.kit.view import Ties

    rng = np.random.default_rng(6)
    table, people = _ties_table(rng, 300, 40)
    more, _ = _ties_table(rng, 40, 40)
    ties = Ties()
    ties.add(table)
    ties.add(more)
    whole = pd.concat([table, more], ignore_index=True)
    src, dst = whole["src"].tolist(), whole["dst"].tolist()
    for rows in (0, 150, 300, 340):
        for person in people[:25]:
            starts = [d for s, d in zip(src[:rows], dst[:rows]) if s == person]
            receives = [s for s, d in zip(src[:rows], dst[:rows]) if d == person]
            assert ties.sides(person, rows) == (starts, receives)
            assert ties.of(person, rows) == starts + receives
