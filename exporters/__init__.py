"""Exporters: one module per sink, resolved by name through a lazy registry.

>>> from fraudgraph.exporters import available_formats
>>> available_formats()
['csv', 'cypher', 'gnn', 'jsonl', 'neo4j-admin', 'parquet', 'report']
"""

from fraudgraph.exporters.base import (
    Capabilities,
    Exporter,
    ExporterError,
    WrittenFile,
    available_formats,
    check_formats,
    get_exporter,
    register_exporter,
    registry,
)

__all__ = ["Capabilities", "Exporter", "ExporterError", "WrittenFile", "available_formats", "check_formats", "get_exporter", "register_exporter", "registry"]
