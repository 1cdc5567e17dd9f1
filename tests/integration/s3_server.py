"""A local S3-compatible server for tests: moto's, on a free loopback port, over real HTTP.

moto's server accepts any presigned URL — altered, expired or unsigned alike — where S3
refuses them. So the server here puts a check in front of moto that does what S3 does
with a SigV4 query-signed request: recompute the signature from the request as received
(written from AWS's SigV4 rules, not with botocore's signer, so it is a second opinion on
the URLs exportd makes) and refuse it, 403, when the signature differs or it has expired.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

import boto3
from botocore.config import Config
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

ACCESS_KEY = "exportd-test-key"
SECRET_KEY = "exportd-test-secret"
REGION = "us-east-1"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class S3Server:
    """moto's S3 behind `PresignedUrlCheck`, served from a thread; a context manager.

    `stop()` and `start()` take the server off the network and bring it back on the same
    port with its buckets and multipart uploads intact: an outage, as its clients see one.
    """

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        moto = DomainDispatcherApplication(create_backend_app)
        self.presigned = PresignedUrlCheck(moto, {ACCESS_KEY: SECRET_KEY})
        self._port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> S3Server:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Serve (again, on the same port when it served before)."""
        assert self._server is None, "already serving"
        server = make_server(
            "127.0.0.1",
            self._port,
            self.presigned,
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        self._server, self._port = server, server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the listening socket: connections are refused until `start()`."""
        if self._server is None:
            return
        self._server.shutdown()
        assert self._thread is not None
        self._thread.join(timeout=10)
        self._server.server_close()
        self._server = self._thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def client(self) -> Any:
        """A boto3 client signing with the credentials the check knows."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def environment(self) -> dict[str, str]:
        """What a process needs, in the usual AWS variables plus exportd's, to reach us."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "EXPORTD_S3_ENDPOINT_URL": self.url,
            "EXPORTD_S3_REGION": REGION,
        }


class PresignedUrlCheck:
    """WSGI middleware refusing presigned requests S3 would refuse; others pass through.

    `checked` counts the presigned requests it let through, so a test can tell a URL was
    really checked rather than waved past.
    """

    def __init__(self, app: WsgiApp, secrets: Mapping[str, str]) -> None:
        self.app = app
        self.secrets = secrets
        self.checked = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        params = parse_qsl(query, keep_blank_values=True)
        names = {name for name, _ in params}
        if "X-Amz-Signature" in names or "Signature" in names:
            path = environ.get("RAW_URI", environ.get("PATH_INFO", "/")).split("?", 1)[0]
            problem = self._problem(environ["REQUEST_METHOD"], path, params, environ)
            if problem is not None:
                return _refuse(start_response, *problem)
            self.checked += 1
        return self.app(environ, start_response)

    def _problem(
        self, method: str, path: str, params: list[tuple[str, str]], environ: dict[str, Any]
    ) -> tuple[str, str] | None:
        given = dict(params)
        if given.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            return "AccessDenied", "only SigV4 presigned URLs are accepted here"
        try:
            access_key, day, region, service, terminal = given["X-Amz-Credential"].split("/")
            signed_at = datetime.strptime(given["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            expires = int(given["X-Amz-Expires"])
            signed_headers = given["X-Amz-SignedHeaders"].split(";")
        except (KeyError, ValueError):
            return "AuthorizationQueryParametersError", "malformed presigned URL"
        secret = self.secrets.get(access_key)
        if secret is None:
            return "InvalidAccessKeyId", "unknown access key"
        headers = {"host": environ.get("HTTP_HOST", "")}
        if terminal != "aws4_request" or not set(signed_headers) <= set(headers):
            return "AuthorizationQueryParametersError", "malformed presigned URL"
        canonical = "\n".join(
            [
                method,
                path,
                "&".join(
                    f"{name}={value}"
                    for name, value in sorted(
                        (_encode(name), _encode(value))
                        for name, value in params
                        if name != "X-Amz-Signature"
                    )
                ),
                "".join(f"{name}:{headers[name].strip()}\n" for name in signed_headers),
                ";".join(signed_headers),
                "UNSIGNED-PAYLOAD",
            ]
        )
        scope = f"{day}/{region}/{service}/aws4_request"
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                given["X-Amz-Date"],
                scope,
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        key = f"AWS4{secret}".encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac.digest(key, part.encode(), "sha256")
        expected = hmac.new(key, to_sign.encode(), "sha256").hexdigest()
        if not hmac.compare_digest(expected, given.get("X-Amz-Signature", "")):
            return "SignatureDoesNotMatch", "The request signature we calculated does not match"
        if datetime.fromtimestamp(time.time(), UTC) > signed_at + timedelta(seconds=expires):
            return "AccessDenied", "Request has expired"
        return None


def _encode(text: str) -> str:
    """SigV4's URI encoding: everything but the unreserved characters, as %XX."""
    return quote(text, safe="-_.~")


def _refuse(start_response: StartResponse, code: str, message: str) -> list[bytes]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    start_response(
        "403 Forbidden",
        [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
    )
    return [body]
