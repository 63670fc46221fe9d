"""The S3 store against a real S3 server (SeaweedFS, started once per session by tests/s3server.py): the
local store's guarantees, kept on a bucket."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import stat
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from s3server import S3Server
from s3server import needs_s3 as needs_s3  # the fixtures: the server, a fresh bucket per test
from s3server import s3_store_url as s3_store_url

from evidence import faults
from evidence.errors import EnvironmentFailure, ExitCode, InputRefused, IntegrityFailure, UsageError
from evidence.store.base import Leftover, ObjectFile, object_name
from evidence.store.s3 import S3Store

MiB = 1 << 20


@pytest.fixture
def store(s3_store_url: str, tmp_path: Path) -> S3Store:
    made = S3Store(s3_store_url, tmp_path / "cache")
    made.create()
    return made


def raw(store: S3Store) -> Any:
    """The store's own client, to look at the bucket (or change it) behind the store's back."""
    return store.client


def key(store: S3Store, name: str) -> str:
    return f"{store.prefix}/{name}"


def keys(store: S3Store) -> list[str]:
    listed = raw(store).list_objects_v2(Bucket=store.bucket, Prefix=key(store, ""))
    return sorted(item["Key"][len(key(store, "")) :] for item in listed.get("Contents", []))


def uploads(store: S3Store) -> list[dict[str, Any]]:
    return list(raw(store).list_multipart_uploads(Bucket=store.bucket).get("Uploads", []))


def requests(store: S3Store) -> Counter[str]:
    """Counts of the requests the store makes from now on, by operation ("PutObject", "CopyObject"...)."""
    made: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        made[model.name] += 1

    raw(store).meta.events.register("before-call.s3", count)
    return made


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_file_is_published_under_its_sha256(store: S3Store, tmp_path: Path) -> None:
    data = os.urandom(3 * MiB + 17)
    source = write(tmp_path / "clip.mp4", data)
    seen: list[int] = []
    stored = store.put_file(source, progress=seen.append)
    sha = hashlib.sha256(data).hexdigest()
    assert (stored.sha256, stored.size, stored.existed) == (sha, len(data), False)
    assert stored.mtime_ns == source.stat().st_mtime_ns and sum(seen) == len(data)
    assert keys(store) == [f"objects/{sha[:2]}/{sha[2:4]}/{sha}"]  # the temp key is gone
    got = raw(store).get_object(Bucket=store.bucket, Key=key(store, object_name(sha)))
    assert got["Body"].read() == data
    assert store.read_bytes(sha) == data
    with store.open(sha) as stream:
        assert stream.read(5) == data[:5] and stream.read() == data[5:]
    assert store.has(sha) and not store.has(sha, "derived")
    state = store.state(sha)
    assert state is not None and (state.size, state.regular, state.mode) == (len(data), True, 0o444)
    hashed: list[int] = []
    assert store.hash_object(sha, progress=hashed.append) == sha and sum(hashed) == len(data)
    assert store.fixity(sha) is None
    assert list(store.iter_objects()) == [ObjectFile(sha, object_name(sha), "objects", True)]
    store.GRACE = timedelta(0)
    assert store.leftovers() == [] and uploads(store) == []


def test_the_same_bytes_twice_are_one_object_never_rewritten(store: S3Store, tmp_path: Path) -> None:
    data = b"the same footage, found twice"
    first = store.put_file(write(tmp_path / "a", data))
    before = raw(store).head_object(Bucket=store.bucket, Key=key(store, object_name(first.sha256)))
    made = requests(store)
    second = store.put_file(write(tmp_path / "b", data))
    assert second.sha256 == first.sha256 and second.existed and not first.existed
    assert made["CopyObject"] == 0 and made["PutObject"] == 1  # the temp upload only, then removed
    after = raw(store).head_object(Bucket=store.bucket, Key=key(store, object_name(first.sha256)))
    assert (after["ETag"], after["LastModified"]) == (before["ETag"], before["LastModified"])
    assert [o.sha256 for o in store.iter_objects()] == [first.sha256]
    assert keys(store) == [object_name(first.sha256)]


def test_bytes_the_tool_made_go_to_derived(store: S3Store) -> None:
    data = b"\x89PNG a thumbnail"
    sha = store.put_bytes(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert keys(store) == [object_name(sha, "derived")]  # straight to its address: no temp key
    assert store.read_bytes(sha, "derived") == data and not store.has(sha)
    made = requests(store)
    assert store.put_bytes(data) == sha
    assert made["PutObject"] == 0 and made["HeadObject"] == 1
    assert [o.name for o in store.iter_objects("derived")] == [object_name(sha, "derived")]


def test_a_large_file_goes_up_in_parts(store: S3Store, tmp_path: Path) -> None:
    store.MULTIPART = 5 * MiB  # the smallest part S3 takes
    data = os.urandom(6 * MiB + 3)
    made = requests(store)
    stored = store.put_file(write(tmp_path / "long.mp4", data))
    assert made["CreateMultipartUpload"] == 1 and made["UploadPart"] == 2 and made["PutObject"] == 0
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert store.read_bytes(stored.sha256) == data
    assert keys(store) == [object_name(stored.sha256)] and uploads(store) == []


def test_an_object_too_large_for_one_copy_is_copied_in_parts(store: S3Store, tmp_path: Path) -> None:
    store.MULTIPART, store.COPY_LIMIT = 5 * MiB, 5 * MiB
    data = os.urandom(6 * MiB)
    made = requests(store)
    stored = store.put_file(write(tmp_path / "long.mp4", data))
    assert made["CopyObject"] == 0 and made["UploadPartCopy"] == 2
    assert store.read_bytes(stored.sha256) == data and store.fixity(stored.sha256) is None
    assert keys(store) == [object_name(stored.sha256)] and uploads(store) == []


def test_an_upload_that_fails_midway_leaves_nothing(
    store: S3Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk under the source fails in the second part: exit 4, no object, the parts aborted."""
    store.MULTIPART = 5 * MiB
    calls = Counter[str]()

    def checkpoint(name: str) -> None:
        calls[name] += 1
        if name == "copy" and calls[name] == 6:  # the first chunk of the second part
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(faults, "checkpoint", checkpoint)
    made = requests(store)
    with pytest.raises(EnvironmentFailure, match="Input/output error"):
        store.put_file(write(tmp_path / "long.mp4", os.urandom(7 * MiB)))
    assert calls["copy"] == 6 and calls["publish"] == 0
    assert made["UploadPart"] == 1 and made["AbortMultipartUpload"] == 1
    store.GRACE = timedelta(0)
    assert keys(store) == [] and uploads(store) == [] and store.leftovers() == []


