"""The problem lines of a check, and the helpers that format values in them.

Every problem is one line that starts with the file it was found in (or a
``part-*`` pattern for checks over a whole stream); a check that hits many
rows of one file gives one line that says how many.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problems:
    """Problems found so far: one line per (file, check), counting how many rows each hit."""

    found: dict[tuple[str, str], list] = field(default_factory=dict)

    def add(self, where: str, check: str, rows: int, message: str) -> None:
        entry = self.found.get((where, check))
        if entry is None:
            self.found[(where, check)] = [rows, message]
        else:
            entry[0] += rows

    def lines(self) -> list[str]:
        return [f"{where}: {message}" + (f" ({rows:,} rows in all)" if rows > 1 else "")
                for (where, _), (rows, message) in self.found.items()]


def clip(text: str, width: int = 60) -> str:
    """``text`` quoted, cut after ``width`` characters."""
    return repr(text if len(text) <= width else text[:width] + "...")


def one_line(exc: BaseException, width: int = 200) -> str:
    """An exception's message on one line, cut after ``width`` characters."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= width else text[:width] + "..."
