"""Write the golden files of `tests/oracle/cases.py` with the engine as it is now.

    python -m tests.oracle.make

Each case's file is gzip with no name and no time in its header, so the same bytes give
the same file; `manifest.json` keeps each file's sha256 and line count of the uncompressed
bytes.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

from exportd import compose
from exportd.datagen.seed import seed_organization
from exportd.settings import Settings
from tests.oracle.cases import GOLDEN, SPECS, exports, golden_path, sha256


def main() -> None:
    manifest: dict[str, dict[str, object]] = {}
    for spec in SPECS:
        with tempfile.TemporaryDirectory() as home:
            settings = Settings.load(
                home=Path(home), database_url=f"sqlite:///{home}/oracle.sqlite3"
            )
            runtime = compose.open_runtime(settings)
            runtime.migrate()
            try:
                seeded = seed_organization(runtime.database, spec)
                for case, run in exports(runtime, seeded).items():
                    data = run()
                    lines = data.count(b"\n")
                    path = golden_path(spec, case)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
                    manifest[f"seed{spec.seed}/{case}"] = {
                        "sha256": sha256(data),
                        "lines": lines,
                    }
                    print(f"seed {spec.seed} {case}: {lines} lines, {len(data):,} B")
            finally:
                runtime.close()
    (GOLDEN / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
