"""Where export files live: the storage port, its backends, signed links and retention."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from exportd.errors import ConfigurationError
from exportd.settings import Settings
from exportd.storage.base import (
    IncompleteFile,
    InvalidKey,
    Storage,
    StorageError,
    StoredFile,
    Upload,
    validate_key,
)
from exportd.storage.local import LocalStorage

__all__ = [
    "IncompleteFile",
    "InvalidKey",
    "LocalStorage",
    "Storage",
    "StorageError",
    "StoredFile",
    "Upload",
    "open_storage",
    "validate_key",
]


def open_storage(settings: Settings) -> Storage:
    """The backend named by `settings.storage_url`'s scheme (a bare path means `file://`)."""
    url = settings.storage_url
    parts = urlsplit(url)
    if parts.scheme in ("file", ""):
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise ConfigurationError(
                f"EXPORTD_STORAGE_URL {url!r}: a file URL names a local folder, "
                "like file:///var/lib/exportd/exports"
            )
        return LocalStorage(Path(url2pathname(parts.path)))
    if parts.scheme == "s3":
        return _open_s3(url, parts.netloc, parts.path, settings)
    raise ConfigurationError(
        f"EXPORTD_STORAGE_URL {url!r}: unknown scheme {parts.scheme!r} (expected file:// or s3://)"
    )


def _open_s3(url: str, bucket: str, path: str, settings: Settings) -> Storage:
    """`s3://bucket/prefix`; boto3 is imported only here, when S3 is what is asked for."""
    from exportd.storage.s3 import MAX_PRESIGN_TTL, S3Storage, s3_client

    if not bucket:
        raise ConfigurationError(f"EXPORTD_STORAGE_URL {url!r}: name a bucket, s3://bucket/prefix")
    prefix = path.strip("/")
    if prefix:
        try:
            validate_key(prefix)
        except InvalidKey:
            raise ConfigurationError(
                f"EXPORTD_STORAGE_URL {url!r}: the prefix may hold letters, digits, '.', '_', "
                "'-' and '/' between them"
            ) from None
    if settings.download_url_ttl > MAX_PRESIGN_TTL.total_seconds():
        raise ConfigurationError(
            f"EXPORTD_DOWNLOAD_URL_TTL {settings.download_url_ttl}: S3 presigned URLs last "
            "7 days (604800 s) at most"
        )
    public = settings.s3_public_url
    presigner = s3_client(settings, endpoint_url=public) if public else None
    return S3Storage(bucket, prefix, s3_client(settings), presigner=presigner)
