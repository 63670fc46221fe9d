"""Still images: decode, orient, normalise, fingerprint (PDQ + its 8 dihedral variants), thumbnail.

Every picture becomes an upright H x W x 3 uint8 sRGB-ish array before hashing, by these rules:

* EXIF orientation (tag 0x0112, read as `ImageOps.exif_transpose` reads it, XMP included) is applied
  to the pixels; a missing, unreadable or out-of-range value counts as 1.
* Animated and multi-page files: the first frame only; `frames` reports how many there are (MPO files
  count as 1: their extra pictures are previews or stereo pairs, not frames).
* Alpha (RGBA, LA, PA, RGBa, and P/L/RGB/1 with a `transparency` colour key) is composited over
  `BACKGROUND`, constant white, as browsers, viewers and "flatten" commands show such images, so a
  screenshot or flattened copy hashes like the original. Colours under fully transparent pixels never
  count.
* 16-bit (I;16, I;16L, I;16B, I;16N), 32-bit integer (I) and float (F) greyscale are scaled, never
  clipped at 255, by the smallest usual range that holds every value: [0, 1] (floats only) -> x 255;
  [0, 255] as is (8-bit data widened without scaling, as Pillow's own `convert("I;16")` makes it);
  [0, 65535] by the 16-bit type range, ``round(v / 257)``, the exact inverse of 8 -> 16-bit widening;
  anything else (negative, larger) by the image's own min..max stretched to 0..255. NaN counts as the
  minimum, +inf as the maximum. PDQ ignores affine changes of luma, so the choice of scale only
  matters for rounding, the quality score and the thumbnail.
* CMYK goes through its embedded ICC profile to sRGB when it has a usable one, else Pillow's
  ``(255 - c)(255 - k) / 255`` (Adobe's inverted CMYK JPEGs are already un-inverted by Pillow).
* 1, L, P, YCbCr, HSV, LAB, RGBX: Pillow's conversion to RGB. Any other mode is refused.

Then a uniform black or white border (letterbox, pillarbox, padding) is found on the upright luma
(`geometry.find_border`; for black bars the rules `borders.py` applies to videos) and cut off before
the canonical hash, so a screenshot of a letterboxed video hashes like the video's canonical frames.
The uncropped hash is kept as `pdq_raw`. A "border" around a flat patch is the picture: not cut.

Decoding is strict: a truncated or corrupt file is an `ImageError`, never a partial picture (a
half-decoded image would hash as something it is not). Pillow's decoders decide what is complete: a
JPEG missing only its end marker is refused; a PNG missing only its IEND trailer has every pixel and
is accepted. Images over `max_pixels` are refused from their header, before any pixel is decoded.
A PNG whose text chunks Pillow refuses to inflate (a text bomb) is read without them (`png_text`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import struct
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

import numpy as np

from evidence.core.box import Box
from evidence.errors import EvidenceError, ExitCode
from evidence.media import sscd
from evidence.media.image.geometry import find_border, is_flat
from evidence.media.image.pixels import BACKGROUND, RGB, UnsupportedMode, to_rgb
from evidence.media.pdq import pdq_dihedral_from_rgb, pdq_from_rgb
from evidence.media.probe import png_text
from evidence.media.probe.image import PIXEL_LIMIT

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = [
    "BACKGROUND",
    "MIN_QUALITY",
    "ImageAnalysis",
    "ImageError",
    "analyse_image",
    "analyse_rgb",
    "find_border",
    "is_flat",
    "load_upright_rgb",
    "luma_of",
    "normalise",
    "thumbnail_jpeg",
]

log = logging.getLogger(__name__)


"""What transparent pixels are composited on: white."""
MIN_QUALITY: Final = 50
"""PDQ quality below which a hash carries no weight in matching."""
THUMB_WIDTH: Final = 320
THUMB_MAX_HEIGHT: Final = 960
THUMB_QUALITY: Final = 80

_ORIENTATION_TAG: Final = 0x0112
_TRUNCATED: Final = "truncated or corrupt image"
_DECODE_ERRORS: Final = (  # what Pillow raises on damaged files (MemoryError is reported apart)
    OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError,
    struct.error, zlib.error, OverflowError, ZeroDivisionError,
)  # fmt: skip


class ImageError(EvidenceError):
    """An image that cannot be analysed (too large, truncated, corrupt, unsupported); one line."""

    exit_code = ExitCode.ANALYSIS_INCOMPLETE


@dataclass(frozen=True, slots=True)
class ImageAnalysis:
    """What analysing one still image yields. Hashes are PDQ v1 (`core.fingerprint`)."""

    width: int  # upright
    height: int
    orientation: int  # EXIF orientation applied (1 when none)
    border: Box | None  # content box kept (upright coordinates) when a uniform border was cut off
    pdq: bytes  # canonical: upright, border removed
    quality: int
    pdq_raw: bytes | None  # upright, uncropped; only when a border was removed
    quality_raw: int | None
    dihedral: list[bytes]  # of the canonical picture, in `core.names.DIHEDRAL_NAMES` order
    flat: bool
    thumbnail_jpeg: bytes  # upright, uncropped, at most THUMB_WIDTH wide
    frames: int  # 1, or the frame count of an animated image
    descriptor: bytes = b""  # the canonical picture's copy-detection descriptor (`media.sscd.pack`)

    @property
    def informative(self) -> bool:
        """Whether the canonical hash may count as match evidence (not flat, quality >= MIN_QUALITY)."""
        return not self.flat and self.quality >= MIN_QUALITY


# ---------------------------------------------------------------- decoding


def load_upright_rgb(
    path: Path, *, max_pixels: int = PIXEL_LIMIT, formats: Sequence[str] | None = None
) -> RGB:
    """The first frame of the image at `path`, upright, normalised to H x W x 3 uint8.

    `formats` limits the Pillow plugins tried (e.g. `["JPEG"]` for a file sniffed as JPEG); None tries
    them all. Raises `ImageError` (too large, truncated, corrupt, unsupported) or `OSError` (unreadable).
    """
    rgb, _, _ = _load(Path(path), max_pixels, formats)
    return rgb


def _load(path: Path, max_pixels: int, formats: Sequence[str] | None) -> tuple[RGB, int, int]:
    """(upright RGB, EXIF orientation applied, frame count)."""
    with path.open("rb") as fh:
        try:
            return _load_from(fh, path, max_pixels, formats)
        except _TextOverflow:  # a PNG text bomb: the picture is read without the text chunks
            log.info("%s: %s", path, png_text.TEXT_DROPPED)
            return _load_from(png_text.without_text(fh), path, max_pixels, formats)


class _TextOverflow(Exception):
    """Pillow refused a PNG's oversized text chunks (see `png_text`)."""


