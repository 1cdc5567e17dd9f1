"""exportd: a bulk-export service for work-management data that speaks the Asana Exports API."""

__version__ = "0.1.0"
