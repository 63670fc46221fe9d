"""A catalogue whose originals live in a bucket of a real S3-compatible server (SeaweedFS): `add`,
`show`, `verify`, `fsck` and the BagIt export work through it as they do on the local store, and a
change made to the bucket behind the tool's back is caught."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from conftest import Catalogue, _backends, pg_url, reset_postgres
from mediagen import make_video
from s3server import s3_store_url as s3_store_url  # the fixture: a fresh bucket per test

from evidence.cli.main import app
from evidence.integrity.fsck import fsck
from evidence.store.s3 import S3Store
from evidence.workspace import open_workspace


class Bucket:
    """The test's own view of the bucket (boto3, around the tool)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.name, self.prefix = parts.netloc, parts.path.strip("/")
        self.client = boto3.client("s3")

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def names(self, area: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=self.key(area))
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def get(self, name: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.name, Key=self.key(name))["Body"].read()
        return body

    def put(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=self.key(name), Body=data)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=self.key(name))


def _name(sha: str, area: str = "objects") -> str:
    return f"{area}/{sha[:2]}/{sha[2:4]}/{sha}"


@pytest.fixture(params=_backends())
def team(request: pytest.FixtureRequest, tmp_path: Path, s3_store_url: str) -> tuple[Catalogue, Bucket]:
    """A catalogue on SQLite (and PostgreSQL when configured) whose store is a fresh bucket."""
    url = None
    if request.param == "postgresql":
        url = pg_url()
        assert url is not None
        reset_postgres(url)
    home = tmp_path / "case"
    home.mkdir()
    cat = Catalogue(home, request.param, url)
    env = {**cat.env, "EVIDENCE_STORE_URL": s3_store_url}
    cat.env_extra = env  # type: ignore[attr-defined]
    result = cat.runner.invoke(app, ["init", str(home)], env=env)
    assert result.exit_code == 0, result.output
    return cat, Bucket(s3_store_url)


def _run(cat: Catalogue, *args: str | Path) -> Any:
    env = cat.env_extra  # type: ignore[attr-defined]
    return cat.runner.invoke(app, ["--catalogue", str(cat.root), *map(str, args)], env=env)


def _ok(cat: Catalogue, *args: str | Path) -> Any:
    result = _run(cat, *args)
    assert result.exit_code == 0, result.output
    return result


def test_add_preserves_into_the_bucket_and_finds_copies(
    team: tuple[Catalogue, Bucket], tmp_path: Path
) -> None:
    cat, bucket = team
    clip = make_video(tmp_path / "clip.mp4", seconds=4.0, scenes=4, seed=7)
    copy = make_video(tmp_path / "reupload.mp4", seconds=4.0, scenes=4, seed=7, size=(256, 192))
    added = json.loads(_ok(cat, "add", clip, copy, "--json").stdout)
    shas = [f["sha256"] for f in added["results"]]
    for path, sha in zip((clip, copy), shas, strict=True):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        assert bucket.get(_name(sha)) == path.read_bytes()
    assert bucket.names("objects") == sorted(bucket.key(_name(sha)) for sha in shas)
    assert bucket.names("derived"), "the keyframe thumbnails go to the bucket too"
    assert not list((cat.root / "store").rglob("*")) if (cat.root / "store").exists() else True
    listed = json.loads(_ok(cat, "list", "--json").stdout)
    assert {i["analysis"] for i in listed["items"]} == {"ok"}
    # the re-encoded, downscaled copy was recognised while both were decoded from the bucket
    groups = json.loads(_ok(cat, "dupes", "--json").stdout)
    assert any({a["sha256"] for a in cluster} >= set(shas) for cluster in groups["clusters"]), groups
    shown = json.loads(_ok(cat, "show", shas[0][:12], "--json").stdout)
    assert shown["stored_at"] == f"s3://{bucket.name}/{bucket.key(_name(shas[0]))}"
    # what decodes an original reads a copy checked against its name; thumbnails come from the bucket
    out = tmp_path / "out"
    out.mkdir()
    _ok(cat, "frame", shas[0][:12], "--at", "1.5", "-o", out / "frame.png")
    _ok(cat, "sheet", shas[0][:12], "-o", out / "sheet.png")
    _ok(cat, "report", shas[0][:12], "-o", out / "report.html")
    assert (out / "frame.png").stat().st_size > 0 and "data:image/jpeg;base64," in (
        out / "report.html"
    ).read_text()
    again = json.loads(_ok(cat, "add", clip, "--json").stdout)
    assert again["results"][0]["status"] == "duplicate"
    assert _ok(cat, "verify").exit_code == 0