def _load_from(
    fh: IO[bytes], path: Path, max_pixels: int, formats: Sequence[str] | None
) -> tuple[RGB, int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(fh, formats=None if formats is None else list(formats))
    except Image.DecompressionBombError:
        raise ImageError(_too_large(_header_size(fh, formats))) from None
    except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
        if png_text.is_text_overflow(exc):
            raise _TextOverflow from None
        log.debug("Pillow could not open %s: %s", path, exc)
        raise ImageError(_TRUNCATED) from None
    with image:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise ImageError(_TRUNCATED)
        if width * height > max_pixels:
            raise ImageError(_too_large((width, height)))
        frames = _frame_count(image)
        try:
            image.load()
        except MemoryError:
            raise ImageError(f"not enough memory to decode a {width} x {height} image") from None
        except _DECODE_ERRORS as exc:
            if png_text.is_text_overflow(exc):
                raise _TextOverflow from None
            log.debug("Pillow could not decode %s: %s", path, exc)
            raise ImageError(_TRUNCATED) from None
        orientation = _orientation(image)
        try:
            return normalise(image), orientation, frames
        except MemoryError:
            raise ImageError(f"not enough memory to convert a {width} x {height} image") from None
        except (OSError, ValueError) as exc:
            log.debug("Pillow could not convert %s (%s): %s", path, image.mode, exc)
            raise ImageError(f"cannot convert a {image.mode} image to RGB") from None


def _too_large(size: tuple[int, int] | None) -> str:
    return "image too large" if size is None else f"image too large: {size[0]} x {size[1]}"


def _header_size(fh: IO[bytes], formats: Sequence[str] | None) -> tuple[int, int] | None:
    """The size an over-limit image declares, read by the plugins' constructors (header only).

    `Image.open` tries the same plugins in the same order, then refuses the size; calling the
    constructor directly skips that check without decoding any pixel.
    """
    from PIL import Image

    Image.init()
    fh.seek(0)
    prefix = fh.read(16)
    for name in [f.upper() for f in formats] if formats is not None else Image.ID:
        if name not in Image.OPEN:
            continue
        factory, accept = Image.OPEN[name]
        try:
            accepted = accept(prefix) if accept is not None else True
            if not accepted or isinstance(accepted, str):
                continue
            fh.seek(0)
            width, height = factory(fh, "").size
        except _DECODE_ERRORS:
            continue
        return int(width), int(height)
    return None


def _frame_count(image: PILImage.Image) -> int:
    if image.format == "MPO":
        return 1
    try:
        frames = int(getattr(image, "n_frames", 1) or 1)
        if image.tell() != 0:
            image.seek(0)
    except _DECODE_ERRORS as exc:  # a damaged later frame: the first may still decode
        log.debug("could not count frames: %s", exc)
        with contextlib.suppress(*_DECODE_ERRORS):
            image.seek(0)
        return 1
    return max(frames, 1)


def _orientation(image: PILImage.Image) -> int:
    """EXIF orientation 1..8 as `ImageOps.exif_transpose` reads it; 1 when absent or invalid."""
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except _DECODE_ERRORS as exc:
        log.debug("unreadable EXIF orientation: %s", exc)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _orient(rgb: RGB, orientation: int) -> RGB:
    """Apply EXIF `orientation` as Pillow's `exif_transpose` does (its Transpose method in comments)."""
    turned: RGB
    match orientation:
        case 2:  # FLIP_LEFT_RIGHT
            turned = rgb[:, ::-1]
        case 3:  # ROTATE_180
            turned = rgb[::-1, ::-1]
        case 4:  # FLIP_TOP_BOTTOM
            turned = rgb[::-1]
        case 5:  # TRANSPOSE
            turned = rgb.swapaxes(0, 1)
        case 6:  # ROTATE_270 (counter-clockwise), i.e. 90 degrees clockwise
            turned = np.rot90(rgb, -1)
        case 7:  # TRANSVERSE
            turned = rgb[::-1, ::-1].swapaxes(0, 1)
        case 8:  # ROTATE_90 (counter-clockwise)
            turned = np.rot90(rgb, 1)
        case _:
            turned = rgb
    return np.ascontiguousarray(turned)


# ---------------------------------------------------------------- normalisation


def normalise(image: PILImage.Image) -> RGB:
    """The current frame of an open image, upright (EXIF orientation applied), as H x W x 3 uint8.

    Decodes the frame if it is not loaded yet (Pillow's errors then propagate as they are).
    """
    try:
        rgb = to_rgb(image)
    except UnsupportedMode as exc:
        raise ImageError(str(exc)) from None
    return _orient(rgb, _orientation(image))


# ---------------------------------------------------------------- analysis


def luma_of(rgb: RGB) -> RGB:
    """Rounded BT.601 luma (0.299 R + 0.587 G + 0.114 B) of an H x W x 3 uint8 array."""
    import cv2

    return np.asarray(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY), dtype=np.uint8)


