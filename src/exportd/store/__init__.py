"""The database: schema, migrations and the queries the API and the engine use.

This package is the one place that writes SQL.
"""
