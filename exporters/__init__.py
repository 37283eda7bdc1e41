"""Exporters: one module per sink, resolved by name through a lazy registry.

>>> from fraudgraph.exporters import available_formats
>>> available_formats()
['csv', 'jsonl', 'parquet']
"""

from fraudgraph.exporters.base import (
    Exporter,
    available_formats,
    check_formats,
    get_exporter,
    register_exporter,
    registry,
)

__all__ = ["Exporter", "available_formats", "check_formats", "get_exporter", "register_exporter", "registry"]
