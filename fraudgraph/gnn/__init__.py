"""Training data for graph neural networks: splits that cannot leak, typed arrays, loaders.

:mod:`fraudgraph.gnn.splits` cuts a dataset's span into train, validation and
test periods and decides, for every node and event, which split it belongs to
and which labels a model may see there; :mod:`fraudgraph.gnn.arrays` builds the
typed arrays that ``--format gnn`` writes; :func:`load_heterodata` and
:func:`load_temporal` read them into PyTorch Geometric (``fraudgraph[gnn]``).
"""

from fraudgraph.gnn.heterodata import load_heterodata, load_temporal, metadata, node_ids

__all__ = ["load_heterodata", "load_temporal", "metadata", "node_ids"]
