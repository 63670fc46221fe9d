"""Still images: orientation, modes, dihedral hashes, borders, flat pictures, refusals, golden hashes."""

from __future__ import annotations

import functools
import io
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mediagen import (
    make_animated_gif,
    make_image,
    make_jpeg_with_exif,
    make_png_bomb,
    sample_image,
    truncate,
    video_frame,
)
from PIL import Image, ImageOps

from evidence.core.box import Box
from evidence.core.names import DIHEDRAL_NAMES
from evidence.errors import EvidenceError, ExitCode
from evidence.media.image.analyse import (
    BACKGROUND,
    MIN_QUALITY,
    THUMB_WIDTH,
    ImageAnalysis,
    ImageError,
    analyse_image,
    analyse_rgb,
    find_border,
    is_flat,
    load_upright_rgb,
    luma_of,
    normalise,
)
from evidence.media.pdq import pdq_from_rgb
from evidence.media.video.borders import percentiles_1_99

SHARED = (Path(__file__).resolve().parents[2] / ".." / "shared" / "media" / "pdq").resolve()
needs_shared = pytest.mark.skipif(
    not (SHARED / "expected.json").is_file(), reason=f"shared PDQ images not found at {SHARED}"
)
MODES_DIR = SHARED / "misc-images" / "modes"
MODE_FILES = (
    "1.png CMYK.jpg F.webp HSV.webp I.webp L.png LA.png LAB.webp P.png PA.webp RGB.jpg RGBA.png YCbCr.jpg"
)

MATCH = 31  # the usual PDQ match threshold
CLOSE = 10  # Meta's tolerance for re-decoded images of quality >= 80

RGB = npt.NDArray[np.uint8]