def test_a_change_made_in_the_bucket_fails_verify_and_fsck(
    team: tuple[Catalogue, Bucket], tmp_path: Path
) -> None:
    cat, bucket = team
    first = make_video(tmp_path / "first.mp4", seconds=2.0, seed=1)
    second = make_video(tmp_path / "second.mp4", seconds=2.0, seed=2)
    added = json.loads(_ok(cat, "add", first, second, "--json").stdout)
    one, two = (f["sha256"] for f in added["results"])
    altered = bytearray(first.read_bytes())
    altered[len(altered) // 2] ^= 0xFF
    bucket.put(_name(one), bytes(altered))
    bucket.delete(_name(two))
    verified = _run(cat, "verify", "--json")
    assert verified.exit_code == 5, verified.output
    problems = {p["subject"]: p["kind"] for p in json.loads(verified.stdout)["problems"]}
    assert problems[one] == "changed" and problems[two] == "missing", problems
    deep = _run(cat, "verify", "--deep", "--json")  # re-deriving skips the original that is gone
    assert deep.exit_code == 5 and {p["kind"] for p in json.loads(deep.stdout)["problems"]} >= {"missing"}
    framed = _run(cat, "frame", two[:12], "--at", "0.5", "-o", tmp_path / "frame.png")
    assert framed.exit_code == 5 and framed.stderr.count("\n") == 1 and "missing" in framed.stderr
    checked = _run(cat, "fsck", "--deep", "--json")
    assert checked.exit_code == 5, checked.output
    kinds = {(p["kind"], p["subject"]) for p in json.loads(checked.stdout)["problems"]}
    assert ("missing-object", f"item:{two}") in kinds and ("changed", f"item:{one}") in kinds, kinds


def test_fsck_sets_aside_what_a_crashed_add_left_in_the_bucket(
    team: tuple[Catalogue, Bucket], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat, bucket = team
    clip = make_video(tmp_path / "clip.mp4", seconds=2.0, seed=3)
    _ok(cat, "add", clip)
    stray = b"bytes published by an add that died before its commit"
    stray_sha = hashlib.sha256(stray).hexdigest()
    bucket.put(_name(stray_sha), stray)
    bucket.put("tmp/in-crashed", b"half an upload")
    monkeypatch.setenv("EVIDENCE_STORE_URL", cat.env_extra["EVIDENCE_STORE_URL"])  # type: ignore[attr-defined]
    if cat.database_url:
        monkeypatch.setenv("EVIDENCE_DATABASE_URL", cat.database_url)
    with open_workspace(cat.root) as ws:
        # what is younger than the grace period may be an add in progress on another machine
        young = fsck(ws, actor="tester")
        assert young.ok, young.problems
        monkeypatch.setattr(S3Store, "GRACE", S3Store.GRACE * 0)
        found = fsck(ws, actor="tester")
        assert {p.kind for p in found.problems} == {"unrecorded-object", "temp-file"}, found.problems
        repaired = fsck(ws, actor="tester", repair=True)
        assert repaired.repaired == 2 and repaired.ok
        assert fsck(ws, actor="tester").problems == []
    assert bucket.get(f"orphans/{stray_sha}") == stray, "set aside, never deleted"
    assert bucket.names(_name(stray_sha)) == [] and bucket.names("tmp/") == []
    events = json.loads(_ok(cat, "export", "--format", "json").stdout)["events"]
    assert [e["details"]["repair"] for e in events if e["action"] == "fsck-repair"] == [
        "removed",
        "quarantined",
    ]


def test_the_bag_is_made_from_the_bucket(team: tuple[Catalogue, Bucket], tmp_path: Path) -> None:
    import bagit

    cat, bucket = team
    clip = make_video(tmp_path / "clip.mp4", seconds=2.0, seed=5)
    sha = json.loads(_ok(cat, "add", clip, "--json").stdout)["results"][0]["sha256"]
    _ok(cat, "export", "--bagit", tmp_path / "bag")
    bag = bagit.Bag(str(tmp_path / "bag"))
    bag.validate()
    payload = [p for p in (tmp_path / "bag" / "data").rglob("*") if p.is_file() and p.suffix == ".mp4"]
    assert [p.read_bytes() for p in payload] == [clip.read_bytes()]
    bucket.put(_name(sha), clip.read_bytes()[:-1] + b"!")
    refused = _run(cat, "export", "--bagit", tmp_path / "second-bag")
    assert refused.exit_code == 5 and sha in refused.stderr, refused.output
    assert not (tmp_path / "second-bag").exists() or not any((tmp_path / "second-bag").iterdir())
