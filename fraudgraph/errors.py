"""The exceptions fraudgraph raises on bad input.

Every message names the parameter, the value that was given and what was
expected, so that the command line can print it as a single line.
"""


class FraudGraphError(Exception):
    """Base class of every error fraudgraph raises on purpose."""


class ConfigError(FraudGraphError, ValueError):
    """A scenario or an option has a value outside its valid range."""


class UnknownNameError(ConfigError, KeyError):
    """A registry (patterns, exporters, presets) was asked for a name it does not have."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""


class OutputError(FraudGraphError, OSError):
    """An output folder is missing, not empty, or cannot be written."""


class DatasetError(FraudGraphError):
    """A written dataset cannot be read back (missing manifest, unreadable file)."""


class GraphIntegrityError(FraudGraphError):
    """A property graph breaks its schema or has dangling edge endpoints."""

    def __init__(self, problems):
        self.problems = list(problems)
        head = self.problems[0] if self.problems else "unknown problem"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"graph failed validation: {head}{more}")


class ServerError(FraudGraphError):
    """A server cannot be reached, refuses the credentials or the database, or would be overwritten."""