def dist(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


@functools.cache
def shared(name: str) -> ImageAnalysis:
    return analyse_image(SHARED / name)


def card(width: int = 320, height: int = 240) -> RGB:
    """A detailed integer-only picture with no dark or light edges (values 40..215)."""
    yy, xx = np.mgrid[0:height, 0:width]
    r = 40 + (xx * 175) // max(width - 1, 1)
    g = 40 + ((xx // 23 + yy // 17) % 2) * 120 + (yy * 55) // max(height - 1, 1)
    b = np.where(
        (xx - width * 0.6) ** 2 + (yy - height * 0.4) ** 2 < (min(width, height) * 0.25) ** 2, 215, 60
    )
    b = np.where((yy > height * 0.7) & (xx > width * 0.1) & (xx < width * 0.5), 120, b)
    return np.stack([r, g, b], axis=2).astype(np.uint8)


def save(rgb: RGB, path: Path, **options: object) -> Path:
    Image.fromarray(rgb).save(path, **options)
    return path


def framed(rgb: RGB, top: int, bottom: int, left: int, right: int, colour: int = 0) -> RGB:
    h, w, _ = rgb.shape
    canvas = np.full((h + top + bottom, w + left + right, 3), colour, dtype=np.uint8)
    canvas[top : top + h, left : left + w] = rgb
    return canvas


# ---------------------------------------------------------------- every Pillow mode


@needs_shared
@pytest.mark.parametrize("mode_file", MODE_FILES.split())
def test_shared_mode_files_hash_like_the_original(mode_file: str) -> None:
    rgb = load_upright_rgb(MODES_DIR / mode_file)
    assert rgb.dtype == np.uint8 and rgb.shape == (1004, 1600, 3)
    original = shared("misc-images/modes/original.jpg")
    got = analyse_image(MODES_DIR / mode_file)
    assert got.border is None and not got.flat and got.quality == 100
    assert dist(got.pdq, original.pdq) <= 4  # measured: at most 2 (1, CMYK, F, HSV, P, PA, YCbCr)


@needs_shared
@pytest.mark.parametrize(
    "mode",
    [
        "1",
        "L",
        "LA",
        "P",
        "PA",
        "RGB",
        "RGBA",
        "RGBa",
        "RGBX",
        "CMYK",
        "YCbCr",
        "HSV",
        "LAB",
        "I",
        "I;16",
        "F",
    ],
)
def test_in_memory_conversions_hash_like_the_original(mode: str) -> None:
    with Image.open(MODES_DIR / "original.jpg") as im:
        original = im.convert("RGB")
    converted = original.convert(mode)
    assert converted.mode == mode
    rgb = normalise(converted)
    assert rgb.dtype == np.uint8 and rgb.shape == (1004, 1600, 3)
    # measured: 0 bits except 1, P, PA, YCbCr and HSV (2 bits)
    assert dist(pdq_from_rgb(rgb)[0], pdq_from_rgb(np.asarray(original))[0]) <= 4


@pytest.mark.parametrize("rawmode", ["I;16", "I;16B", "I;16L"])
def test_16_bit_is_scaled_not_clipped(rawmode: str) -> None:
    ramp = (np.arange(256 * 256, dtype=np.uint32).reshape(256, 256)).astype(np.uint16)  # 0..65535
    dtype = ">u2" if rawmode == "I;16B" else "<u2"
    image = Image.frombytes(rawmode, (256, 256), ramp.astype(dtype).tobytes())
    rgb = normalise(image)
    assert rgb.shape == (256, 256, 3) and (rgb[..., 0] == rgb[..., 2]).all()
    np.testing.assert_array_equal(rgb[..., 0], np.rint(ramp / 257).astype(np.uint8))
    assert rgb.min() == 0 and rgb.max() == 255 and 120 < rgb.mean() < 135  # not all white
    assert (Image.fromarray(ramp).convert("L").getextrema()) == (0, 255)  # what clipping would do


def test_16_bit_png_from_mediagen_decodes_like_its_8_bit_source(tmp_path: Path) -> None:
    path = make_image(tmp_path / "deep.png", mode="I;16")
    with Image.open(path) as im:
        assert im.mode.startswith("I")  # I;16 (or I in older Pillow)
    grey = np.asarray(sample_image().convert("L"))
    np.testing.assert_array_equal(load_upright_rgb(path)[..., 1], grey)


def test_16_bit_values_that_fit_8_bits_are_kept_as_they_are() -> None:
    grey = card()[..., 1]
    np.testing.assert_array_equal(normalise(Image.fromarray(grey).convert("I;16"))[..., 0], grey)


@pytest.mark.parametrize(
    ("scale", "offset"), [(1 / 255, 0.0), (1.0, 0.0), (257.0, 0.0), (1000.0, -5e5), (3.5, 1e6)]
)
def test_float_and_int32_images_keep_the_picture(scale: float, offset: float) -> None:
    grey = card()[..., 1].astype(np.float64)
    values = grey * scale + offset
    expected = pdq_from_rgb(np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2))
    for image in (Image.fromarray(values.astype(np.float32), "F"), Image.fromarray(values.astype(np.int32))):
        if image.mode == "I" and scale < 1:
            continue  # not representable as integers
        rgb = normalise(image)
        assert rgb.max() - rgb.min() >= 170, image.mode  # stretched over most of 0..255, never clipped flat
        got = pdq_from_rgb(rgb)
        assert dist(got[0], expected[0]) <= 2 and got[1] == expected[1], image.mode  # measured: 0 bits


def test_float_image_with_nan_and_inf(tmp_path: Path) -> None:
    values = card()[..., 1].astype(np.float32) / 255
    values[:10, :10] = np.nan
    values[-10:, -10:] = np.inf
    path = tmp_path / "float.tiff"
    Image.fromarray(values, "F").save(path)
    rgb = load_upright_rgb(path)
    grey = card()[..., 1]
    assert rgb[0, 0, 0] == grey.min() and rgb[-1, -1, 0] == grey.max()  # NaN -> minimum, inf -> maximum
    np.testing.assert_array_equal(rgb[20:-20, 20:-20, 0], grey[20:-20, 20:-20])


def test_unsupported_mode_is_refused() -> None:
    with pytest.raises(ImageError, match="unsupported image mode: La"):
        normalise(Image.new("La", (8, 8)))


def test_cmyk_with_an_unusable_icc_profile_falls_back(tmp_path: Path) -> None:
    from PIL import ImageCms

    cmyk = Image.fromarray(card()).convert("CMYK")
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # wrong colour space for CMYK
    path = tmp_path / "cmyk.jpg"
    cmyk.save(path, quality=95, icc_profile=srgb)
    assert dist(pdq_from_rgb(load_upright_rgb(path))[0], pdq_from_rgb(card())[0]) <= 4


# ---------------------------------------------------------------- alpha


def transparent_card(garbage_seed: int) -> tuple[Image.Image, RGB]:
    """An RGBA card with a fully transparent band (random colours beneath) and a half-transparent one;
    and its expected composite on the white background."""
    rgb = card()
    alpha = np.full(rgb.shape[:2], 255, dtype=np.uint8)
    alpha[150:200, :] = 128
    alpha[:, 200:260] = 0
    noisy = rgb.copy()
    noisy[alpha == 0] = np.random.default_rng(garbage_seed).integers(0, 256, ((alpha == 0).sum(), 3))
    a = alpha[..., None].astype(np.float64) / 255
    expected = np.rint(rgb * a + np.array(BACKGROUND) * (1 - a)).astype(np.uint8)
    return Image.fromarray(np.dstack([noisy, alpha]), "RGBA"), expected


def test_alpha_is_composited_on_white_whatever_lies_beneath() -> None:
    assert BACKGROUND == (255, 255, 255)
    first, expected = transparent_card(1)
    second, _ = transparent_card(2)
    got = normalise(first)
    np.testing.assert_array_equal(got, normalise(second))
    assert (got[:, 200:260] == 255).all()
    assert np.abs(got.astype(int) - expected).max() <= 1


@pytest.mark.parametrize(("mode", "suffix"), [("RGBA", ".png"), ("LA", ".png"), ("PA", None), ("RGBa", None)])
def test_alpha_modes_are_composited_consistently(tmp_path: Path, mode: str, suffix: str | None) -> None:
    rgba, expected = transparent_card(3)
    image = rgba.convert(mode)
    if suffix:
        image.save(tmp_path / f"alpha{suffix}")
        image = Image.open(tmp_path / f"alpha{suffix}")
        assert image.mode == mode
    got = normalise(image)
    assert (got[:, 200:260] == 255).all()
    own = np.asarray(image.convert("RGBA"), dtype=np.float64)  # the colours this mode kept
    alpha = own[..., 3:] / 255
    blended = own[..., :3] * alpha + np.array(BACKGROUND) * (1 - alpha)
    assert np.abs(got - blended).max() <= 1
    if mode == "LA":
        expected = np.asarray(Image.fromarray(expected).convert("L").convert("RGB"))
    # measured: 0 bits (RGBA, RGBa, LA), 6 (PA: dithered to Pillow's web palette)
    assert dist(pdq_from_rgb(got)[0], pdq_from_rgb(expected)[0]) <= CLOSE


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_palette_transparency_key_is_composited(tmp_path: Path, suffix: str) -> None:
    palette = Image.fromarray(card()).quantize(64)
    pixels = np.asarray(palette).copy()
    pixels[:, :40] = 63
    keyed = Image.fromarray(pixels, "P")
    keyed.putpalette(palette.getpalette() or [])
    keyed.save(tmp_path / f"keyed{suffix}", transparency=63)
    got = load_upright_rgb(tmp_path / f"keyed{suffix}")
    assert (got[:, :40] == 255).all() and not (got[:, 40:] == 255).all()


# ---------------------------------------------------------------- EXIF orientation

# Pillow's transpose that undoes what exif_transpose applies for each orientation
_STORE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillow_exif_transpose(tmp_path: Path, orientation: int) -> None:
    path = make_jpeg_with_exif(tmp_path / "o.jpg", orientation=orientation)
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    np.testing.assert_array_equal(load_upright_rgb(path), expected)
    got = analyse_image(path)
    assert got.orientation == orientation
    assert (got.width, got.height) == (expected.shape[1], expected.shape[0])


def test_every_orientation_of_one_picture_comes_out_the_same(tmp_path: Path) -> None:
    upright = sample_image((320, 240))
    results, pixels = [], []
    for orientation, method in _STORE.items():
        exif = Image.open(
            make_jpeg_with_exif(tmp_path / f"tag{orientation}.jpg", orientation=orientation)
        ).getexif()
        stored = upright if method is None else upright.transpose(method)
        path = tmp_path / f"stored{orientation}.jpg"
        stored.save(path, quality=92, exif=exif)
        results.append(analyse_image(path))
        rgb = load_upright_rgb(path).astype(int)
        assert rgb.shape == (240, 320, 3)
        assert np.abs(rgb - np.asarray(upright, dtype=int)).mean() < 3  # JPEG loss only (measured: 2.3)
        pixels.append(rgb)
    reference = results[0]
    assert [r.orientation for r in results] == list(range(1, 9))
    for result in results:
        assert (result.width, result.height) == (320, 240)
        assert dist(result.pdq, reference.pdq) <= 2  # measured: 0 bits
    for rgb in pixels:  # measured: mean 0.19, max 15 (JPEG blocks coded transposed or mirrored)
        assert np.abs(rgb - pixels[0]).mean() < 0.5


def test_invalid_orientation_counts_as_upright(tmp_path: Path) -> None:
    path = make_jpeg_with_exif(tmp_path / "bad.jpg", orientation=9)
    assert analyse_image(path).orientation == 1
    np.testing.assert_array_equal(load_upright_rgb(path), np.asarray(Image.open(path).convert("RGB")))


# ---------------------------------------------------------------- dihedral hashes


@needs_shared
@pytest.mark.parametrize("index", range(8))
def test_rotated_and_mirrored_files_match_one_dihedral_hash(index: int) -> None:
    original = shared("dih/bridge-1-original.jpg")
    assert len(original.dihedral) == len(DIHEDRAL_NAMES) == 8 and original.dihedral[0] == original.pdq
    names = sorted(p.name for p in (SHARED / "dih").glob("bridge-*.jpg"))
    copy = shared(f"dih/{names[index]}")
    distances = [dist(copy.pdq, variant) for variant in original.dihedral]
    assert distances[index] <= CLOSE  # measured: at most 8 (re-encoded JPEGs)
    assert min(d for i, d in enumerate(distances) if i != index) > MATCH  # measured: >= 102


@needs_shared
def test_generated_rotation_of_a_shared_photo(tmp_path: Path) -> None:
    original = shared("bridge-mods/aaa-orig.jpg")
    rgb = load_upright_rgb(SHARED / "bridge-mods" / "aaa-orig.jpg")
    for k, transformed in enumerate([np.rot90(rgb, 1), rgb[:, ::-1], np.rot90(rgb, 2).swapaxes(0, 1)]):
        copy = analyse_image(save(np.ascontiguousarray(transformed), tmp_path / f"t{k}.jpg", quality=80))
        assert min(dist(copy.pdq, variant) for variant in original.dihedral) <= CLOSE  # measured: <= 8


@needs_shared
@pytest.mark.parametrize(
    "unrelated",
    [
        "pen-and-coaster.png",
        "misc-images/c.png",
        "misc-images/wee.jpg",
        "labelme-subset/q0122.jpg",
        "labelme-subset/q0291.jpg",
        "labelme-subset/q0746.jpg",
        "labelme-subset/q1050.jpg",
        "labelme-subset/q2821.jpg",
    ],
)
def test_unrelated_images_are_far_from_all_eight(unrelated: str) -> None:
    bridge = shared("bridge-mods/aaa-orig.jpg")
    other = shared(unrelated)
    assert min(dist(other.pdq, variant) for variant in bridge.dihedral) > MATCH  # measured: >= 112


# ---------------------------------------------------------------- black borders


@pytest.mark.parametrize(
    ("top", "bottom", "left", "right"), [(45, 45, 0, 0), (0, 0, 53, 53), (21, 21, 37, 37), (40, 9, 0, 0)]
)
@pytest.mark.parametrize("colour", [0, 255])
def test_border_is_found_and_removed(
    tmp_path: Path, top: int, bottom: int, left: int, right: int, colour: int
) -> None:
    picture = card()
    path = save(framed(picture, top, bottom, left, right, colour), tmp_path / "framed.jpg", quality=85)
    got = analyse_image(path)
    assert got.border is not None
    assert abs(got.border.x - left) <= 2 and abs(got.border.y - top) <= 2
    assert abs(got.border.w - 320) <= 3 and abs(got.border.h - 240) <= 3
    plain = pdq_from_rgb(picture)[0]
    assert dist(got.pdq, plain) <= CLOSE  # measured: at most 6 (JPEG q85 of the framed copy)
    assert got.pdq_raw is not None and got.quality_raw is not None
    assert dist(got.pdq_raw, plain) > dist(got.pdq, plain)
    assert (got.width, got.height) == (320 + left + right, 240 + top + bottom)


def test_screenshot_of_a_pillarboxed_video_hashes_like_its_frames(tmp_path: Path) -> None:
    frame = video_frame(10, 60, size=(320, 240))
    shown = np.asarray(Image.fromarray(frame).resize((960, 720), Image.Resampling.BILINEAR))
    got = analyse_image(save(framed(shown, 0, 0, 160, 160), tmp_path / "screenshot.png"))
    assert got.border == Box(160, 0, 960, 720)
    assert got.pdq == pdq_from_rgb(shown)[0]  # the bars are gone, not a pixel more or less
    # the 3x upscale alone moves these blocky synthetic frames by 6-22 bits (measured: 12 here)
    assert dist(got.pdq, pdq_from_rgb(frame)[0]) <= MATCH
    assert got.pdq_raw is not None and dist(got.pdq_raw, pdq_from_rgb(frame)[0]) > MATCH


@needs_shared
def test_letterboxed_shared_photo(tmp_path: Path) -> None:
    rgb = load_upright_rgb(SHARED / "bridge-mods" / "aaa-orig.jpg")
    got = analyse_image(save(framed(rgb, 150, 150, 0, 0), tmp_path / "letterbox.jpg", quality=85))
    assert got.border == Box(0, 150, 1600, 1004)
    assert dist(got.pdq, shared("bridge-mods/aaa-orig.jpg").pdq) <= CLOSE  # measured: 0
    assert got.pdq_raw is not None and dist(got.pdq_raw, got.pdq) > MATCH  # measured: 136


def test_no_border_on_plain_pictures_and_thin_edges() -> None:
    assert find_border(luma_of(card())) is None
    thin = framed(card(), 3, 3, 0, 0)  # 1.2 % of the height: below min_fraction
    assert find_border(luma_of(thin)) is None
    assert find_border(luma_of(thin), min_fraction=0.01) == Box(0, 3, 320, 240)


def test_lone_patch_on_a_plain_ground_is_a_picture_not_a_border() -> None:
    ground = np.zeros((240, 320, 3), dtype=np.uint8)
    ground[100:140, 140:180] = 255
    got = analyse_rgb(ground)
    assert got.border is None and not got.flat


def test_find_border_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="2-D"):
        find_border(card())
    assert find_border(np.zeros((0, 0), dtype=np.uint8)) is None
    assert find_border(np.zeros((50, 50), dtype=np.uint8)) is None  # all border


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    top=st.integers(0, 60),
    bottom=st.integers(0, 60),
    left=st.integers(0, 80),
    right=st.integers(0, 80),
    colour=st.sampled_from([0, 12, 240, 255]),
)
def test_find_border_recovers_exact_bars(top: int, bottom: int, left: int, right: int, colour: int) -> None:
    luma = luma_of(framed(card(), top, bottom, left, right, colour))
    height, width = luma.shape
    kept = [bar if bar >= 0.02 * side else 0 for bar, side in ((top, height), (bottom, height))]
    kept += [bar if bar >= 0.02 * side else 0 for bar, side in ((left, width), (right, width))]
    box = find_border(luma)
    if not any(kept):
        assert box is None
    else:  # bars thinner than 2 % of their side stay, as borders.py does for videos
        k_top, k_bottom, k_left, k_right = kept
        assert box == Box(k_left, k_top, width - k_left - k_right, height - k_top - k_bottom)


