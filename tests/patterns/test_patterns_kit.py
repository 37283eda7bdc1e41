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
