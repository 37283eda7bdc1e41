"""The investigation pack: Cypher files shipped in this folder, each with a header that documents it.

A header is the file's leading ``//`` comment lines::

    // name: money_mule
    // typology: money_mule            (or "general")
    // looks for: ...                  (continuation lines are indented)
    // a hit means: ...
    // returns: id, label, score, evidence
    // param: window_hours = 48        what the parameter means

Parameters are JSON values; the query reads them as ``$name``. Detectors return
one row per flagged node (``id``, ``label``, ``score``: higher is more suspicious,
``evidence``: one readable line); tools (a k-hop expansion, the flow between two
accounts) take a node id as a parameter without a default and are not scored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources

from fraudgraph.errors import ConfigError

_FIELD = re.compile(r"^//\s*([a-z][a-z ]*):\s*(.*)$")
_PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)(?:\s{2,}(.*))?$")
_NO_DEFAULT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\s{2,}(.*))?$")
#: The columns every detector returns.
COLUMNS = ("id", "label", "score", "evidence")


@dataclass(frozen=True)
class Parameter:
    """A query parameter: its name, default (``None``: the caller must give it) and meaning."""

    name: str
    default: object
    description: str = ""


@dataclass(frozen=True)
class Query:
    """One file of the pack."""

    name: str
    typology: str
    looks_for: str
    hit_means: str
    returns: str
    parameters: tuple[Parameter, ...]
    text: str
    file: str = field(default="", compare=False)

    @property
    def scored(self) -> bool:
        """Whether it is a detector (every parameter has a default) rather than a tool around a given node."""
        return all(p.default is not None for p in self.parameters)

    def arguments(self, overrides: dict | None = None) -> dict:
        """The parameter values to send: defaults, then ``overrides`` (unknown names refused)."""
        known = {p.name: p.default for p in self.parameters}
        for key in overrides or {}:
            if key not in known:
                raise ConfigError(f"The query {self.name!r} has no parameter {key!r}; it takes "
                                  f"{', '.join(sorted(known)) or 'none'}")
        values = {**known, **(overrides or {})}
        missing = [k for k, v in values.items() if v is None]
        if missing:
            raise ConfigError(f"The query {self.name!r} needs a value for {', '.join(missing)}")
        return values


def parse(text: str, file: str = "") -> Query:
    """A :class:`Query` from a file's text (``file`` names it in errors)."""
    fields: dict[str, str] = {}
    params: list[Parameter] = []
    last = None
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        match = _FIELD.match(line)
        if match and not line.startswith("//  "):
            key, value = match.group(1), match.group(2).strip()
            if key == "param":
                params.append(_parameter(value, file))
                last = None
            else:
                fields[key] = value
                last = key
        elif last is not None:
            fields[last] += " " + line[2:].strip()
    for key in ("name", "typology", "looks for", "a hit means", "returns"):
        if not fields.get(key):
            raise ConfigError(f"The query file {file!r} has no '// {key}:' line in its header")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("//")).strip()
    return Query(fields["name"], fields["typology"], fields["looks for"], fields["a hit means"], fields["returns"],
                 tuple(params), body, file)


def _parameter(text: str, file: str) -> Parameter:
    match = _PARAM.match(text)
    if match:
        try:
            default = json.loads(match.group(2))
        except ValueError as exc:
            raise ConfigError(f"The query file {file!r} gives parameter {match.group(1)!r} the default "
                              f"{match.group(2)!r}, which is not a JSON value") from exc
        return Parameter(match.group(1), default, (match.group(3) or "").strip())
    match = _NO_DEFAULT.match(text)
    if not match:
        raise ConfigError(f"The query file {file!r} has an unreadable parameter line: {text!r}")
    return Parameter(match.group(1), None, (match.group(2) or "").strip())


def load_pack() -> list[Query]:
    """Every query of the pack, detectors by typology first, then the general ones, each sorted by name."""
    folder = resources.files(__package__)
    queries = [parse(entry.read_text(encoding="utf-8"), entry.name) for entry in folder.iterdir()
               if entry.name.endswith(".cypher")]
    return sorted(queries, key=lambda q: (q.typology == "general", q.name))


def query(name: str) -> Query:
    """The pack's query called ``name``; an unknown name lists the valid ones."""
    pack = {q.name: q for q in load_pack()}
    if name not in pack:
        raise ConfigError(f"There is no query {name!r} in the pack; choose one of {', '.join(sorted(pack))}")
    return pack[name]