KILLED = """
import os, sys
from pathlib import Path
from evidence import faults
from evidence.store.s3 import S3Store

store = S3Store(sys.argv[1], Path(sys.argv[2]))
store.MULTIPART = 5 << 20
real, copies = faults.checkpoint, []

def checkpoint(name):
    copies.append(name)
    if copies.count("copy") == 6:  # the first chunk of the second part: the first part is up
        os._exit(faults.CRASH_EXIT)
    real(name)

faults.checkpoint = checkpoint
store.put_file(Path(sys.argv[3]))
"""


def test_a_killed_upload_is_a_leftover_until_removed(
    store: S3Store, s3_store_url: str, tmp_path: Path
) -> None:
    """Killed in its second part (as by kill -9), an upload is an incomplete multipart upload, not an
    object; fsck sees it once it is older than GRACE, and removes it."""
    source = write(tmp_path / "long.mp4", os.urandom(7 * MiB))
    run = [sys.executable, "-c", textwrap.dedent(KILLED), s3_store_url, str(tmp_path / "c"), str(source)]
    done = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert done.returncode == faults.CRASH_EXIT, done.stderr
    assert keys(store) == [] and len(uploads(store)) == 1
    assert store.leftovers() == []  # younger than GRACE: maybe another machine's upload in progress
    store.GRACE = timedelta(0)
    (leftover,) = store.leftovers()
    assert leftover.name.startswith("uploads/tmp/") and "#" in leftover.name and leftover.size == 5 * MiB
    assert store.remove_leftover(leftover) is None
    assert store.leftovers() == [] and uploads(store) == []


