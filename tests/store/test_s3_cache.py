"""The S3 store's download cache against a real S3 server (SeaweedFS): copies for decoders stay within
`EVIDENCE_CACHE_MAX_BYTES`, the least recently used go first, and a copy a process may still be using
(handed out within the grace period, or locked by a process) is never removed."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from s3server import s3_store_url as s3_store_url  # the fixture: a fresh bucket per test

from evidence.errors import ExitCode, UsageError
from evidence.store import cache
from evidence.store.s3 import S3Store

SIZE = 64 << 10  # each object's size
BOUND = 3 * SIZE  # room for three copies


def make_store(url: str, folder: Path, *, grace: float = 0.0) -> S3Store:
    store = S3Store(url, folder)
    store.create()
    store.downloads.grace = grace
    return store


@pytest.fixture
def store(s3_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> S3Store:
    """A store whose cache holds three objects' worth, no grace period, and one lock per process (the
    copy just handed out), so that only what a test sets up keeps a copy."""
    monkeypatch.setenv(cache.ENV_CACHE_MAX_BYTES, str(BOUND))
    monkeypatch.setattr(cache, "HOLD", 1)
    return make_store(s3_store_url, tmp_path / "cache")


def put(store: S3Store, count: int, tmp_path: Path) -> list[str]:
    shas = []
    for n in range(count):
        source = tmp_path / f"source-{n}"
        source.write_bytes(os.urandom(SIZE))
        shas.append(store.put_file(source).sha256)
    return shas


def cached(store: S3Store) -> set[str]:
    folder = store.cache / "objects"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def cached_bytes(store: S3Store) -> int:
    return sum(p.stat().st_size for p in (store.cache / "objects").iterdir())


def downloads(store: S3Store) -> Counter[str]:
    made: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        made[model.name] += 1

    store.client.meta.events.register("before-call.s3", count)
    return made


def age(path: Path, seconds: float) -> None:
    then = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(then, then))


def test_the_cache_keeps_the_most_recently_used_within_its_bound(store: S3Store, tmp_path: Path) -> None:
    shas = put(store, 6, tmp_path)
    for n, sha in enumerate(shas):
        path = store.local_file(sha)
        assert path.read_bytes() and path.name == sha  # the copy handed out is there
        assert cached(store) == set(shas[max(0, n - 2) : n + 1])  # the three most recently used
        assert cached_bytes(store) <= BOUND
    assert not list(store.cache.glob("dl-*"))  # no temp file left behind


def test_a_hit_makes_a_copy_recently_used(store: S3Store, tmp_path: Path) -> None:
    a, b, c, d, e = put(store, 5, tmp_path)
    for sha in (a, b, c):
        store.local_file(sha)
    made = downloads(store)
    assert store.local_file(a).name == a and made["GetObject"] == 0  # a hit, used again
    store.local_file(d)  # b is now the least recently used, then c
    assert cached(store) == {a, c, d}
    store.local_file(e)
    assert cached(store) == {a, d, e} and made["GetObject"] == 2


def test_a_copy_handed_out_within_the_grace_period_is_kept(store: S3Store, tmp_path: Path) -> None:
    store.downloads.grace = cache.GRACE
    shas = put(store, 6, tmp_path)
    for sha in shas[:5]:
        store.local_file(sha)
    # all handed out within the hour, perhaps not opened yet: the cache goes over its bound
    assert cached(store) == set(shas[:5]) and cached_bytes(store) == 5 * SIZE > BOUND
    for sha in shas[:3]:
        age(store.cache / "objects" / sha, cache.GRACE + 60)
    store.local_file(shas[5])
    assert cached(store) == set(shas[3:])  # the ones past the grace period went, the oldest first


def test_a_copy_another_process_is_using_is_kept(store: S3Store, tmp_path: Path) -> None:
    a, b, c, d, e, f = put(store, 6, tmp_path)
    # another process of this machine is handed `a` and is still using it (a worker decoding it)
    other = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from evidence.store.s3 import S3Store
        path = S3Store({store.where!r}, Path({str(store.cache)!r})).local_file({a!r})
        print(path, flush=True)
        sys.stdin.read()  # until the test lets go
        """
    )
    user = subprocess.Popen(
        [sys.executable, "-c", other], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert user.stdout is not None and user.stdout.readline().strip() == str(store.cache / "objects" / a)
        for sha in (b, c, d, e):
            store.local_file(sha)
        assert a in cached(store)  # the least recently used, but locked by the other process
        assert cached(store) == {a, d, e}
    finally:
        assert user.stdin is not None
        user.stdin.close()
        assert user.wait(timeout=60) == 0
    store.local_file(f)  # the other process has ended: `a` may go now
    assert cached(store) == {d, e, f}


def test_this_process_keeps_the_copies_it_handed_out_last(
    store: S3Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "HOLD", 4)
    shas = put(store, 6, tmp_path)
    for sha in shas:
        store.local_file(sha)
    assert cached(store) == set(shas[2:])  # over the bound only by the four still locked


def test_a_copy_larger_than_the_bound_is_still_handed_out(
    s3_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.ENV_CACHE_MAX_BYTES, "0")
    monkeypatch.setattr(cache, "HOLD", 1)
    store = make_store(s3_store_url, tmp_path / "cache")
    a, b = put(store, 2, tmp_path)
    assert store.local_file(a).stat().st_size == SIZE
    assert store.local_file(b).stat().st_size == SIZE and cached(store) == {b}


@pytest.mark.parametrize(
    ("given", "bound"),
    [("", 20 << 30), ("1048576", 1 << 20), ("500M", 500 << 20), ("10G", 10 << 30), ("2GiB", 2 << 30)],
)
def test_the_bound_is_read_from_the_environment(
    given: str, bound: int, s3_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.ENV_CACHE_MAX_BYTES, given)
    assert S3Store(s3_store_url, tmp_path).downloads.max_bytes == bound


@pytest.mark.parametrize("given", ["lots", "-5", "1.5G", "10X", "G"])
def test_a_bad_bound_is_a_usage_error(
    given: str, s3_store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.ENV_CACHE_MAX_BYTES, given)
    with pytest.raises(UsageError) as refused:
        S3Store(s3_store_url, tmp_path)
    assert refused.value.exit_code == ExitCode.USAGE
    assert "EVIDENCE_CACHE_MAX_BYTES" in refused.value.message and "\n" not in refused.value.message