# ---------------------------------------------------------------- flat pictures and quality


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (30, 120, 200), (128, 128, 128)])
@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_single_colour_pictures_are_flat(tmp_path: Path, colour: tuple[int, int, int], suffix: str) -> None:
    path = tmp_path / f"flat{suffix}"
    Image.new("RGB", (320, 240), colour).save(path)
    got = analyse_image(path)
    assert got.flat and not got.informative and got.border is None


def test_flat_judges_luma_spread() -> None:
    rng = np.random.default_rng(0)
    assert is_flat(np.clip(rng.normal(16, 1.5, (480, 640)), 0, 255).astype(np.uint8))  # noisy black
    assert is_flat(np.zeros((0, 5), dtype=np.uint8))
    assert not is_flat(luma_of(card()))
    assert not analyse_rgb(card()).flat and analyse_rgb(card()).informative


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_flat_spread_is_numpys_percentiles_exactly(dtype: type[np.unsignedinteger[Any]]) -> None:
    # is_flat's own 1st/99th percentiles must be np.percentile's to the last bit, so that no frame's
    # `flat` (never match evidence) changes with the faster computation
    rng = np.random.default_rng(5)
    top = np.iinfo(dtype).max + 1
    for size in (4096, 4096, 1, 2, 3, 99, 100, 101, 257):
        for _ in range(60):
            spread = int(rng.integers(1, top))
            base = int(rng.integers(0, top - spread + 1))
            values = (base + rng.integers(0, spread, size)).astype(dtype)
            if rng.random() < 0.3:  # a few outliers on a flat field, the case the percentiles are for
                values[rng.random(size) < 0.02] = rng.integers(0, top)
            assert percentiles_1_99(values) == tuple(float(v) for v in np.percentile(values, (1, 99)))


