"""Case files: an offline HTML report of a dataset, one page per pattern instance beside its look-alike.

:func:`build_cases` reads the graph and the truth; :class:`CaseEvents` takes the
event stream batch by batch; :func:`write_report` writes ``index.html`` and
``cases/<pattern_id>.html`` into a folder. The pictures are SVG drawn here (a
seeded layout, so a case is drawn the same way every time), the pages carry
their own CSS, and nothing is fetched: the report opens offline.
"""

from __future__ import annotations

import re
from pathlib import Path

from fraudgraph.casebook.cases import Case, Member, build_cases
from fraudgraph.casebook.events import CaseEvents
from fraudgraph.casebook.pages import case_page, overview_page
from fraudgraph.queries import load_pack

__all__ = ["Case", "CaseEvents", "Member", "TITLE", "build_cases", "subtitle", "write_case", "write_report"]

#: The overview's heading.
TITLE = "fraudgraph case report"


def subtitle(scenario, seed: int) -> str:
    """The overview's line under the heading: which world this is."""
    return (f"scenario {scenario.name}, seed {seed}, {scenario.persons.count:,} persons, "
            f"{scenario.days} days from {scenario.start_date}")


def write_report(folder: Path, cases: list[Case], events: CaseEvents, counts: dict, title: str, subtitle: str,
                 scores: dict | None = None) -> list[str]:
    """Write the overview and every case file into ``folder``; the paths written, relative to it."""
    folder = Path(folder)
    (folder / "cases").mkdir(parents=True, exist_ok=True)
    _attach(cases, events)
    queries = {q.name: q for q in load_pack()}
    written = []
    for case in cases:
        rel = f"cases/{case.pattern_id}.html"
        (folder / rel).write_text(_case_html(case, cases, queries, "../index.html"), encoding="utf-8")
        written.append(rel)
    (folder / "index.html").write_text(overview_page(title, subtitle, counts, events.daily(), cases, scores),
                                       encoding="utf-8")
    return ["index.html"] + written


def write_case(path: Path, cases: list[Case], events: CaseEvents, pattern_id: str) -> None:
    """Write the one case file of ``pattern_id`` (with its look-alike beside it) to ``path``."""
    _attach(cases, events)
    case = next(c for c in cases if c.pattern_id == pattern_id)
    Path(path).write_text(_case_html(case, cases, {q.name: q for q in load_pack()}, None), encoding="utf-8")


def _attach(cases: list[Case], events: CaseEvents) -> None:
    """Give each case its events, members named by their short names rather than their ids."""
    by_case = events.by_case()
    for case in cases:
        names = {m.id: m.name for m in case.members}
        pattern = re.compile("|".join(re.escape(i) for i in sorted(names, key=len, reverse=True))) if names else None
        rename = (lambda text: pattern.sub(lambda hit: names[hit.group(0)], text)) if pattern else (lambda text: text)
        case.events = [{**e, "text": rename(e["text"]),
                        **({"src_name": names.get(str(e["src"]), str(e["src"])),
                            "dst_name": names.get(str(e["dst"]), str(e["dst"]))} if "amount" in e else {})}
                       for e in by_case.get(case.pattern_id, [])]


def _case_html(case: Case, cases: list[Case], queries: dict, home: str | None) -> str:
    by_id = {c.pattern_id: c for c in cases}
    other = by_id.get(case.look_alike if case.is_fraud else case.decoy_of)
    return case_page(case, other, queries.get(case.typology), home)
