"""Reading a Prometheus scrape in tests: one number per series, by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Series:
    """Every sample of a text exposition (it fails on text Prometheus could not read)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(series: Series, name: str, **labels: str) -> float:
    """The sample `name{labels}`, or 0 when it is not there (a counter not yet moved)."""
    return series.get((name, frozenset(labels.items())), 0.0)


def label_values(series: Series) -> set[str]:
    return {value for _name, labels in series for _label, value in labels}