def test_low_quality_is_not_informative() -> None:
    blurry = np.repeat(np.linspace(60, 180, 320, dtype=np.float32)[None, :], 240, axis=0).astype(np.uint8)
    got = analyse_rgb(np.repeat(blurry[..., None], 3, axis=2))
    assert got.quality < MIN_QUALITY and not got.informative


# ---------------------------------------------------------------- refusals


def test_decompression_bomb_is_refused_from_its_header(tmp_path: Path) -> None:
    bomb = make_png_bomb(tmp_path / "bomb.png")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ImageError, match=r"^image too large: 100000 x 100000$"):
            analyse_image(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10  # decoding 10^10 pixels would take minutes
    assert peak < 5_000_000


def test_max_pixels_is_checked_before_decoding(tmp_path: Path) -> None:
    bomb = make_png_bomb(tmp_path / "wide.png", width=5000, height=4000)
    started = time.perf_counter()
    with pytest.raises(ImageError, match=r"^image too large: 5000 x 4000$"):
        load_upright_rgb(bomb, max_pixels=1_000_000)
    assert time.perf_counter() - started < 10  # a hang guard; speed is measured in bench/


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
@pytest.mark.parametrize("keep", [0.5, 0.9, 40, 10])
def test_truncated_files_are_refused(tmp_path: Path, suffix: str, keep: float) -> None:
    source = make_image(tmp_path / f"whole{suffix}", size=(320, 240))
    cut = truncate(source, tmp_path / f"cut{suffix}", keep)
    with pytest.raises(ImageError, match=r"^truncated or corrupt image$") as caught:
        analyse_image(cut)
    assert isinstance(caught.value, EvidenceError) and caught.value.exit_code == ExitCode.ANALYSIS_INCOMPLETE


def test_only_complete_pictures_are_accepted(tmp_path: Path) -> None:
    jpeg = make_image(tmp_path / "whole.jpg")
    with pytest.raises(ImageError):  # strict: Pillow refuses a JPEG missing only its end marker
        analyse_image(truncate(jpeg, tmp_path / "no-eoi.jpg", jpeg.stat().st_size - 2))
    png = make_image(tmp_path / "whole.png")
    # a PNG cut inside its IEND trailer still has every pixel, and decodes exactly
    cut = truncate(png, tmp_path / "no-iend.png", png.stat().st_size - 2)
    np.testing.assert_array_equal(load_upright_rgb(cut), np.asarray(sample_image()))


def test_not_an_image_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "text.jpg").write_text("hello\n")
    with pytest.raises(ImageError, match="truncated or corrupt image"):
        analyse_image(tmp_path / "text.jpg")
    with pytest.raises(FileNotFoundError):
        analyse_image(tmp_path / "missing.png")


