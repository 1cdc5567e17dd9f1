"""Draw time and peak memory against size from `bench/exports.py`'s saved results.

    python bench/plot.py                      # writes docs/benchmarks-exports.png

Needs the `bench` extra (matplotlib).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent
RESULTS = HERE / ".cache" / "exports.json"
OUTPUT = HERE.parent / "docs" / "benchmarks-exports.png"
SERIES = ("default", "sharded", "floor-default", "narrow", "organization")


def main() -> None:
    results = sorted(json.loads(RESULTS.read_text()).values(), key=lambda r: r["tasks"])
    figure, (times, memory) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=100)
    for name in SERIES:
        shown = [r for r in results if name in r]
        sizes = [r["tasks"] / 1000 for r in shown]
        times.plot(sizes, [r[name]["seconds"] for r in shown], marker="o", label=name)
        memory.plot(sizes, [r[name]["peak_rss"] / 2**20 for r in shown], marker="o", label=name)
    times.set(xlabel="tasks (thousands)", ylabel="wall time, median (s)", title="Time")
    memory.set(xlabel="tasks (thousands)", ylabel="peak RSS (MiB)", title="Peak memory")
    memory.set_ylim(bottom=0)
    times.set_ylim(bottom=0)
    times.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(OUTPUT)
    print(OUTPUT)


if __name__ == "__main__":
    main()
