"""The package face (`import evidence`): a script can do what the commands do, and importing it stays
light, because the analysis worker, which handles hostile media, imports the package too."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from mediagen import make_video
from website import serving

import evidence
from evidence.errors import CatalogueNotFound, UsageError


def test_importing_the_package_loads_no_database_and_no_decoder() -> None:
    code = (
        "import sys, evidence\n"
        "heavy = [m for m in ('sqlalchemy', 'cv2', 'av', 'numpy', 'typer') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_script_adds_matches_verifies_and_traces_a_copy(tmp_path: Path) -> None:
    source = make_video(tmp_path / "source.mp4", seconds=3.0, scenes=3, seed=11)
    copy = make_video(tmp_path / "copy.webm", seconds=3.0, scenes=3, seed=11, codec="libvpx-vp9")
    with evidence.create_catalogue(tmp_path / "case") as catalogue:
        report = evidence.add(
            catalogue, [source], source_url="https://example.org/post/1", posted_at="2016-03-24T10:00Z"
        )
        assert [r.status for r in report.results] == ["added"]
        first = report.results[0]
        found = evidence.match(catalogue, copy)
        assert [m.match.item_id for m in found.matches] == [first.id]
        later = evidence.add(catalogue, [copy], actor="analyst")
        assert [r.status for r in later.results] == ["added"]
        assert [m.match.item_id for m in later.results[0].near_duplicates] == [first.id]
        trail = evidence.provenance(catalogue, str(later.results[0].id))
        assert {m.item.id for m in trail.members} == {first.id, later.results[0].id}
        assert evidence.verify(catalogue).ok
    with evidence.open_catalogue(tmp_path / "case") as again:
        assert evidence.verify(again, deep=True).ok


def test_a_script_gets_the_same_errors_as_the_commands(tmp_path: Path) -> None:
    with pytest.raises(CatalogueNotFound):
        evidence.open_catalogue(tmp_path / "nowhere")
    with evidence.create_catalogue(tmp_path / "case") as catalogue:
        with pytest.raises(UsageError, match="posted_at"):
            evidence.add(catalogue, [tmp_path], posted_at="yesterday-ish")
        assert evidence.add(catalogue, [tmp_path / "missing.mp4"]).results[0].status == "failed"


def test_a_script_captures_a_link(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", seconds=1.0, seed=12)
    with serving() as site, evidence.create_catalogue(tmp_path / "case") as catalogue:
        site.file("/clip.mp4", clip, "video/mp4")
        (result,) = evidence.capture(catalogue, [site.url("/clip.mp4")], screenshot=False, analyse=False)
        assert result.outcome == "captured"
        assert [m.sha256 for m in result.media] == [hashlib.sha256(clip.read_bytes()).hexdigest()]
        with pytest.raises(UsageError, match="only http and https"):
            evidence.capture(catalogue, ["file:///etc/passwd"])
        assert evidence.verify(catalogue).ok
