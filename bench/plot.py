"""Draw time and peak memory against size from `bench/exports.py`'s saved results.

    python bench/plot.py                      # writes docs/benchmarks-exports.png

Needs the `bench` extra (matplotlib).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent
RESULTS = HERE / ".cache" / "exports.json"
OUTPUT = HERE.parent / "docs" / "benchmarks-exports.png"
SERIES = ("default", "sharded", "narrow", "organization")


def main() -> None:
    """The newest columnar result of each backend, export and size."""
    newest: dict[tuple[str, str, int], dict[str, Any]] = {}
    for result in json.loads(RESULTS.read_text()):
        if result["engine"] == "columnar":
            newest[(result["backend"], result["export"], result["tasks"])] = result
    figure, (times, memory) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=100)
    for backend in sorted({key[0] for key in newest}):
        for name in SERIES:
            shown = sorted((r for k, r in newest.items() if k[:2] == (backend, name)),
                           key=lambda r: r["tasks"])  # fmt: skip
            if not shown:
                continue
            sizes = [r["tasks"] / 1000 for r in shown]
            label = f"{name} ({backend})"
            times.plot(sizes, [r["seconds"] for r in shown], marker="o", label=label)
            memory.plot(sizes, [r["group_rss"] / 2**20 for r in shown], marker="o", label=label)
    times.set(xlabel="tasks (thousands)", ylabel="wall time, median (s)", title="Time")
    memory.set(xlabel="tasks (thousands)", ylabel="peak group RSS (MiB)", title="Peak memory")
    memory.set_ylim(bottom=0)
    times.set_ylim(bottom=0)
    times.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(OUTPUT)
    print(OUTPUT)


if __name__ == "__main__":
    main()
