"""`exportd export organization | resource | graph`: request an export, follow it, fetch it.

Works against exportd and any server speaking the same API (Asana's own): it uses only the
documented endpoints, plus exportd's progress extension when the server offers it. With
`--output` the file is downloaded resumably and verified before it gets its name
(`exportd.client.download`); Ctrl-C leaves a `.part` that the same command continues.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from exportd.cli.common import fail, print_json
from exportd.client.api import ApiClient, ApiError
from exportd.client.download import (
    Downloader,
    DownloadError,
    Sidecar,
    discard,
    part_path,
    publish,
    verify,
)
from exportd.client.exports import ExportRequest, Follower, Status
from exportd.client.progress import Reporter
from exportd.errors import ExportdError

DEFAULT_URL = "http://127.0.0.1:8080/api/1.0"
INTERRUPTED = 130  # 128 + SIGINT, as shells report it

app = typer.Typer(
    help="Request an export, follow it with a progress bar, and download it verified.",
    no_args_is_help=True,
)

Url = Annotated[
    str,
    typer.Option(
        envvar="EXPORTD_URL",
        help="The API base, e.g. http://127.0.0.1:8080/api/1.0 or https://app.asana.com/api/1.0.",
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        envvar=["ASANA_ACCESS_TOKEN", "EXPORTD_TOKEN"],
        help="Bearer token (env ASANA_ACCESS_TOKEN, else EXPORTD_TOKEN).",
        show_default=False,
        show_envvar=False,
    ),
]
NoWait = Annotated[
    bool, typer.Option("--no-wait", help="Print the export just requested and stop.")
]
AsJson = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON object: gid, export_gid, state, file, bytes, lines, sha256, seconds.",
    ),
]
Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        dir_okay=False,
        help="Download the file here, verified; an interrupted download stays as FILE.part "
        "and the same command continues it.",
        show_default=False,
    ),
]


@dataclass(frozen=True)
class Common:
    url: str
    token: str | None
    no_wait: bool
    as_json: bool
    output: Path | None


@app.command()
def organization(
    organization: Annotated[str, typer.Option(help="Gid of the organization.")],
    output: Output = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    no_wait: NoWait = False,
    as_json: AsJson = False,
) -> None:
    """Export a whole organization (its service accounts' tokens may)."""
    request = ExportRequest("organization", {"organization": organization})
    run(request, Common(url, token, no_wait, as_json, output))


@app.command()
def resource(
    workspace: Annotated[
        str | None, typer.Option(help="Gid of the workspace.", show_default=False)
    ] = None,
    resource_type: Annotated[
        str | None,
        typer.Option("--type", help="What to export: task, team or message.", show_default=False),
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            help="NAME=VALUE, repeatable: assignee.any=GID,GID or "
            "created_at.after=2024-01-01T00:00:00Z",
            show_default=False,
        ),
    ] = None,
    fields: Annotated[
        str | None,
        typer.Option(
            help="Fields to export, comma-separated: name,assignee.name", show_default=False
        ),
    ] = None,
    request_file: Annotated[
        Path | None,
        typer.Option(
            "--request",
            exists=True,
            dir_okay=False,
            help="A JSON file with the whole request: its export_request_parameters (and "
            "workspace), in place of --type, --filter and --fields.",
            show_default=False,
        ),
    ] = None,
    output: Output = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    no_wait: NoWait = False,
    as_json: AsJson = False,
) -> None:
    """Export a workspace's tasks, teams or messages, filtered and cut to fields."""
    data = resource_data(workspace, resource_type, filters or [], fields, request_file)
    run(ExportRequest("resource", data), Common(url, token, no_wait, as_json, output))


@app.command()
def graph(
    parent: Annotated[str, typer.Option(help="Gid of a goal, team, portfolio or project.")],
    output: Output = None,
    url: Url = DEFAULT_URL,
    token: Token = None,
    no_wait: NoWait = False,
    as_json: AsJson = False,
) -> None:
    """Export everything under a parent object (POST /exports/graph)."""
    run(ExportRequest("graph", {"parent": parent}), Common(url, token, no_wait, as_json, output))


def resource_data(
    workspace: str | None,
    resource_type: str | None,
    filters: list[str],
    fields: str | None,
    request_file: Path | None,
) -> dict[str, Any]:
    """The `data` of POST /exports/resource from the options; the server judges the rest."""
    if request_file is not None:
        if resource_type or filters or fields:
            fail("--request holds the whole request: leave out --type, --filter and --fields")
        try:
            given = orjson.loads(request_file.read_bytes())
        except orjson.JSONDecodeError as error:
            fail(f"{request_file}: not JSON ({error})")
        if isinstance(given, dict) and isinstance(given.get("data"), dict):
            given = given["data"]
        if isinstance(given, list):
            given = {"export_request_parameters": given}
        if not isinstance(given, dict) or "export_request_parameters" not in given:
            fail(f"{request_file}: expected an object with export_request_parameters")
        data = dict(given)
        if workspace is not None:
            data["workspace"] = workspace
        if "workspace" not in data:
            fail("give --workspace (or a workspace in the --request file)")
        return data
    if workspace is None or resource_type is None:
        fail("give --workspace and --type (task, team or message), or --request FILE.json")
    part: dict[str, Any] = {"resource_type": resource_type}
    parsed: dict[str, Any] = {}
    for given_filter in filters:
        name, equals, value = given_filter.partition("=")
        if not equals or not name:
            fail(f"--filter {given_filter!r}: expected NAME=VALUE")
        if name.endswith(".any"):
            listed = parsed.setdefault(name, [])
            listed.extend(v.strip() for v in value.split(",") if v.strip())
        else:
            parsed[name] = value
    if parsed:
        part["filters"] = parsed
    if fields:
        part["fields"] = [name.strip() for name in fields.split(",") if name.strip()]
    return {"workspace": workspace, "export_request_parameters": [part]}


