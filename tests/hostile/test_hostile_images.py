"""Bad input, part 3: still and animated images.

Exit codes asserted here: 0 when the picture is analysed (every EXIF orientation, every pixel mode,
animation, flat pictures, a PNG carrying a text bomb beside an intact picture); 3 when it is preserved
exactly but cannot be analysed (a decompression bomb, a truncated file, text named as an image).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from conftest import Catalogue
from hostile_kit import add_hostile, frames_of, item_rows
from mediagen import (
    _png_chunk,
    make_animated_gif,
    make_image,
    make_jpeg_with_exif,
    make_png_bomb,
    truncate,
)
from PIL import Image

SIZE = (160, 120)


# ---------------------------------------------------------------------------------- bombs


def _gif_bomb(path: Path) -> Path:
    """A 40-byte GIF whose screen and only image declare 65535 x 65535 pixels."""
    screen = struct.pack("<HHBBB", 65535, 65535, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, 65535, 65535, 0) + b"\x02\x02\x44\x01\x00"
    path.write_bytes(b"GIF89a" + screen + image + b"\x3b")
    return path


@pytest.mark.parametrize(
    ("name", "declared"),
    [("bomb.png", "100000 x 100000"), ("bomb.gif", "65535 x 65535")],
)
def test_decompression_bombs_are_preserved_never_decoded(
    catalogue: Catalogue, name: str, declared: str
) -> None:
    path = catalogue.home / name
    make_png_bomb(path) if name.endswith(".png") else _gif_bomb(path)
    run = add_hostile(
        catalogue,
        path,
        code=3,
        analysis=f"failed:image too large: {declared}",
        problems=[f"{name}: image too large: {declared}"],
    )
    assert run.results[0]["kind"] == "image"


def _with_chunk(png: bytes, chunk: bytes, *, after_pixels: bool) -> bytes:
    at = png.index(b"IEND" if after_pixels else b"IDAT") - 4
    return png[:at] + chunk + png[at:]


TEXT_BOMBS = {
    # 50 MB of text in a 50 kB chunk, before the pixels
    "ztxt-before": lambda png: _with_chunk(
        png, _png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"A" * (50 << 20), 9)), after_pixels=False
    ),
    # the same as a compressed iTXt chunk after the pixels (read only when the picture is decoded)
    "itxt-after": lambda png: _with_chunk(
        png,
        _png_chunk(b"iTXt", b"Comment\x00\x01\x00\x00\x00" + zlib.compress(b"B" * (50 << 20), 9)),
        after_pixels=True,
    ),
    # 70 plain 1 MB tEXt chunks: more text than Pillow keeps in memory
    "many-text": lambda png: _with_chunk(
        png,
        b"".join(_png_chunk(b"tEXt", b"k%d\x00" % n + b"C" * (1 << 20)) for n in range(70)),
        after_pixels=False,
    ),
}


@pytest.mark.parametrize("bomb", sorted(TEXT_BOMBS))
def test_a_png_text_bomb_beside_an_intact_picture_is_analysed_and_matched(
    sqlite_catalogue: Catalogue, bomb: str
) -> None:
    """Pillow refuses to inflate oversized text chunks (right), which used to fail the whole analysis
    as "truncated or corrupt image": a few kB of comment hid a copy of known footage from matching.
    The picture is now read without the text chunks, and the copy is found."""
    home = sqlite_catalogue.home
    original = make_image(home / "original.png", size=(320, 240), seed=7)
    add_hostile(sqlite_catalogue, original, code=0, analysis="ok")
    bombed = home / "copy.png"
    bombed.write_bytes(TEXT_BOMBS[bomb](original.read_bytes()))
    run = add_hostile(sqlite_catalogue, bombed, code=0, analysis="ok")
    [entry] = run.results
    assert [m["classification"] for m in entry["near_duplicates"]] == ["duplicate"]
    probe = item_rows(sqlite_catalogue, entry["sha256"])["probe"]
    if bomb != "itxt-after":  # a trailing chunk is only met when the pixels are decoded
        assert any("text bomb" in w for w in probe["warnings"])


# --------------------------------------------------------------------------------- orientation


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(sqlite_catalogue: Catalogue, orientation: int) -> None:
    path = make_jpeg_with_exif(
        sqlite_catalogue.home / f"o{orientation}.jpg", size=SIZE, orientation=orientation
    )
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    shown = item_rows(sqlite_catalogue, run.results[0]["sha256"])
    upright = SIZE[::-1] if orientation >= 5 else SIZE  # 5-8 turn the picture a quarter
    assert (shown["summary"]["width"], shown["summary"]["height"]) == upright
    assert shown["summary"]["orientation"] == shown["probe"]["orientation"] == orientation


@pytest.mark.parametrize("orientation", [0, 9, 65535])
def test_an_out_of_range_orientation_counts_as_upright(sqlite_catalogue: Catalogue, orientation: int) -> None:
    path = make_jpeg_with_exif(sqlite_catalogue.home / "odd.jpg", size=SIZE, orientation=orientation)
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    summary = item_rows(sqlite_catalogue, run.results[0]["sha256"])["summary"]
    assert (summary["width"], summary["height"], summary["orientation"]) == (*SIZE, 1)


# ---------------------------------------------------------------------------------------- modes


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("cmyk.jpg", "CMYK"),
        ("sixteen.png", "I;16"),
        ("palette.png", "P"),
        ("palette.gif", "P"),
        ("alpha.png", "RGBA"),
        ("grey-alpha.png", "LA"),
        ("grey.tif", "L"),
    ],
)
def test_pixel_modes_are_normalised_and_analysed(sqlite_catalogue: Catalogue, name: str, mode: str) -> None:
    path = make_image(sqlite_catalogue.home / name, size=SIZE, mode=mode, seed=3)
    with Image.open(path) as image:
        assert image.mode == mode
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    shown = item_rows(sqlite_catalogue, run.results[0]["sha256"])
    assert shown["probe"]["mode"] == mode and shown["summary"]["informative"] == 1


def test_an_animated_gif_is_analysed_by_its_first_frame(sqlite_catalogue: Catalogue) -> None:
    path = make_animated_gif(sqlite_catalogue.home / "anim.gif", frames=5)
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    shown = item_rows(sqlite_catalogue, run.results[0]["sha256"])
    assert shown["summary"]["frames_in_file"] == 5 and shown["probe"]["animated"] is True
    assert len(frames_of(sqlite_catalogue, run.results[0]["id"])) == 1


def test_a_gif_of_a_hundred_thousand_frames_is_counted_not_decoded(sqlite_catalogue: Catalogue) -> None:
    screen = struct.pack("<HHBBB", 2000, 2000, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = (
        b"\x21\xf9\x04\x00\x01\x00\x00\x00\x2c"
        + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        + b"\x02\x02\x44\x01\x00"
    )
    path = sqlite_catalogue.home / "many.gif"
    path.write_bytes(b"GIF89a" + screen + frame * 100_000 + b"\x3b")
    run = add_hostile(sqlite_catalogue, path, code=0, analysis="ok")
    assert item_rows(sqlite_catalogue, run.results[0]["sha256"])["summary"]["frames_in_file"] == 100_000


# ------------------------------------------------------------------------------------- damaged


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_truncated_image_is_preserved_with_failed_analysis(catalogue: Catalogue, suffix: str) -> None:
    whole = make_image(catalogue.home / f"whole{suffix}", size=SIZE, seed=4)
    cut = truncate(whole, catalogue.home / f"cut{suffix}", 0.5)
    whole.unlink()
    add_hostile(
        catalogue,
        cut,
        code=3,
        analysis="failed:truncated or corrupt image",
        problems=[f"cut{suffix}: truncated or corrupt image"],
    )


def test_text_named_as_an_image_is_preserved_with_failed_analysis(sqlite_catalogue: Catalogue) -> None:
    path = sqlite_catalogue.home / "photo.jpg"
    path.write_text("<html><body>not a photo</body></html>\n")
    add_hostile(
        sqlite_catalogue,
        path,
        code=3,
        analysis="failed:not a media file: content is text/html, name says .jpg",
        problems=["photo.jpg: not a media file"],
    )


# -------------------------------------------------------------------------------- nothing to see


def test_flat_pictures_are_analysed_flagged_and_never_copies_of_each_other(
    sqlite_catalogue: Catalogue,
) -> None:
    home = sqlite_catalogue.home
    paths = []
    for name, colour in (("black.png", (0, 0, 0)), ("black.jpg", (0, 0, 0)), ("blue.png", (30, 120, 200))):
        Image.new("RGB", SIZE, colour).save(home / name)
        paths.append(home / name)
    Image.new("RGB", (64, 48), (255, 255, 255)).save(home / "white.jpg")
    paths.append(home / "white.jpg")
    run = add_hostile(sqlite_catalogue, *paths, code=0, analysis="ok")
    assert [r["near_duplicates"] for r in run.results] == [[]] * 4
    for entry in run.results:
        [frame] = frames_of(sqlite_catalogue, entry["id"])
        assert frame["flat"] is True, entry["path"]
    assert sqlite_catalogue.json("dupes")["clusters"] == []
