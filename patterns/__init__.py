"""Pattern injectors: one module per fraud typology, each rewriting a subgraph of the
legitimate world and recording its ground truth (installed as ``fraudgraph.patterns``).

Injectors may import :mod:`fraudgraph.graph`, :mod:`fraudgraph.schema`,
:mod:`fraudgraph.config` and :mod:`fraudgraph.errors`, never the timeline or
an exporter.
"""