def test_formats_limit_the_decoders_tried(tmp_path: Path) -> None:
    jpeg = make_image(tmp_path / "photo.jpg")
    assert analyse_image(jpeg, formats=["JPEG"]).width == 320
    with pytest.raises(ImageError, match="truncated or corrupt image"):
        analyse_image(jpeg, formats=["PNG"])
    with pytest.raises(ImageError, match=r"^image too large: 100000 x 100000$"):
        analyse_image(make_png_bomb(tmp_path / "bomb.png"), formats=["PNG"])


# ---------------------------------------------------------------- animation and thumbnails


@pytest.mark.parametrize("suffix", [".gif", ".png", ".webp"])
def test_animated_image_uses_the_first_frame(tmp_path: Path, suffix: str) -> None:
    path = make_animated_gif(tmp_path / f"anim{suffix}", frames=5, size=(160, 120))
    got = analyse_image(path)
    assert got.frames == 5 and (got.width, got.height) == (160, 120)
    first = pdq_from_rgb(np.asarray(sample_image((160, 120), 0)))[0]
    second = pdq_from_rgb(np.asarray(sample_image((160, 120), 1)))[0]
    assert dist(got.pdq, first) <= CLOSE < dist(got.pdq, second)  # measured: <= 4 (GIF palette, lossy WebP)