def thumbnail_jpeg(rgb: RGB) -> bytes:
    """A JPEG (quality `THUMB_QUALITY`) at most `THUMB_WIDTH` wide and `THUMB_MAX_HEIGHT` high."""
    from PIL import Image

    picture = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    picture.thumbnail((THUMB_WIDTH, THUMB_MAX_HEIGHT), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=THUMB_QUALITY)
    return out.getvalue()


def analyse_rgb(rgb: RGB, *, orientation: int = 1, frames: int = 1) -> ImageAnalysis:
    """Analyse an upright H x W x 3 uint8 picture (what `analyse_image` does after decoding)."""
    luma = luma_of(rgb)
    border = find_border(luma)
    if border is not None and is_flat(border.crop(luma)):
        border = None  # the "border" is the picture: a lone patch on a plain ground
    canonical = rgb if border is None else border.crop(rgb)
    dihedral = pdq_dihedral_from_rgb(canonical)
    pdq, quality = dihedral[0]
    raw = pdq_from_rgb(rgb) if border is not None else None
    return ImageAnalysis(
        width=rgb.shape[1],
        height=rgb.shape[0],
        orientation=orientation,
        border=border,
        pdq=pdq,
        quality=quality,
        pdq_raw=raw[0] if raw else None,
        quality_raw=raw[1] if raw else None,
        dihedral=[value for value, _ in dihedral],
        flat=is_flat(luma if border is None else border.crop(luma)),
        thumbnail_jpeg=thumbnail_jpeg(rgb),
        frames=frames,
        descriptor=sscd.pack(sscd.describe([np.ascontiguousarray(canonical)])[0]),
    )


def analyse_image(
    path: Path, *, max_pixels: int = PIXEL_LIMIT, formats: Sequence[str] | None = None
) -> ImageAnalysis:
    """Decode, orient and normalise the image at `path`, then fingerprint it (see the module notes).

    Arguments and errors as for `load_upright_rgb`.
    """
    rgb, orientation, frames = _load(Path(path), max_pixels, formats)
    return analyse_rgb(rgb, orientation=orientation, frames=frames)
