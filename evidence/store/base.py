"""What every object store promises, whatever holds the bytes (a local folder, an S3 bucket).

An object is named by the SHA-256 of its bytes, computed while they stream in; it is written once and
never overwritten (an object already under that name means the content is already held); a reader
can re-hash it by streaming it back. Two areas: `objects` (the preserved originals) and `derived`
(what the tool made: thumbnails, sheets). `docs/architecture.md` and the README state each backend's
guarantees.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from evidence.store.files import ProgressFn

OBJECTS = "objects"
DERIVED = "derived"
AREAS = (OBJECTS, DERIVED)


@dataclass(frozen=True, slots=True)
class Stored:
    sha256: str
    size: int
    existed: bool  # the store already held these bytes
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class ObjectFile:
    """One object found by listing the store: `name` is where it is, relative to the store ("objects/
    ab/cd/<sha256>"), `sha256` the last part of that name (what it claims to be)."""

    sha256: str
    name: str
    area: str
    regular: bool  # a plain object (on disk: a regular file, not a link)


def object_name(sha256: str, area: str = OBJECTS) -> str:
    """Where an object of that content lives, relative to the store: the same layout on every backend."""
    return f"{area}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


@dataclass(frozen=True, slots=True)
class ObjectState:
    """What the store says of one object without reading it."""

    size: int
    regular: bool  # a plain object (on disk: a regular file, not a link)
    mode: int  # permission bits (on disk); 0o444 where the backend cannot write over an object


@dataclass(frozen=True, slots=True)
class Leftover:
    """An unfinished write: a temp file (local) or an incomplete multipart upload (S3)."""

    name: str  # "tmp/in-x1y2" or "uploads/<key>#<upload id>"
    size: int
    thumbnail: bool  # a write of a derived file (else a copy of an original)
    regular: bool


class ObjectStore(Protocol):
    shared: bool  # other machines may write to it at any moment, and no lock keeps them out

    @property
    def where(self) -> str:
        """The store as a person names it: a folder, or s3://bucket/prefix."""
        ...

    def create(self) -> None: ...

    def has(self, sha256: str, area: str = OBJECTS) -> bool: ...

    def put_file(
        self, source: Path, *, progress: ProgressFn | None = None, identity: tuple[int, int] | None = None
    ) -> Stored: ...

    def put_bytes(self, data: bytes, area: str = DERIVED) -> str: ...

    def read_bytes(self, sha256: str, area: str = OBJECTS) -> bytes:
        """A small object whole (a thumbnail, a metadata file). FileNotFoundError when absent."""
        ...

    def open(self, sha256: str, area: str = OBJECTS) -> BinaryIO:
        """A stream of the object's bytes, to read once from the start. FileNotFoundError when absent."""
        ...

    def local_file(self, sha256: str, area: str = OBJECTS) -> Path:
        """A local file holding the object's bytes, for a decoder (the object itself on disk; for a
        remote store, a copy checked against its name and kept in the catalogue's `cache/`, which
        may be emptied at any time). An IntegrityFailure (exit 5) when there is no such object."""
        ...

    def location(self, sha256: str, area: str = OBJECTS) -> str:
        """Where the object is, as a person names it: a path, or s3://bucket/key."""
        ...

    def hash_object(self, sha256: str, *, area: str = OBJECTS, progress: ProgressFn | None = None) -> str:
        """The SHA-256 of the object's bytes, streamed back. FileNotFoundError when absent."""
        ...

    def fixity(self, sha256: str) -> str | None:
        """None when an original's bytes still hash to its name, else what is wrong."""
        ...

    def state(self, sha256: str, area: str = OBJECTS) -> ObjectState | None:
        """The object's size and kind, None when there is no object of that name."""
        ...

    def iter_objects(self, area: str = OBJECTS, *, settled: bool = False) -> Iterator[ObjectFile]:
        """Every object in the area by name; `settled`: only those no writer may still be about to
        catalogue (on a shared bucket, older than its grace period)."""
        ...

    # -- the writers' lock ---------------------------------------------------------------------------

    def exclusive(self) -> AbstractContextManager[None]:
        """No other writer works on the store while this is held (`fsck`); refuses when one does."""
        ...

    def others_writing(self) -> bool: ...

    # -- what `evidence fsck` finds and repairs --------------------------------------------------------

    def leftovers(self) -> list[Leftover]: ...

    def remove_leftover(self, leftover: Leftover) -> str | None:
        """Remove an unfinished write; returns the SHA-256 of what it held when that can be read."""
        ...

    def orphan_names(self) -> list[str]:
        """The names (relative to the store) of objects kept aside by `quarantine`."""
        ...

    def orphan_holds(self, sha256: str) -> bool:
        """Whether the orphans hold an object of that name whose bytes hash to it."""
        ...

    def quarantine(self, found: ObjectFile) -> str:
        """Move a published object nothing catalogues to the orphans (kept, never deleted, never over
        another orphan). Returns where it now is, relative to the store."""
        ...

    def restore(self, sha256: str) -> None:
        """Put a verified orphan back under its content address (the catalogue records it)."""
        ...

    def make_read_only(self, sha256: str, area: str = OBJECTS) -> None: ...
