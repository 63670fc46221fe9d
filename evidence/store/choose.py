"""Which object store a catalogue's originals live in: `EVIDENCE_STORE_URL`, else the URL `evidence
init` wrote in the catalogue's `STORE` file, else the catalogue's own `store/` folder. An
`s3://bucket/prefix` URL is a bucket of an S3-compatible server (endpoint and credentials from the
standard AWS variables); a `file://` URL or an absolute path is a local folder."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from evidence.config import ENV_STORE_URL
from evidence.core.text import printable
from evidence.errors import UsageError
from evidence.store.base import ObjectStore
from evidence.store.local import LocalStore

CACHE = "cache"
RECORDED = "STORE"  # in the catalogue folder: the store URL it was made with, when not its own folder


def store_url(catalogue_root: Path) -> str | None:
    """The store URL for this catalogue (None: its own folder); refused (exit 2) when
    `EVIDENCE_STORE_URL` names another store than the one the catalogue was made with."""
    given = (os.environ.get(ENV_STORE_URL) or "").strip() or None
    try:
        recorded = (catalogue_root / RECORDED).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        recorded = None
    except OSError as exc:
        raise UsageError(f"cannot read {catalogue_root / RECORDED}: {exc.strerror}") from exc
    if given is not None and recorded is not None and given != recorded:
        raise UsageError(
            f"this catalogue's originals are in {printable(recorded)} (its {RECORDED} file), but "
            f"{ENV_STORE_URL} says {printable(given)}: unset it or set it to the same store"
        )
    return given or recorded


def record_store(catalogue_root: Path) -> None:
    """At `evidence init`: note a store given by `EVIDENCE_STORE_URL`, so that the catalogue keeps using
    it when the variable is not set."""
    url = store_url(catalogue_root)
    if url is not None:
        (catalogue_root / RECORDED).write_text(url + "\n", encoding="utf-8")


def open_store(catalogue_root: Path) -> ObjectStore:
    """The store of the catalogue at `catalogue_root` (refused with exit 2 when the URL cannot be one)."""
    url = store_url(catalogue_root)
    if url is None:
        return LocalStore(catalogue_root / "store")
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise UsageError(
                f"{ENV_STORE_URL}={printable(url)}: an s3:// store URL names a bucket: s3://bucket/prefix"
            )
        from evidence.store.s3 import S3Store

        return S3Store(url, catalogue_root / CACHE)
    if parts.scheme == "file" or (not parts.scheme and url.startswith("/")):
        folder = Path(unquote(parts.path))
        return LocalStore(folder)
    raise UsageError(
        f"{ENV_STORE_URL}={printable(url)} is not a store this tool knows: "
        "use s3://bucket/prefix, or the absolute path of a folder"
    )