def test_still_image_has_one_frame(tmp_path: Path) -> None:
    assert analyse_image(make_image(tmp_path / "still.png")).frames == 1


def test_thumbnail_is_an_upright_jpeg_at_most_320_wide(tmp_path: Path) -> None:
    got = analyse_image(make_jpeg_with_exif(tmp_path / "rot.jpg", size=(1280, 960), orientation=6))
    with Image.open(io.BytesIO(got.thumbnail_jpeg)) as thumb:
        assert thumb.format == "JPEG" and thumb.mode == "RGB"
        assert thumb.size == (THUMB_WIDTH, 427)  # 960 x 1280 upright: portrait after rotation
    small = analyse_image(make_image(tmp_path / "small.png", size=(100, 60)))
    with Image.open(io.BytesIO(small.thumbnail_jpeg)) as thumb:
        assert thumb.size == (100, 60)  # never enlarged


def test_the_raw_hash_is_there_only_when_a_border_was_cut() -> None:
    got = analyse_rgb(framed(card(), 40, 40, 0, 0))
    assert got.pdq_raw is not None and len(got.pdq_raw) == 32 and got.dihedral[0] == got.pdq
    assert analyse_rgb(card()).pdq_raw is None


# ---------------------------------------------------------------- golden hashes

# A change here re-keys every stored image fingerprint: bump PDQ_VERSION (or the image pipeline's) instead.
GOLDEN_SHARED = {
    "bridge-mods/aaa-orig.jpg": "pdq.v1:f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
    "misc-images/c.png": "pdq.v1:e64cc9d91c623882f8d1f1d9a398e78c9f199b3bd83924f2b7e11e0bf861b064",
    "pen-and-coaster.png": "pdq.v1:1f811b9d267fbc6693c0c7f30e041f9df49b836303e10f067fcdfc12c02d01f9",
}
GOLDEN_DEEP = ("00400000016100405fff01405fff057f5fff016f7fff1fff016f01675fff016f", 100)
GOLDEN_DEEP_RAW = ("0000ffffffffffffffffffffffffffffffff0000000000000000000000000000", 100)
GOLDEN_ALPHA = ("fc4042ffbd01bd10ec11bd00e916bd15bd41bd147c6efc49ec0bad11bc896976", 100)


