"""A content-addressed object store in an S3-compatible bucket: the local store's names (objects/, derived/,
tmp/<uuid> for uploads in flight, orphans/) under `s3://bucket/prefix`.

An original streams up to a temp key while it is hashed (in parts when large: an interrupted upload
leaves an incomplete multipart upload, never an object), then the server copies it to its address.
Nothing is written over an object: a HEAD of the address first (there, same size: already held; another
size: the store was altered), then a conditional copy (`If-None-Match: *`) that fails for a writer racing
us; on a server that ignores the condition the HEAD just before is the fail-closed check. A bucket has
no writers' lock across machines: `exclusive()` holds nothing, and `evidence fsck` treats as unfinished
writes or orphans only what is older than `GRACE`. Endpoint and credentials: the AWS_* variables.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import itertools
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from evidence import faults
from evidence.errors import EnvironmentFailure, InputRefused, IntegrityFailure, UsageError
from evidence.store.base import DERIVED, OBJECTS, Leftover, ObjectFile, ObjectState, Stored, object_name
from evidence.store.cache import DownloadCache, max_bytes_from_env
from evidence.store.files import CHUNK, ProgressFn, changed_since, environment_error, open_regular, shown_path

READ_ONLY = 0o444
NO_CLIENT = "an s3:// store needs the S3 client: pip install 'evidence[team]'"
_MISSING = {"404", "NoSuchKey", "NotFound"}
_TAKEN = {"412", "PreconditionFailed", "ConditionalRequestConflict"}
_DENIED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"}


class S3Store:
    shared = True  # other machines may write to the bucket at any moment; no lock keeps them out
    GRACE = timedelta(hours=1)  # writes younger than this may be another machine's, still at work
    MULTIPART = 8 << 20  # larger uploads go up in parts of (at least) this size
    COPY_LIMIT = 5 << 30  # the most one server-side copy may copy (S3's limit); larger ones go in parts

    def __init__(self, url: str, cache: Path) -> None:
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not url.startswith("s3://") or not bucket:
            raise UsageError(f"{url}: not an S3 store; write it as s3://bucket/prefix")
        self.bucket, self.prefix, self.cache = bucket, prefix.strip("/"), cache
        self.where = f"s3://{bucket}/{self.prefix}".rstrip("/")  # the store as a person names it
        self.downloads = DownloadCache(cache, max_bytes_from_env())
        try:
            import boto3
            from boto3.exceptions import Boto3Error
            from boto3.s3.transfer import TransferConfig
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError:
            raise EnvironmentFailure(NO_CLIENT) from None
        self._errors: tuple[type[Exception], ...] = (BotoCoreError, ClientError, Boto3Error)
        self._transfer, self._bucket_checked = TransferConfig, False
        # path-style addressing (http://host/bucket/key) for S3-compatible servers such as SeaweedFS
        path_style = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        config = Config(s3={"addressing_style": "path"} if path_style else {}, connect_timeout=10)
        try:
            self.client: Any = boto3.session.Session().client("s3", config=config)
        except (*self._errors, ValueError) as exc:
            raise self._failure(exc, "connecting") from exc

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def _failure(self, exc: Exception, what: str) -> EnvironmentFailure:
        reason = " ".join(str(exc).split())
        if _code(exc) in _DENIED:
            reason = f"access denied ({reason}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        elif _code(exc) == "NoSuchBucket":
            reason = f"the bucket {self.bucket} does not exist"
        return EnvironmentFailure(f"the S3 store {self.where} failed while {what}: {reason}")

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise self._failure(exc, what) from exc

    def _call(self, what: str, operation: str, name: str, **params: Any) -> Any:
        """A request about the object `name`: FileNotFoundError (missing), FileExistsError (taken)."""
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, Key=self._key(name), **params)
        except self._errors as exc:
            code = _code(exc)
            if code in _MISSING and not self._bucket_checked:  # HEAD says 404 for a missing bucket too
                with self._guard(what):
                    self.client.head_bucket(Bucket=self.bucket)
                self._bucket_checked = True
            if code in _MISSING:
                raise FileNotFoundError(errno.ENOENT, f"no such object in {self.where}", name) from exc
            if code in _TAKEN:
                raise FileExistsError(errno.EEXIST, f"already there in {self.where}", name) from exc
            raise self._failure(exc, what) from exc

    def _size(self, name: str) -> int | None:
        try:
            return int(self._call("looking up an object", "head_object", name)["ContentLength"])
        except FileNotFoundError:
            return None

    def _open(self, name: str) -> BinaryIO:
        body = self._call("reading an object", "get_object", name)["Body"]
        return io.BufferedReader(_Body(self, body), CHUNK)

    def _hash(self, name: str, out: Callable[[bytes], Any] = len) -> str:
        hasher = hashlib.sha256()
        with self._open(name) as stream:
            while chunk := stream.read(CHUNK):
                hasher.update(chunk)
                out(chunk)
        return hasher.hexdigest()

    def _list(self, start: str, *, uploads: bool = False, settled: bool = False) -> list[dict[str, Any]]:
        """Objects (or multipart uploads) under `start` by "Name"; `settled`: only those older than GRACE."""
        cutoff, found = datetime.now(UTC) - self.GRACE, []
        operation = "list_multipart_uploads" if uploads else "list_objects_v2"
        listed, stamp = ("Uploads", "Initiated") if uploads else ("Contents", "LastModified")
        with self._guard("listing the store"):
            pages = self.client.get_paginator(operation).paginate(Bucket=self.bucket, Prefix=self._key(start))
            for item in (item for page in pages for item in page.get(listed, [])):
                if not item["Key"].endswith("/") and not (settled and item[stamp] > cutoff):
                    found.append({**item, "Name": item["Key"][len(self._key("")) :]})
        return sorted(found, key=lambda item: item["Name"])

    def _copy(self, source: str, target: str, size: int) -> None:
        """Server-side copy to a name that must be free (FileExistsError when it is not)."""
        origin = {"Bucket": self.bucket, "Key": self._key(source)}
        if size <= self.COPY_LIMIT:
            self._call("copying an object", "copy_object", target, CopySource=origin, IfNoneMatch="*")
            return
        # too large for one copy: in parts, by the client, not conditional (the HEAD just before is the check)
        if self._size(target) is not None:
            raise FileExistsError(errno.EEXIST, f"already there in {self.where}", target)
        config = self._transfer(multipart_threshold=self.COPY_LIMIT, multipart_chunksize=self.COPY_LIMIT)
        with self._guard("copying an object"):
            self.client.copy(origin, self.bucket, self._key(target), Config=config)

    def create(self) -> None:
        """Check that the bucket answers; make it when it does not exist."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except self._errors as exc:
            if _code(exc) != "NoSuchBucket":
                raise self._failure(exc, "reaching the bucket") from exc
            region = self.client.meta.region_name
            placed = {"CreateBucketConfiguration": {"LocationConstraint": region}}
            with self._guard("creating the bucket"):
                self.client.create_bucket(Bucket=self.bucket, **(placed if region != "us-east-1" else {}))

    def put_file(
        self, source: Path, *, progress: ProgressFn | None = None, identity: tuple[int, int] | None = None
    ) -> Stored:
        """Upload a regular file (the one listed, with `identity` (device, inode)) to its address."""
        fd = open_regular(source, identity=identity)
        tmp = ""
        try:
            before = os.fstat(fd)
            if before.st_size == 0:
                raise InputRefused(f"{shown_path(source)}: empty file (0 bytes), nothing to preserve")
            reader, tmp = _HashingReader(fd, progress), f"tmp/{uuid.uuid4().hex}"
            # parts of at least MULTIPART bytes, larger for huge files: S3 takes at most 10,000 parts
            part = max(self.MULTIPART, -(-before.st_size // 9000))
            config = self._transfer(multipart_threshold=part, multipart_chunksize=part, use_threads=False)
            try:
                faults.checkpoint("preflight")
                with self._guard("uploading a file"):  # read once, in order; parts aborted on failure
                    stream = io.BufferedReader(reader, CHUNK)  # read(n) gives n bytes unless at the end
                    self.client.upload_fileobj(stream, self.bucket, self._key(tmp), Config=config)
                faults.checkpoint("fsync")
            except OSError as exc:
                raise environment_error(exc, "copying into the evidence store") from exc
            if reader.copied != before.st_size or changed_since(before, os.fstat(fd)):
                changed = "the file changed while it was being copied; add it again once it is complete"
                raise InputRefused(f"{shown_path(source)}: {changed}")
            digest, size = reader.hasher.hexdigest(), reader.copied
            return Stored(digest, size, self._publish(digest, size, OBJECTS, tmp=tmp), before.st_mtime_ns)
        finally:
            os.close(fd)
            if tmp:  # a temp key that cannot be removed is left for `evidence fsck --repair`
                with contextlib.suppress(Exception):
                    self.client.delete_object(Bucket=self.bucket, Key=self._key(tmp))

    def put_bytes(self, data: bytes, area: str = DERIVED) -> str:
        """Bytes the tool made: their hash is known and one PUT is all or nothing, so no temp key."""
        digest = hashlib.sha256(data).hexdigest()
        self._publish(digest, len(data), area, data=data)
        return digest

    def _publish(self, digest: str, size: int, area: str, *, tmp: str = "", data: bytes = b"") -> bool:
        """Put the temp key (or the bytes) at its address, never over an object. True if already held."""
        target = object_name(digest, area)
        try:
            if self._held(target, digest, size):
                return True
            faults.checkpoint("publish")
            if tmp:
                self._copy(tmp, target, size)
            else:
                self._call("writing an object", "put_object", target, Body=data, IfNoneMatch="*")
            faults.checkpoint("published")
        except FileExistsError:  # another writer published it between our HEAD and our write
            if not self._held(target, digest, size):
                raise EnvironmentFailure(f"{digest} is being written to {self.where}; try again") from None
            return True
        except OSError as exc:
            raise environment_error(exc, "publishing into the evidence store") from exc
        return False

    def _held(self, name: str, digest: str, size: int) -> bool:
        held = self._size(name)
        if held is not None and held != size:
            altered = f"the stored object {digest} has {held} bytes, expected {size}: the store was altered"
            raise IntegrityFailure(f"{altered}; run `evidence verify`")
        return held is not None

    def has(self, sha256: str, area: str = OBJECTS) -> bool:
        return self._size(object_name(sha256, area)) is not None

    def state(self, sha256: str, area: str = OBJECTS) -> ObjectState | None:
        size = self._size(object_name(sha256, area))
        return None if size is None else ObjectState(size=size, regular=True, mode=READ_ONLY)

    def read_bytes(self, sha256: str, area: str = OBJECTS) -> bytes:
        return self._open(object_name(sha256, area)).read()

    def open(self, sha256: str, area: str = OBJECTS) -> BinaryIO:
        return self._open(object_name(sha256, area))

    def hash_object(self, sha256: str, *, area: str = OBJECTS, progress: ProgressFn | None = None) -> str:
        return self._hash(object_name(sha256, area), lambda chunk: progress(len(chunk)) if progress else None)

    def fixity(self, sha256: str) -> str | None:
        """Re-hash a preserved original: None when its bytes still hash to its name, else what is wrong."""
        try:
            actual = self.hash_object(sha256)
        except FileNotFoundError:
            return f"object {sha256} cannot be read: it is missing from {self.where}"
        return None if actual == sha256 else f"object {sha256} has changed: its bytes now hash to {actual}"

    def iter_objects(self, area: str = OBJECTS, *, settled: bool = False) -> Iterator[ObjectFile]:
        """Sorted by name; with `settled`, only those older than GRACE (what fsck may call orphans)."""
        for item in self._list(f"{area}/", settled=settled):
            yield ObjectFile(item["Name"].rsplit("/", 1)[-1], item["Name"], area, regular=True)

    def location(self, sha256: str, area: str = OBJECTS) -> str:
        return f"s3://{self.bucket}/{self._key(object_name(sha256, area))}"

    def local_file(self, sha256: str, area: str = OBJECTS) -> Path:
        """A copy in the catalogue's cache (`cache/<area>/<sha256>`), checked against the name, kept while
        recently used within `EVIDENCE_CACHE_MAX_BYTES` (store/cache.py: when a copy may be evicted)."""
        name = object_name(sha256, area)
        size = self._size(name)
        if size is None:
            raise IntegrityFailure(f"object {sha256} is missing from {self.where}; run `evidence verify`")
        return self.downloads.fetch(area, sha256, size, lambda write: self._hash(name, out=write))

    def exclusive(self) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def others_writing(self) -> bool:
        return False

    def leftovers(self) -> list[Leftover]:
        """Temp keys and incomplete multipart uploads older than GRACE."""
        temps = self._list("tmp/", settled=True)
        found = [Leftover(item["Name"], item["Size"], False, True) for item in temps]
        for upload in self._list("", uploads=True, settled=True):
            parts = self._call("listing an upload", "list_parts", upload["Name"], UploadId=upload["UploadId"])
            size = sum(part["Size"] for part in parts.get("Parts", []))  # the first 1,000 parts
            found.append(Leftover(f"uploads/{upload['Name']}#{upload['UploadId']}", size, False, True))
        return found

    def remove_leftover(self, leftover: Leftover) -> str | None:
        """Remove a temp key (returns the SHA-256 it held) or abort an upload. Never anything else."""
        kind, _, rest = leftover.name.partition("/")
        if kind == "uploads" and "#" in rest:
            name, _, upload = rest.rpartition("#")
            with contextlib.suppress(FileNotFoundError):
                self._call("aborting an upload", "abort_multipart_upload", name, UploadId=upload)
            return None
        if kind != "tmp" or not rest or "/" in rest:
            raise ValueError(f"{leftover.name} is not an unfinished write in the store")
        try:
            digest = self._hash(leftover.name)
        except FileNotFoundError:
            return None
        self._call("removing an unfinished upload", "delete_object", leftover.name)
        return digest

    def orphan_names(self) -> list[str]:
        return [item["Name"] for item in self._list("orphans/")]

    def orphan_holds(self, sha256: str) -> bool:
        try:
            return self._hash(f"orphans/{sha256}") == sha256
        except FileNotFoundError:
            return False

    def quarantine(self, found: ObjectFile) -> str:
        """Move a published object that nothing catalogues to orphans/ (never over another orphan)."""
        names = (f"orphans/{found.sha256}" + (f".{n}" if n else "") for n in itertools.count())
        return self._move(found.name, names)

    def restore(self, sha256: str) -> None:
        """Put a verified orphan back at its content address (never over an object there)."""
        try:
            self._move(f"orphans/{sha256}", [object_name(sha256)])
        except (FileNotFoundError, FileExistsError) as exc:
            problem = (
                "no such orphan" if isinstance(exc, FileNotFoundError) else "an object is at its address"
            )
            raise EnvironmentFailure(f"cannot restore {sha256} from the orphans: {problem}") from None

    def _move(self, source: str, targets: Iterable[str]) -> str:
        """Copy an object to the first of `targets` that is free, then remove it."""
        size = self._size(source)
        if size is None:
            raise FileNotFoundError(errno.ENOENT, f"no such object in {self.where}", source)
        for target in targets:
            with contextlib.suppress(FileExistsError):
                if self._size(target) is None:
                    self._copy(source, target, size)
                    self._call("moving an object", "delete_object", source)
                    return target
        raise FileExistsError(errno.EEXIST, f"already there in {self.where}", source)

    def make_read_only(self, sha256: str, area: str = OBJECTS) -> None:
        """Nothing to do: S3 has no permission bits per object (see the module's docstring)."""


def _code(exc: Exception) -> str:
    code = str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code", ""))  # a HEAD: status
    return "NoSuchBucket" if code in _MISSING and getattr(exc, "operation_name", "") == "HeadBucket" else code


class _HashingReader(io.RawIOBase):
    """The source file as the S3 client reads it: once, in order (it cannot seek), hashed on the way."""

    def __init__(self, fd: int, progress: ProgressFn | None) -> None:
        self.fd, self.progress, self.hasher, self.copied = fd, progress, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            chunk = os.read(self.fd, min(len(buffer), CHUNK))
        except OSError as exc:
            raise InputRefused(f"cannot read the file: {exc.strerror}") from exc
        buffer[: len(chunk)] = chunk
        if chunk:
            self.hasher.update(chunk)
            self.copied += len(chunk)
            faults.checkpoint("copy")
            if self.progress is not None:
                self.progress(len(chunk))
        return len(chunk)


class _Body(io.RawIOBase):
    """An object's body as the server sends it, its network errors as EnvironmentFailures."""

    def __init__(self, store: S3Store, body: Any) -> None:
        self.store, self.body = store, body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self.store._guard("reading an object"):
            data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.body.close()
        super().close()
