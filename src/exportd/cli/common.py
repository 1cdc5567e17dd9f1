"""What every command shares: settings from the environment plus flags, and error output."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

import orjson
import typer
from pydantic import ValidationError

from exportd import compose
from exportd.errors import ExportdError, clip
from exportd.observability import logs
from exportd.runtime import Runtime
from exportd.settings import Settings


@dataclass(frozen=True)
class Overrides:
    """Flags given before the command (`exportd --home DIR seed …`)."""

    home: Path | None = None
    database_url: str | None = None


def load_settings(ctx: typer.Context, *, service: bool = False, **more: Any) -> Settings:
    """The settings, and logging set up by them: a service (`serve`, `worker`) logs at
    EXPORTD_LOG_LEVEL, a one-shot command only its warnings and errors."""
    overrides: Overrides = ctx.find_root().obj or Overrides()
    try:
        settings = Settings.load(**asdict(overrides), **more)
    except ValidationError as error:
        fail(describe_settings_error(error))
    except (ExportdError, ValueError) as error:
        fail(str(error))
    floor = logging.NOTSET if service else logging.WARNING
    logs.configure(settings.log_format, settings.log_level, floor=floor)
    return settings


def describe_settings_error(error: ValidationError) -> str:
    """Pydantic's report in one line: the setting, the value given, what is wrong."""
    problem = error.errors(include_url=False)[0]
    name = f"EXPORTD_{'_'.join(str(part) for part in problem['loc']).upper()}"
    given = problem.get("input")
    if isinstance(given, str | int | float | bool) and "secret" not in name.lower():
        name = f"{name}={clip(str(given))!r}"
    more = len(error.errors()) - 1
    others = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
    return f"{name}: {problem['msg']}{others}"


@contextmanager
def open_runtime(ctx: typer.Context, *, migrate: bool = True, **more: Any) -> Iterator[Runtime]:
    """The runtime of a command, migrated to the newest schema unless told otherwise."""
    runtime = compose.open_runtime(load_settings(ctx, **more))
    try:
        if migrate:
            runtime.migrate()
        yield runtime
    except ExportdError as error:
        fail(error.message)
    finally:
        runtime.close()


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode())
