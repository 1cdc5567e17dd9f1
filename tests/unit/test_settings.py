"""Configuration from EXPORTD_* variables and flags, with derived defaults."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from exportd.settings import Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOME", "DATABASE_URL", "STORAGE_URL", "PUBLIC_URL", "SECRET_KEY", "PORT"):
        monkeypatch.delenv(f"EXPORTD_{name}", raising=False)


def test_defaults_live_in_the_home(tmp_path: Path) -> None:
    settings = Settings.load(home=tmp_path / "data")
    home = (tmp_path / "data").resolve()
    assert settings.database_url == f"sqlite:///{home / 'exportd.sqlite3'}"
    assert settings.storage_url == (home / "exports").as_uri()
    assert settings.public_url == "http://127.0.0.1:8080"


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = Settings.load(home=tmp_path).secret_key.get_secret_value()
    second = Settings.load(home=tmp_path).secret_key.get_secret_value()
    assert first == second
    assert len(first) >= 48
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert first not in repr(Settings.load(home=tmp_path))


def test_environment_variables_configure_and_flags_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORTD_HOME", str(tmp_path))
    monkeypatch.setenv("EXPORTD_DATABASE_URL", "postgresql://u@db.internal/exportd")
    monkeypatch.setenv("EXPORTD_PORT", "9000")
    settings = Settings.load(port=9100)
    assert settings.home == tmp_path.resolve()
    assert settings.database_url == "postgresql+psycopg://u@db.internal/exportd"
    assert settings.port == 9100
    assert settings.public_url == "http://127.0.0.1:9100"


@pytest.mark.parametrize(
    ("name", "value"), [("EXPORTD_PORT", "eighty"), ("EXPORTD_NODE_ID", "5000")]
)
def test_bad_values_are_refused_with_their_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("EXPORTD_").lower()):
        Settings.load(home=tmp_path)


def test_unknown_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="colour"):
        Settings.load(home=tmp_path, colour="blue")