def test_a_temp_key_left_behind_is_a_leftover_until_removed(
    store: S3Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uploaded, then the network fails before it is published, and its removal fails too: the temp
    key stays, never an object; fsck sees it once it is older than GRACE and removes it, learning what
    it held."""
    data = b"uploaded, never published"
    real = faults.checkpoint

    def network_down(name: str) -> None:
        if name == "publish":
            store.client.delete_object = cannot_delete
            raise OSError(errno.ENETUNREACH, os.strerror(errno.ENETUNREACH))

    def cannot_delete(**_: Any) -> None:
        raise OSError(errno.ENETUNREACH, os.strerror(errno.ENETUNREACH))

    monkeypatch.setattr(faults, "checkpoint", network_down)
    with pytest.raises(EnvironmentFailure, match="unreachable"):
        store.put_file(write(tmp_path / "a", data))
    monkeypatch.setattr(faults, "checkpoint", real)
    del store.client.delete_object  # the client's own again
    assert list(store.iter_objects()) == [] and store.leftovers() == []
    store.GRACE = timedelta(0)
    (leftover,) = store.leftovers()
    assert leftover.name.startswith("tmp/") and leftover.size == len(data) and not leftover.thumbnail
    assert store.remove_leftover(leftover) == hashlib.sha256(data).hexdigest()
    assert store.leftovers() == [] and keys(store) == []


def test_only_unfinished_writes_can_be_removed_as_leftovers(store: S3Store, tmp_path: Path) -> None:
    sha = store.put_file(write(tmp_path / "a", b"kept")).sha256
    for name in (object_name(sha), "orphans/" + sha, "tmp/../" + object_name(sha), "tmp/"):
        with pytest.raises(ValueError):
            store.remove_leftover(Leftover(name, 4, False, True))
    assert store.has(sha)


def test_a_settled_listing_leaves_out_what_is_younger_than_grace(store: S3Store, tmp_path: Path) -> None:
    sha = store.put_file(write(tmp_path / "a", b"just published")).sha256
    assert [o.sha256 for o in store.iter_objects()] == [sha]
    assert list(store.iter_objects(settled=True)) == []  # fsck must not call it an orphan yet
    store.GRACE = timedelta(0)
    assert [o.sha256 for o in store.iter_objects(settled=True)] == [sha]


def test_an_empty_or_changing_file_is_refused(store: S3Store, tmp_path: Path) -> None:
    with pytest.raises(InputRefused, match="empty"):
        store.put_file(write(tmp_path / "empty", b""))
    source = write(tmp_path / "growing.mp4", b"a" * (3 * MiB))
    grown: list[int] = []

    def grow(_: int) -> None:
        if not grown:
            grown.append(1)
            with open(source, "ab") as handle:
                handle.write(b"more")

    with pytest.raises(InputRefused, match="changed while it was being copied"):
        store.put_file(source, progress=grow)
    store.GRACE = timedelta(0)
    assert keys(store) == [] and store.leftovers() == []


def test_an_object_changed_in_the_bucket_is_caught(store: S3Store, tmp_path: Path) -> None:
    data = b"original footage " * 1000
    sha = store.put_file(write(tmp_path / "a", data)).sha256
    tampered = data.replace(b"original", b"doctored")
    raw(store).put_object(Bucket=store.bucket, Key=key(store, object_name(sha)), Body=tampered)
    problem = store.fixity(sha)
    assert problem is not None and "has changed" in problem
    assert hashlib.sha256(tampered).hexdigest() in problem
    assert store.hash_object(sha) != sha
    with pytest.raises(IntegrityFailure, match="has changed"):
        store.local_file(sha)
    assert not (tmp_path / "cache" / "objects" / sha).exists()
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.is_file()] == []  # no download left


def test_a_missing_object_is_caught(store: S3Store, tmp_path: Path) -> None:
    sha = store.put_file(write(tmp_path / "a", b"footage")).sha256
    raw(store).delete_object(Bucket=store.bucket, Key=key(store, object_name(sha)))
    assert store.state(sha) is None and not store.has(sha)
    for read in (store.hash_object, store.read_bytes, store.open):
        with pytest.raises(FileNotFoundError):
            read(sha)
    problem = store.fixity(sha)
    assert problem is not None and "cannot be read" in problem and "missing" in problem
    with pytest.raises(IntegrityFailure, match="missing"):
        store.local_file(sha)


def test_other_bytes_of_another_size_under_the_name_are_refused(store: S3Store, tmp_path: Path) -> None:
    data = b"what the witness filmed"
    sha = hashlib.sha256(data).hexdigest()
    for area in ("objects", "derived"):
        raw(store).put_object(Bucket=store.bucket, Key=key(store, object_name(sha, area)), Body=b"x" * 5)
    with pytest.raises(IntegrityFailure, match=f"has 5 bytes, expected {len(data)}"):
        store.put_file(write(tmp_path / "a", data))
    with pytest.raises(IntegrityFailure, match=f"has 5 bytes, expected {len(data)}"):
        store.put_bytes(data, "derived")
    assert store.read_bytes(sha) == b"x" * 5 and store.read_bytes(sha, "derived") == b"x" * 5
    assert sorted(keys(store)) == sorted([object_name(sha), object_name(sha, "derived")])


def test_a_writer_that_loses_the_race_overwrites_nothing(
    store: S3Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another machine publishes the same name between our HEAD and our write: the server refuses the
    conditional write (If-None-Match: *), and the object is already held. The server must honour the
    condition for this to pass: the HEAD is made to see nothing."""
    data = b"published by two machines at once"
    sha = hashlib.sha256(data).hexdigest()
    theirs = b"y" * len(data)  # same size, other bytes: whose write won shows in the bucket
    for area in ("objects", "derived"):
        raw(store).put_object(Bucket=store.bucket, Key=key(store, object_name(sha, area)), Body=theirs)
    real = store._held
    first: set[str] = set()

    def blind_once(name: str, digest: str, size: int) -> bool:
        if name not in first:
            first.add(name)
            return False
        return real(name, digest, size)

    monkeypatch.setattr(store, "_held", blind_once)
    assert store.put_file(write(tmp_path / "a", data)).existed
    assert store.put_bytes(data, "derived") == sha
    assert store.read_bytes(sha) == theirs and store.read_bytes(sha, "derived") == theirs
    assert len(first) == 2


def test_a_local_copy_is_checked_and_kept_in_the_cache(store: S3Store, tmp_path: Path) -> None:
    data = os.urandom(2 * MiB + 5)
    sha = store.put_file(write(tmp_path / "a", data)).sha256
    path = store.local_file(sha)
    assert path == tmp_path / "cache" / "objects" / sha
    assert path.read_bytes() == data and stat.S_IMODE(path.stat().st_mode) == 0o444
    made = requests(store)
    assert store.local_file(sha) == path
    assert made["GetObject"] == 0  # the cached copy, not a second download
    path.unlink()  # the cache may be emptied at any time
    assert store.local_file(sha).read_bytes() == data and made["GetObject"] == 1
    thumb = store.put_bytes(b"thumbnail")
    small = store.local_file(thumb, "derived")
    assert small == tmp_path / "cache" / "derived" / thumb and small.read_bytes() == b"thumbnail"
    assert store.location(sha) == f"{store.where}/objects/{sha[:2]}/{sha[2:4]}/{sha}"
    assert (
        store.location(thumb, "derived") == f"s3://{store.bucket}/catalogue/{object_name(thumb, 'derived')}"
    )


def test_orphans_are_kept_apart_and_restored(store: S3Store, tmp_path: Path) -> None:
    data = b"published, never catalogued"
    sha = store.put_file(write(tmp_path / "a", data)).sha256
    (found,) = store.iter_objects()
    assert store.quarantine(found) == f"orphans/{sha}"
    assert not store.has(sha) and store.orphan_names() == [f"orphans/{sha}"] and store.orphan_holds(sha)
    store.put_file(tmp_path / "a")
    (again,) = store.iter_objects()
    assert store.quarantine(again) == f"orphans/{sha}.1"  # never over the first
    assert store.orphan_names() == [f"orphans/{sha}", f"orphans/{sha}.1"]
    store.restore(sha)
    assert store.read_bytes(sha) == data and store.fixity(sha) is None
    assert store.orphan_names() == [f"orphans/{sha}.1"] and not store.orphan_holds(sha)
    raw(store).copy_object(
        Bucket=store.bucket,
        Key=key(store, f"orphans/{sha}"),
        CopySource={"Bucket": store.bucket, "Key": key(store, f"orphans/{sha}.1")},
    )
    with pytest.raises(EnvironmentFailure, match="an object is at its address"):
        store.restore(sha)  # the address is taken: the orphan stays
    assert store.orphan_holds(sha)
    raw(store).put_object(Bucket=store.bucket, Key=key(store, f"orphans/{sha}"), Body=b"not it")
    assert not store.orphan_holds(sha)
    with pytest.raises(EnvironmentFailure, match="no such orphan"):
        store.restore("0" * 64)


def test_an_unreachable_server_is_one_line_naming_the_store(
    needs_s3: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    store = S3Store("s3://evidence-unreachable/team", tmp_path / "cache")
    for attempt in (store.create, lambda: store.has("0" * 64), lambda: store.put_bytes(b"x")):
        with pytest.raises(EnvironmentFailure) as caught:
            attempt()
        message = str(caught.value)
        assert caught.value.exit_code == ExitCode.ENVIRONMENT and "\n" not in message
        assert "s3://evidence-unreachable/team" in message and f"127.0.0.1:{port}" in message


def test_wrong_credentials_are_refused_as_such(s3_store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(EnvironmentFailure, match=r"access denied.*AWS_SECRET_ACCESS_KEY"):
        S3Store(s3_store_url, Path("cache")).create()


def test_a_missing_bucket_is_created(needs_s3: S3Server, tmp_path: Path) -> None:
    bucket = needs_s3.bucket_name()
    store = S3Store(f"s3://{bucket}", tmp_path / "cache")
    assert store.where == f"s3://{bucket}" and store.shared
    with pytest.raises(EnvironmentFailure, match=f"the bucket {bucket} does not exist"):
        store.has("0" * 64)  # not "no such object": a HEAD says 404 for both
    store.create()
    store.create()  # there already: nothing to do
    assert not store.has("0" * 64)
    sha = store.put_bytes(b"no prefix")
    assert [o.name for o in store.iter_objects("derived")] == [object_name(sha, "derived")]
    names = needs_s3.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [item["Key"] for item in names] == [object_name(sha, "derived")]


def test_a_store_address_must_name_a_bucket(tmp_path: Path) -> None:
    for url in ("s3://", "s3:///prefix", "https://bucket/prefix"):
        with pytest.raises(UsageError, match="not an S3 store"):
            S3Store(url, tmp_path)
    assert S3Store("s3://b/team/", tmp_path).where == "s3://b/team"


def test_a_read_cut_off_midway_is_an_environment_failure(store: S3Store, tmp_path: Path) -> None:
    from botocore.exceptions import ResponseStreamingError

    sha = store.put_file(write(tmp_path / "a", os.urandom(3 * MiB))).sha256
    with store.open(sha) as stream:
        assert len(stream.read(10)) == 10

        def cut_off(*_: Any) -> bytes:
            raise ResponseStreamingError(error="Connection reset by peer")

        stream.raw.body.read = cut_off  # type: ignore[attr-defined]
        with pytest.raises(EnvironmentFailure, match="Connection reset by peer") as caught:
            stream.read()
    assert store.where in str(caught.value) and "\n" not in str(caught.value)


def test_without_the_s3_client_the_store_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if it were not installed
    with pytest.raises(EnvironmentFailure, match=r"pip install 'evidence\[team\]'"):
        S3Store("s3://bucket/team", tmp_path)
