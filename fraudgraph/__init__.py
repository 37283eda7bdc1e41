"""fraudgraph: synthetic fraud networks.

A typed property graph of a legitimate world (persons, devices, IPs,
accounts, companies, savings circles) that pattern injectors rewrite and
from which event streams are derived, exported to files and databases.

>>> import fraudgraph
>>> ds = fraudgraph.generate("demo", seed=1, persons=150)
>>> sorted(ds.graph.nodes)
['Account', 'Circle', 'Company', 'Device', 'IP', 'Person']
"""

from fraudgraph._version import __version__
from fraudgraph.config import Scenario, preset_names
from fraudgraph.dataset import Dataset
from fraudgraph.errors import FraudGraphError
from fraudgraph.graph import PropertyGraph
from fraudgraph.loading import read_dataset
from fraudgraph.pipeline import generate
from fraudgraph.writing import Manifest

__all__ = ["Dataset", "FraudGraphError", "Manifest", "PropertyGraph", "Scenario", "__version__", "generate",
           "preset_names", "read_dataset"]
