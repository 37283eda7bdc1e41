"""Training data for graph neural networks: splits that cannot leak, typed arrays, loaders.

:mod:`fraudgraph.gnn.splits` cuts a dataset's span into train, validation and
test periods and decides, for every node and event, which split it belongs to
and which labels a model may see there.
"""
