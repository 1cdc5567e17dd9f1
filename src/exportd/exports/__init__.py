"""The export engine: reads an organization's rows in pages and writes them in API shapes."""
