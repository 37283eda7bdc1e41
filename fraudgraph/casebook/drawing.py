"""A case's subgraph as an SVG picture: members placed by a seeded force layout, coloured by role,
shaped by label, named underneath; relationships coloured by type, money drawn as arrows."""

from __future__ import annotations

from html import escape

import networkx as nx
import numpy as np

from fraudgraph.casebook.cases import Case

WIDTH, HEIGHT, MARGIN = 560, 420, 60
#: Role colours, taken in order of the roles' first appearance (Okabe-Ito, then Tableau: distinguishable,
#: colour-blind safe for the first eight).
PALETTE = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
           "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF")
REL_COLOURS = {"OWNS": "#555555", "USES_DEVICE": "#9467BD", "USES_IP": "#8C8CD8", "SEEN_AT": "#B5B5E8",
               "KNOWS": "#2CA02C", "WORKS_AT": "#BCBD22", "MEMBER_OF": "#17BECF", "ORGANIZES": "#0E7C86",
               "TRANSFERS_TO": "#D62728", "TRADES": "#FF7F0E", "SUPPLIES": "#8C564B", "PAYS": "#E377C2"}
MONEY = ("TRANSFERS_TO", "PAYS", "SUPPLIES", "TRADES")
#: Most members drawn with their names; a bigger case is drawn smaller and names only its hubs.
MAX_NAMES = 28


def role_colours(case: Case) -> dict[str, str]:
    """Each role of the case and its colour."""
    roles = list(dict.fromkeys(m.role for m in case.members))
    return {role: PALETTE[i % len(PALETTE)] for i, role in enumerate(roles)}


def layout(case: Case) -> dict[str, tuple[float, float]]:
    """Pixel positions of the members (a seeded spring layout, so the same case is drawn the same way)."""
    g = nx.Graph()
    g.add_nodes_from(m.id for m in case.members)
    g.add_edges_from((a, b) for a, _, b in case.links if a != b)
    if len(g) == 0:
        return {}
    if len(g) == 1:
        return {next(iter(g)): (WIDTH / 2, HEIGHT / 2)}
    spread = 1.6 if len(g) <= MAX_NAMES else 2.6  # a big case spreads further, or its centre is a blot
    pos = nx.spring_layout(g, seed=7, k=spread / np.sqrt(len(g)), iterations=300)
    xy = np.array([pos[n] for n in g])
    # pull the far leaves in and spread the core: the radius from the centre, compressed
    centre = np.median(xy, axis=0)
    radius = np.linalg.norm(xy - centre, axis=1, keepdims=True)
    xy = centre + (xy - centre) * np.power(radius, -0.4, out=np.zeros_like(radius), where=radius > 0)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.where(high - low > 1e-9, high - low, 1.0)
    scaled = (xy - low) / span
    px = MARGIN + scaled[:, 0] * (WIDTH - 2 * MARGIN)
    py = MARGIN / 1.5 + scaled[:, 1] * (HEIGHT - 2 * MARGIN)
    return {n: (round(float(x), 1), round(float(y), 1)) for n, x, y in zip(g, px, py)}


def draw(case: Case) -> str:
    """The SVG picture of ``case`` (a standalone ``<svg>`` element)."""
    pos = layout(case)
    colours = role_colours(case)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" role="img" aria-label="{escape(case.title)}" class="case-graph">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#D62728"/></marker></defs>',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>']
    for src, rel, dst in case.links:
        if src not in pos or dst not in pos or src == dst:
            continue
        (x1, y1), (x2, y2) = pos[src], pos[dst]
        money = rel in MONEY
        if money:  # stop short of the target's shape so that the arrow head shows
            length = max(np.hypot(x2 - x1, y2 - y1), 1e-9)
            x2, y2 = x2 - (x2 - x1) * 13 / length, y2 - (y2 - y1) * 13 / length
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{REL_COLOURS.get(rel, "#999")}" '
                     f'stroke-width="{2.2 if money else 1.3}" stroke-opacity="0.8"'
                     + (' marker-end="url(#arrow)"' if money else "") + f'><title>{rel}</title></line>')
    named = len(case.members) <= MAX_NAMES
    degree: dict[str, int] = {}
    for src, _, dst in case.links:
        degree[src], degree[dst] = degree.get(src, 0) + 1, degree.get(dst, 0) + 1
    hub = max(degree.values(), default=0)
    for m in case.members:
        if m.id not in pos:
            continue
        x, y = pos[m.id]
        parts.append(_shape(m.label, x, y, colours[m.role], f"{m.label} {m.id}: {m.name} ({m.role})",
                            1.0 if named else 0.7))
        # a big case names only its hubs (the table beside it names everyone; hovering names any node)
        if named or degree.get(m.id, 0) >= max(4, 0.3 * hub):
            # a hub's name goes above it, where its many lines leave room
            ty = y - 15 if degree.get(m.id, 0) >= 4 else y + 21
            parts.append(f'<text x="{x}" y="{ty}" text-anchor="middle" font-size="10.5" '
                         f'font-family="sans-serif" fill="#222" paint-order="stroke" stroke="#fff" stroke-width="3">'
                         f'{escape(_short(m.name))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def legend(case: Case) -> str:
    """HTML legend: the roles' colours, the node shapes and the relationship colours used in the picture."""
    roles = "".join(f'<li><span class="swatch" style="background:{c}"></span>{escape(r.replace("_", " "))}</li>'
                    for r, c in role_colours(case).items())
    rels = sorted({rel for _, rel, _ in case.links})
    lines = "".join(f'<li><span class="line" style="background:{REL_COLOURS.get(r, "#999")}"></span>'
                    f'{escape(r)}{" (money, arrow)" if r in MONEY else ""}</li>' for r in rels)
    shapes = ("person: circle, account: rounded square, device: square, IP: diamond, company: hexagon, "
              "circle: ring")
    return f'<ul class="legend">{roles}</ul><ul class="legend">{lines}</ul><p class="shapes">{shapes}</p>'


def _short(name: str, limit: int = 22) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _shape(label: str, x: float, y: float, colour: str, title: str, scale: float = 1.0) -> str:
    tip = f"<title>{escape(title)}</title>"
    r = lambda value: round(value * scale, 1)
    common = f'fill="{colour}" stroke="#222" stroke-width="1"'
    if label == "Person":
        return f'<circle cx="{x}" cy="{y}" r="{r(10)}" {common}>{tip}</circle>'
    if label == "Account":
        return (f'<rect x="{x - r(10):.1f}" y="{y - r(8):.1f}" width="{r(20)}" height="{r(16)}" rx="4" {common}>'
                f'{tip}</rect>')
    if label == "Device":
        return f'<rect x="{x - r(8):.1f}" y="{y - r(8):.1f}" width="{r(16)}" height="{r(16)}" {common}>{tip}</rect>'
    if label == "IP":
        d = r(11)
        return (f'<polygon points="{x},{y - d:.1f} {x + d:.1f},{y} {x},{y + d:.1f} {x - d:.1f},{y}" {common}>'
                f'{tip}</polygon>')
    if label == "Company":
        pts = " ".join(f"{x + r(11) * np.cos(a):.1f},{y + r(11) * np.sin(a):.1f}"
                       for a in np.linspace(0, 2 * np.pi, 7)[:-1])
        return f'<polygon points="{pts}" {common}>{tip}</polygon>'
    return f'<circle cx="{x}" cy="{y}" r="{r(11)}" fill="#fff" stroke="{colour}" stroke-width="5">{tip}</circle>'
