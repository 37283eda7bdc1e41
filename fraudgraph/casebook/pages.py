"""The report's HTML pages: an overview and one case file per pattern instance, self-contained (inline CSS and
SVG, no script, nothing fetched), so that they open offline and in any browser."""

from __future__ import annotations

import json
from html import escape

import pandas as pd

from fraudgraph.casebook.cases import Case, display
from fraudgraph.casebook.drawing import draw, legend
from fraudgraph.queries import Query

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d1d1f;background:#f6f7f9}
header{background:#1f2937;color:#fff;padding:18px 32px}header a{color:#cfe3ff}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#cbd5e1;font-size:14px}
main{padding:20px 32px;max-width:1240px}
section{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:16px 20px;margin:0 0 18px}
h2{font-size:17px;margin:0 0 12px}h3{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;font-size:13px}th,td{padding:4px 10px;border-bottom:1px solid #eef0f2;text-align:left}
th{background:#f1f3f5;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.pair{display:flex;flex-wrap:wrap;gap:18px}.pair>figure{margin:0;flex:1 1 520px}
figure svg{width:100%;height:auto;border:1px solid #e3e6ea;border-radius:6px;background:#fff}
figcaption{font-size:13px;margin:6px 0}.fraud{color:#b42318;font-weight:600}.decoy{color:#067647;font-weight:600}
.legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:5px;vertical-align:-1px;border:1px solid #333}
.line{display:inline-block;width:18px;height:3px;margin-right:5px;vertical-align:3px}
.shapes{font-size:12px;color:#555;margin:2px 0}
pre{background:#0f172a;color:#e2e8f0;padding:12px 14px;border-radius:6px;overflow-x:auto;font-size:12.5px}
.muted{color:#667085;font-size:13px}.grid{display:flex;flex-wrap:wrap;gap:18px}
"""


def page(title: str, subtitle: str, body: str, home: str | None = None) -> str:
    """A whole page: header (with a link home), then ``body``."""
    back = f'<p><a href="{home}">&larr; overview</a></p>' if home else ""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
            f'<body><header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p>{back}</header><main>{body}</main>'
            f"</body></html>\n")


def case_page(case: Case, other: Case | None, query: Query | None, home: str) -> str:
    """The case file of ``case``, with ``other`` (its look-alike, or the fraud it resembles) beside it."""
    kind = '<span class="fraud">fraud</span>' if case.is_fraud else '<span class="decoy">legitimate look-alike</span>'
    figures = [_figure(case, "this case", None)]
    if other is not None:
        figures.append(_figure(other, "its look-alike" if case.is_fraud else "the fraud it resembles",
                               f"{other.pattern_id}.html"))
    body = [f'<section><h2>{escape(case.title)}</h2><p>{kind} &middot; {escape(case.start)} to {escape(case.end)} UTC'
            f' &middot; {len(case.members)} members &middot; pattern <code>{escape(case.pattern_id)}</code></p>'
            f'<div class="pair">{"".join(figures)}</div></section>',
            _members(case), _timeline(case), _money(case), _cypher(query, case)]
    return page(case.title[0].upper() + case.title[1:], f"case file of pattern {case.pattern_id}", "".join(body), home)


def overview_page(title: str, subtitle: str, counts: dict, daily: pd.DataFrame, cases: list[Case],
                  scores: dict | None) -> str:
    """The overview: counts, events over time, the instances by typology (linked), the query scores."""
    body = [_counts(counts), f'<section><h2>Events per day</h2>{events_chart(daily)}</section>',
            _instances(cases), _scores(scores)]
    return page(title, subtitle, "".join(body))


def events_chart(daily: pd.DataFrame, width: int = 1100, height: int = 240) -> str:
    """A stacked bar chart (SVG) of events per day and family, with a legend."""
    if daily.empty:
        return '<p class="muted">No events were written.</p>'
    families = list(daily.columns)
    colours = ["#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2", "#EDC948", "#B07AA1", "#9C755F"]
    totals = daily.sum(axis=1)
    top = float(totals.max()) or 1.0
    left, bottom, plot_w, plot_h = 56, 28, width - 70, height - 40
    bar = plot_w / len(daily)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="events per day" class="chart"><rect width="{width}" height="{height}" fill="#fff"/>']
    for frac in (0, 0.5, 1):
        y = height - bottom - frac * plot_h
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#555">'
                     f'{int(round(frac * top)):,}</text>')
    for i, (day, row) in enumerate(daily.iterrows()):
        y = height - bottom
        for j, family in enumerate(families):
            h = row[family] / top * plot_h
            if h > 0:
                parts.append(f'<rect x="{left + i * bar:.1f}" y="{y - h:.1f}" width="{max(bar - 1, 1):.1f}" '
                             f'height="{h:.1f}" fill="{colours[j % len(colours)]}"><title>{day} {family}: '
                             f'{int(row[family]):,}</title></rect>')
            y -= h
    step = max(1, len(daily) // 8)
    for i in range(0, len(daily), step):
        parts.append(f'<text x="{left + i * bar:.1f}" y="{height - 10}" font-size="11" fill="#555">'
                     f'{escape(str(daily.index[i]))}</text>')
    parts.append("</svg>")
    keys = "".join(f'<li><span class="swatch" style="background:{colours[j % len(colours)]}"></span>{escape(f)}</li>'
                   for j, f in enumerate(families))
    return "".join(parts) + f'<ul class="legend">{keys}</ul>'


def _figure(case: Case, caption: str, link: str | None) -> str:
    name = f'<a href="{link}">{escape(case.title)}</a>' if link else escape(case.title)
    return f'<figure><figcaption>{escape(caption)}: {name}</figcaption>{draw(case)}{legend(case)}</figure>'


def _members(case: Case) -> str:
    rows = "".join(f"<tr><td>{escape(m.role.replace('_', ' '))}</td><td>{m.label}</td><td>{escape(m.name)}</td>"
                   f"<td><code>{escape(m.id)}</code></td></tr>" for m in case.members)
    params = "".join(f"<tr><td>{escape(k)}</td><td>{escape(json.dumps(v) if not isinstance(v, str) else v)}</td></tr>"
                     for k, v in case.parameters.items())
    return (f'<section class="grid"><div><h3>Members</h3><table><tr><th>role</th><th>label</th><th>name</th>'
            f'<th>id</th></tr>{rows}</table></div><div><h3>Parameters</h3><table>{params}</table></div></section>')


def _timeline(case: Case, limit: int = 80) -> str:
    events = case.events
    if not events:
        return '<section><h2>Timeline</h2><p class="muted">No events of this instance in the streams written.</p></section>'
    rows = "".join(f"<tr><td>{escape(e['time'])}</td><td>{escape(e['type'])}</td><td>{escape(e['text'])}</td></tr>"
                   for e in events[:limit])
    more = f'<p class="muted">and {len(events) - limit} more events</p>' if len(events) > limit else ""
    return (f'<section><h2>Timeline</h2>{_strip(events)}<table><tr><th>time (UTC)</th><th>event</th><th>what</th></tr>'
            f"{rows}</table>{more}</section>")


def _strip(events: list[dict], width: int = 1100, height: int = 54) -> str:
    """Each event as a tick on the instance's time span, money in red."""
    times = pd.to_datetime([e["time"] for e in events])
    low, high = times.min(), times.max()
    span = max((high - low).total_seconds(), 1.0)
    ticks = "".join(
        f'<line x1="{20 + (t - low).total_seconds() / span * (width - 40):.1f}" x2="{20 + (t - low).total_seconds() / span * (width - 40):.1f}" '
        f'y1="10" y2="34" stroke="{"#D62728" if "amount" in e else "#4E79A7"}" stroke-width="2"><title>'
        f'{escape(e["time"])} {escape(e["text"])}</title></line>' for t, e in zip(times, events))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="timeline" class="strip"><rect width="{width}" height="{height}" fill="#fff"/>'
            f'<line x1="20" x2="{width - 20}" y1="34" y2="34" stroke="#999"/>{ticks}'
            f'<text x="20" y="50" font-size="11" fill="#555">{low:%Y-%m-%d %H:%M}</text>'
            f'<text x="{width - 20}" y="50" font-size="11" fill="#555" text-anchor="end">{high:%Y-%m-%d %H:%M}</text>'
            "</svg>")


def _money(case: Case, limit: int = 60) -> str:
    moves = [e for e in case.events if "amount" in e]
    if not moves:
        return ""
    rows = "".join(f"<tr><td>{escape(m['time'])}</td><td>{escape(m['src_name'])}</td>"
                   f"<td>{escape(m['dst_name'])}</td><td class=\"n\">{m['amount']:,.2f} "
                   f"{escape(m['currency'])}</td><td>{escape(m['status'])}</td></tr>" for m in moves[:limit])
    effect: dict[str, float] = {}
    for m in moves:
        if m["status"] == "completed":
            effect[str(m["src"])] = effect.get(str(m["src"]), 0.0) - m["amount"]
            effect[str(m["dst"])] = effect.get(str(m["dst"]), 0.0) + m["amount"]
    names = {m.id: m.name for m in case.members}
    balance = "".join(f"<tr><td><code>{escape(a)}</code></td><td>{escape(names.get(a, 'outside the case'))}</td>"
                      f'<td class="n">{v:+,.2f}</td></tr>' for a, v in sorted(effect.items(), key=lambda kv: kv[1]))
    total = sum(m["amount"] for m in moves if m["status"] == "completed")
    return (f'<section class="grid"><div><h2>Money that moved</h2><p class="muted">{len(moves)} movements, '
            f'{total:,.2f} completed</p><table><tr><th>time (UTC)</th><th>from</th><th>to</th><th>amount</th>'
            f'<th>status</th></tr>{rows}</table></div><div><h3>Balance effect</h3><table><tr><th>account</th>'
            f'<th>name</th><th>net</th></tr>{balance}</table></div></section>')


def _cypher(query: Query | None, case: Case) -> str:
    if query is None:
        return ""
    params = ", ".join(f"{p.name}: {json.dumps(p.default)}" for p in query.parameters)
    text = f":params {{{params}}}\n\n{query.text}"
    return (f'<section><h2>The query that finds it</h2><p class="muted">Looks for {escape(query.looks_for)} A hit means '
            f'{escape(query.hit_means)} Paste into Neo4j Browser on a database loaded with '
            f'<code>--events nodes</code>; the case\'s members are among the rows returned.</p>'
            f"<pre>{escape(text)}</pre></section>")


def _counts(counts: dict) -> str:
    tables = []
    for kind in ("nodes", "edges"):
        rows = "".join(f'<tr><td>{escape(k)}</td><td class="n">{v:,}</td></tr>' for k, v in counts.get(kind, {}).items())
        tables.append(f"<div><h3>{kind}</h3><table>{rows}</table></div>")
    return f'<section><h2>What the world holds</h2><div class="grid">{"".join(tables)}</div></section>'


def _instances(cases: list[Case]) -> str:
    rows = []
    for typology in sorted({c.typology for c in cases}):
        mine = [c for c in cases if c.typology == typology]
        link = lambda c: f'<a href="cases/{c.pattern_id}.html">{escape((c.variant or "case").replace("_", " "))}</a>'
        fraud = ", ".join(link(c) for c in mine if c.is_fraud) or "-"
        decoys = ", ".join(link(c) for c in mine if not c.is_fraud) or "-"
        members = sum(len(c.members) for c in mine if c.is_fraud)
        rows.append(f'<tr><td>{escape(display(typology))}</td><td>{fraud}</td><td>{decoys}</td>'
                    f'<td class="n">{members}</td></tr>')
    return ('<section><h2>Fraud and look-alikes by typology</h2><table><tr><th>typology</th><th>fraud cases</th>'
            f'<th>look-alikes</th><th>fraud members</th></tr>{"".join(rows)}</table></section>')


def _scores(scores: dict | None) -> str:
    if not scores:
        return ('<section><h2>Investigation queries</h2><p class="muted">No database was given: run '
                '<code>fraudgraph report queries</code> against a loaded database to score the pack.</p></section>')
    rows = "".join(
        f"<tr><td>{escape(s['query'])}</td><td class=\"n\">{s['flagged']}</td><td class=\"n\">{s['hits']}</td>"
        f"<td class=\"n\">{'-' if s['precision_at_k'] is None else format(s['precision_at_k'], '.2f')}</td>"
        f"<td class=\"n\">{_pct(s['recall'].get(s['typology']))}</td>"
        f"<td class=\"n\">{_pct(s['decoys_flagged'].get(s['typology']))}</td></tr>" for s in scores["scores"])
    return (f'<section><h2>Investigation queries</h2><p class="muted">Scored against the truth at '
            f'{escape(scores.get("database", ""))}; P@k is the share of the top {scores["k"]} flagged nodes in a '
            f'fraud instance.</p><table><tr><th>query</th><th>flagged</th><th>in fraud</th><th>P@k</th>'
            f'<th>recall (own)</th><th>look-alikes flagged</th></tr>{rows}</table></section>')


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0%}"
