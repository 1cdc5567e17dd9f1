"""The metrics the documentation names (the tables, the scrape configuration, the alert
rules) are metrics exportd serves: an alert on a misspelt name would never fire."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

from exportd.observability import metrics
from exportd.store import migrate
from exportd.store.database import Database
from tests.metrics_text import parse

ROOT = Path(__file__).parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "operations.md", ROOT / "docs" / "deploy.md"]


def test_every_documented_metric_is_served(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'metrics.sqlite3'}")
    try:
        migrate.upgrade(database)
        served = {name for name, _labels in parse(metrics.exposition(database).decode())}
    finally:
        database.dispose()
    for family in REGISTRY.collect():  # labelled metrics show no sample before their first
        served.add(family.name + ("_total" if family.type == "counter" else ""))
    named = {
        name
        for path in DOCS
        for name in re.findall(r"\bexportd_[a-z_]*[a-z]\b", path.read_text())
        if not name.startswith("exportd_test")
    }
    assert named, "the documentation names no metric"
    assert named - served == set()


def test_the_deployment_examples_are_valid_yaml() -> None:
    """The compose file, the scrape configuration and the alert rules, as printed."""
    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "deploy.md").read_text(), re.S)
    loaded = [yaml.safe_load(block) for block in blocks]
    rules = next(b for b in loaded if "groups" in b)["groups"][0]["rules"]
    assert {"ExportdExportsWaiting", "ExportdExportStuck", "ExportdServerErrors"} <= {
        rule["alert"] for rule in rules
    }
    scrape = next(b for b in loaded if "scrape_configs" in b)["scrape_configs"]
    assert {job["job_name"] for job in scrape} == {"exportd-api", "exportd-worker"}
    compose = next(b for b in loaded if "services" in b)["services"]
    assert "healthcheck" in compose["api-1"]
    assert "healthcheck" in compose["worker"]
