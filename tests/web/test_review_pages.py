"""`evidence serve`'s review queue, a pair's page and the groups of copies: what `evidence review` and
`evidence dupes` say, shown side by side with the frames the matcher aligned."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Catalogue
from library import opened
from mediagen import make_video
from PIL import Image
from test_serve import Site

from evidence.web.app import running

HOSTILE_NAME = "<img src=x onerror=alert(1)>.webm"


@pytest.fixture
def pair_site(catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    source = make_video(tmp_path / "source.mp4", seconds=4.0, fps=25, size=(320, 180), scenes=3, seed=51)
    copy = make_video(
        tmp_path / HOSTILE_NAME, seconds=4.0, fps=25, size=(320, 180), scenes=3, seed=51, codec="libvpx-vp9"
    )
    catalogue.ok("add", source, "--posted-at", "2016-03-25")
    catalogue.ok("add", copy, "--posted-at", "2016-03-24")  # catalogued later, posted earlier
    with opened(catalogue, monkeypatch) as ws, running(ws, actor="tester") as server:
        yield Site(server, ws, source, copy)


def test_a_suggested_copy_is_reviewed_side_by_side_with_its_aligned_frames(
    pair_site: Site, catalogue: Catalogue
) -> None:
    review = pair_site.page("/review")
    [(relation, listed)] = re.findall(r'<li data-relation="(\d+)">(.*?)</li>', review, re.S)
    assert "#1 source.mp4 <strong>duplicate</strong> #2" in listed
    assert HOSTILE_NAME not in review and "&lt;img src=x onerror=alert(1)&gt;.webm" in review
    pair = pair_site.page(f"/review/{relation}")
    assert '<video class="synced" id="player-1" controls preload="metadata" src="/items/1/original">' in pair
    assert 'src="/items/2/original"' in pair and "#2 &lt;img" in pair and "(query)" in pair
    pictures = re.findall(
        r'<img src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)" alt="#(\d) at ([0-9.]+) s">', pair
    )
    assert len(pictures) >= 4 and {side for _, side, _ in pictures} == {"1", "2"}
    for data, _, _ in pictures:
        assert Image.open(io.BytesIO(base64.b64decode(data))).size == (320, 180)
    assert "evidence relate 1 2 --confirm --as duplicate" in pair
    assert 'id="in-step" data-offset="0.000"' in pair
    assert pair_site.request("/review/999")[0] == 404
    # each item's player marks the stretch its copy shares with it, as the matcher aligned them
    for item, other in ((1, 2), (2, 1)):
        page = pair_site.page(f"/items/{item}")
        [(start, end, title)] = re.findall(
            r'class="mark seek copy suggested" data-t="[0-9.]+" '
            r'data-start="([0-9.]+)" data-end="([0-9.]+)"\s+'
            r'title="([^"]*)"',
            page,
        )
        assert float(start) < 0.5 and float(end) > 3.0 and title.startswith(f"#{other} duplicate (suggested)")


def test_the_groups_of_copies_mark_the_earliest_known_and_follow_decisions(
    pair_site: Site, catalogue: Catalogue
) -> None:
    html = pair_site.page("/clusters")
    cards = re.findall(r'<li class="card( earliest-copy)?" data-item="(\d+)">', html)
    assert sorted(cards) == [("", "1"), (" earliest-copy", "2")]  # posted earlier, though catalogued later
    catalogue.ok("relate", "1", "2", "--reject", "--note", "different footage")
    assert "No copies found yet." in pair_site.page("/clusters")
    assert "Nothing to review." in pair_site.page("/review")
