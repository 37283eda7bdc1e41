"""``report/``: the offline HTML case report (:mod:`fraudgraph.casebook`): an overview and one case file per
pattern instance, each beside its legitimate look-alike.

The graph and the truth give the cases; the event windows, as simulated, give
each instance's timeline and money and the events per day. Written when the
streams end, so the pages see every event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fraudgraph.exporters.base import Capabilities, Exporter, WrittenFile

from fraudgraph.casebook import TITLE, CaseEvents, build_cases, subtitle, write_report

FOLDER = "report"


class ReportExporter(Exporter):
    """The HTML case report (``--format report``)."""

    name = "report"
    extension = "html"
    capabilities = Capabilities(folder=FOLDER, windows=True)

    def write(self, dataset, out: Path, **options: Any) -> list[WrittenFile]:
        self._pending = (dataset, Path(out), options.get("scores"))
        return []

    def open_windows(self, root: Path, **options: Any) -> ReportWindows:
        dataset, _, scores = self._pending
        return ReportWindows(dataset, Path(root), scores)


class ReportWindows:
    """Collects each instance's events window by window; renders the pages at :meth:`close`."""

    def __init__(self, dataset, root: Path, scores: dict | None):
        self.dataset, self.root, self.scores = dataset, root, scores
        self.events = CaseEvents()

    def write(self, events, truth, features) -> None:
        self.events.add(events, truth)

    def close(self) -> list[WrittenFile]:
        ds = self.dataset
        written = write_report(self.root / FOLDER, build_cases(ds.graph, ds.truth), self.events, ds.graph.counts(),
                               TITLE, subtitle(ds.scenario, ds.seed), self.scores)
        return [WrittenFile.of(self.root, f"{FOLDER}/{rel}", "report", Path(rel).stem, None) for rel in written]
