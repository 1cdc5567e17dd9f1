"""The version an operator pins: `exportd --version`, from the installed package's metadata."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def test_version_flag_prints_the_installed_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "exportd", "--version"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout == f"exportd {version('exportd')}\n"
    assert result.stderr == ""
