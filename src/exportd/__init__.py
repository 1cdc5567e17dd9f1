"""exportd: a bulk-export service for work-management data that speaks the Asana Exports API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("exportd")
    """The installed distribution's version: pyproject.toml is its one definition."""
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