def run(request: ExportRequest, options: Common) -> None:
    """Request (or resume) the export, wait, download and verify; errors are one line."""
    if not options.token:
        fail("no token: give --token, or set ASANA_ACCESS_TOKEN or EXPORTD_TOKEN")
    started = time.monotonic()
    with Reporter() as reporter:
        api = ApiClient(options.url, options.token, on_wait=_waits(reporter))
        try:
            result = _export(request, options, api, reporter)
        except KeyboardInterrupt:
            reporter.stop()
            where = options.output and part_path(options.output)
            resume = f"; {where} is kept: run the same command again to continue" if where else ""
            typer.secho(f"interrupted{resume}", err=True, fg=typer.colors.YELLOW)
            raise typer.Exit(INTERRUPTED) from None
        except ExportdError as error:
            reporter.stop()
            fail(error.message)
        finally:
            api.close()
    result["seconds"] = round(time.monotonic() - started, 3)
    if options.as_json:
        print_json(result)
    else:
        typer.echo(_summary(request, result))


def _export(
    request: ExportRequest, options: Common, api: ApiClient, reporter: Reporter
) -> dict[str, Any]:
    follower = Follower(api, request)
    output = options.output
    sidecar = Sidecar.load(output) if output is not None else None
    if sidecar is not None and output is not None:
        if not sidecar.matches(api.base_url, request.kind, request.data):
            raise DownloadError(
                f"{part_path(output)} belongs to another export (gid {sidecar.gid}); "
                "remove it and its .part.json, or choose another --output"
            )
        reporter.note(f"continuing export {sidecar.gid}")
        status = follower.get(sidecar.gid)
    else:
        status = follower.create()
        reporter.note(f"requested {request.kind} export {status.gid}")
        if output is not None:
            sidecar = Sidecar(api.base_url, request.kind, request.data, status.gid)
            sidecar.save(output)
    if options.no_wait:
        return _result(status)
    status = follower.wait(status, lambda seen: _show(reporter, seen))
    if status.failed:
        raise ApiError(f"export {status.gid} ended in {status.state!r} on the server")
    if output is None or sidecar is None:
        return _result(status)
    if status.download_url is None:
        raise ApiError(f"export {status.gid} is {status.state} but has no download_url")
    gid = status.gid

    def refresh() -> str:
        fresh = follower.get(gid).download_url
        if fresh is None:
            raise DownloadError(f"export {gid} no longer offers a download (expired?)")
        return fresh

    label = f"downloading {output.name}"
    downloader = Downloader(
        output,
        sidecar,
        refresh=refresh,
        on_bytes=lambda done, total: reporter.transfer(label, done, total),
        on_wait=_waits(reporter),
    )
    downloader.run(status.download_url)
    reporter.stop()
    lines = status.objects_written if follower.progress_offered else None
    try:
        verified = verify(part_path(output), lines=lines, sha256=sidecar.sha256, size=sidecar.size)
    except DownloadError as error:
        discard(output)
        raise DownloadError(f"{output}: {error.message}; not kept") from None
    publish(output)
    return {
        **_result(status),
        "file": str(output),
        "bytes": verified.size,
        "lines": verified.lines,
        "sha256": verified.sha256,
        "checked": {"lines": lines is not None, "sha256": sidecar.sha256 is not None},
    }


def _result(status: Status) -> dict[str, Any]:
    return {
        "gid": status.gid,
        "export_gid": status.export_gid,
        "state": status.state,
        "download_url": status.download_url,
        "file": None,
        "bytes": None,
        "lines": None,
        "sha256": None,
    }


def _show(reporter: Reporter, status: Status) -> None:
    label = f"export {status.gid} {status.state}"
    if status.objects_expected:
        reporter.step(
            label, status.objects_written, max(status.objects_expected, status.objects_written or 0)
        )
    else:
        reporter.step(label, status.objects_written, None)


def _waits(reporter: Reporter) -> Any:
    def on_wait(why: str, seconds: float) -> None:
        reporter.note(f"{why}; retrying in {seconds:.1f} s" if seconds else why)

    return on_wait


def _summary(request: ExportRequest, result: dict[str, Any]) -> str:
    if result["file"] is None:
        link = f"; download_url {result['download_url']}" if result["download_url"] else ""
        return f"{request.kind} export {result['gid']}: {result['state']}{link}"
    return (
        f"{result['file']}: {result['bytes']:,} bytes, {result['lines']:,} lines, "
        f"sha256 {result['sha256']}, verified, in {result['seconds']:.1f} s"
    )
