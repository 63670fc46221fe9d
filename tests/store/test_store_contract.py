"""The store contract (evidence/store/base.py `ObjectStore`), one suite run against every backend: the
local folder and an S3 bucket on a real S3-compatible server (SeaweedFS). What a backend must do:
publish under the SHA-256, hold the same bytes once, show nothing of an interrupted write, and report an
object changed or gone behind its back."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from s3server import S3Server, _point_at, _session_server

from evidence import faults
from evidence.errors import EnvironmentFailure, IntegrityFailure
from evidence.store.base import DERIVED, OBJECTS, ObjectStore, object_name
from evidence.store.local import LocalStore
from evidence.store.s3 import S3Store


@dataclass
class Backend:
    store: ObjectStore
    write: Callable[[str, bytes], None]  # put bytes at a name behind the store's back
    delete: Callable[[str], None]


def _local(tmp_path: Path) -> Backend:
    store = LocalStore(tmp_path / "store")
    store.create()

    def write(name: str, data: bytes) -> None:
        path = store.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            os.chmod(path, 0o644)
        path.write_bytes(data)

    return Backend(store, write, lambda name: (store.root / name).unlink())


def _s3(server: S3Server, tmp_path: Path) -> Backend:
    store = S3Store(f"s3://{server.bucket_name()}/contract", tmp_path / "cache")
    store.create()

    def write(name: str, data: bytes) -> None:
        store.client.put_object(Bucket=store.bucket, Key=f"{store.prefix}/{name}", Body=data)

    def delete(name: str) -> None:
        store.client.delete_object(Bucket=store.bucket, Key=f"{store.prefix}/{name}")

    return Backend(store, write, delete)


@pytest.fixture(params=["local", "s3"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Backend]:
    if request.param == "local":
        yield _local(tmp_path)
        return
    server = _point_at(_session_server(request.config), monkeypatch)
    monkeypatch.setattr(S3Store, "GRACE", S3Store.GRACE * 0)  # what is left over counts at once
    yield _s3(server, tmp_path)


def _file(tmp_path: Path, data: bytes, name: str = "clip.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_publish_names_the_object_by_its_sha256(backend: Backend, tmp_path: Path) -> None:
    data = b"footage bytes " * 5000
    sha = hashlib.sha256(data).hexdigest()
    stored = backend.store.put_file(_file(tmp_path, data))
    assert (stored.sha256, stored.size, stored.existed) == (sha, len(data), False)
    store = backend.store
    assert store.has(sha) and store.state(sha) is not None and store.state(sha).size == len(data)  # type: ignore[union-attr]
    assert store.read_bytes(sha) == data and store.hash_object(sha) == sha and store.fixity(sha) is None
    with store.open(sha) as stream:
        assert stream.read() == data
    assert store.local_file(sha).read_bytes() == data
    assert store.location(sha).endswith(object_name(sha))
    assert [(o.sha256, o.name) for o in store.iter_objects()] == [(sha, object_name(sha))]


def test_the_same_bytes_published_twice_are_one_object(backend: Backend, tmp_path: Path) -> None:
    data = b"the same clip, twice"
    first = backend.store.put_file(_file(tmp_path, data, "a.bin"))
    again = backend.store.put_file(_file(tmp_path, data, "b.bin"))
    assert again.sha256 == first.sha256 and again.existed and not first.existed
    assert [o.sha256 for o in backend.store.iter_objects()] == [first.sha256]
    thumb = backend.store.put_bytes(b"a thumbnail")
    assert backend.store.put_bytes(b"a thumbnail") == thumb
    assert [o.sha256 for o in backend.store.iter_objects(DERIVED)] == [thumb]
    assert backend.store.read_bytes(thumb, DERIVED) == b"a thumbnail"


def test_an_interrupted_write_leaves_nothing_visible(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(3 << 20)

    def cut(point: str) -> None:
        if point == "copy":
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(faults, "checkpoint", cut)
    with pytest.raises(EnvironmentFailure):
        backend.store.put_file(_file(tmp_path, data))
    monkeypatch.undo()
    sha = hashlib.sha256(data).hexdigest()
    assert list(backend.store.iter_objects()) == [] and not backend.store.has(sha)
    for leftover in backend.store.leftovers():  # what a crash could leave is an unfinished write
        backend.store.remove_leftover(leftover)
    assert backend.store.leftovers() == []
    assert backend.store.put_file(_file(tmp_path, data)).existed is False  # and the next add works


def test_a_changed_object_is_detected(backend: Backend, tmp_path: Path) -> None:
    data = b"original bytes of a claimed video"
    sha = backend.store.put_file(_file(tmp_path, data)).sha256
    backend.write(object_name(sha), b"ORIGINAL bytes of a claimed video")  # same size, other bytes
    problem = backend.store.fixity(sha)
    assert problem is not None and "has changed" in problem
    assert backend.store.hash_object(sha) != sha
    backend.write(object_name(sha), b"shorter")
    with pytest.raises(IntegrityFailure):  # an object of another size under the name: never written over
        backend.store.put_file(_file(tmp_path, data))
    assert backend.store.read_bytes(sha) == b"shorter"


def test_a_missing_object_is_detected(backend: Backend, tmp_path: Path) -> None:
    sha = backend.store.put_file(_file(tmp_path, b"soon gone")).sha256
    backend.delete(object_name(sha))
    store = backend.store
    assert not store.has(sha) and store.state(sha) is None
    problem = store.fixity(sha)
    assert problem is not None and sha in problem
    for read in (store.hash_object, store.read_bytes):
        with pytest.raises(FileNotFoundError):
            read(sha)
    with pytest.raises(IntegrityFailure, match="missing"):  # what decodes it (analysis, frame, serve)
        store.local_file(sha)


def test_an_uncatalogued_object_is_set_aside_and_put_back(backend: Backend, tmp_path: Path) -> None:
    sha = backend.store.put_file(_file(tmp_path, b"published, never catalogued")).sha256
    (found,) = backend.store.iter_objects(OBJECTS, settled=True)
    moved = backend.store.quarantine(found)
    assert moved == f"orphans/{sha}" and backend.store.orphan_names() == [moved]
    assert not backend.store.has(sha) and backend.store.orphan_holds(sha)
    backend.store.restore(sha)
    assert (
        backend.store.read_bytes(sha) == b"published, never catalogued" and backend.store.orphan_names() == []
    )