@needs_shared
@pytest.mark.parametrize(("name", "tagged"), sorted(GOLDEN_SHARED.items()))
def test_golden_shared(name: str, tagged: str) -> None:
    got = shared(name)
    assert (f"pdq.v1:{got.pdq.hex()}", got.quality, got.border, got.orientation) == (tagged, 100, None, 1)


def test_golden_16_bit_rotated_letterboxed(tmp_path: Path) -> None:
    """16-bit scaling, orientation, border removal and hashing together, on integer-only pixels."""
    picture = framed(card(400, 300), 30, 30, 0, 0)
    deep = (picture[..., 1].astype(np.uint16) * 257).T.copy()  # stored transposed: EXIF orientation 5
    exif = Image.Exif()
    exif[0x0112] = 5
    path = tmp_path / "golden.png"
    Image.fromarray(deep).save(path, exif=exif)
    got = analyse_image(path)
    assert got.orientation == 5 and (got.width, got.height) == (400, 360)
    assert got.border == Box(0, 30, 400, 300)
    assert (got.pdq.hex(), got.quality) == GOLDEN_DEEP
    assert (got.pdq_raw and got.pdq_raw.hex(), got.quality_raw) == GOLDEN_DEEP_RAW


def test_golden_transparent_rotated(tmp_path: Path) -> None:
    """Alpha compositing on the fixed background and orientation, on integer-only pixels."""
    rgba = np.dstack([card(), np.full((240, 320), 255, dtype=np.uint8)])
    rgba[:, 250:, 3] = 0
    rgba[:, 250:, :3] = 0  # what lies beneath must not count
    rgba[100:140, :250, 3] = 100
    exif = Image.Exif()
    exif[0x0112] = 8
    path = tmp_path / "golden.png"
    Image.fromarray(np.ascontiguousarray(np.rot90(rgba, -1)), "RGBA").save(path, exif=exif)
    got = analyse_image(path)
    assert got.orientation == 8 and (got.width, got.height) == (320, 240)
    assert got.border == Box(0, 0, 250, 240)  # the transparent band became white padding
    assert (got.pdq.hex(), got.quality) == GOLDEN_ALPHA
