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
        raise ConfigurationError(
            f"EXPORTD_STORAGE_URL {url!r}: S3 storage is not supported yet; "
            "use a file:// URL (a local folder)"
        )
    raise ConfigurationError(
        f"EXPORTD_STORAGE_URL {url!r}: unknown scheme {parts.scheme!r} (expected file://)"
    )
