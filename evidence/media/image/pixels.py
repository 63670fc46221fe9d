"""Pixels of any Pillow mode as 8-bit RGB (the normalisation step of image analysis)."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from PIL import Image as PILImage

log = logging.getLogger(__name__)

RGB = npt.NDArray[np.uint8]
# what transparent pixels are shown over, as browsers, viewers and "flatten" commands do
BACKGROUND: Final = (255, 255, 255)
_ALPHA_MODES: Final = frozenset({"RGBA", "LA", "PA", "RGBa"})
_KEYED_MODES: Final = frozenset({"1", "L", "P", "RGB"})  # modes whose `transparency` Pillow applies
_RGB_MODES: Final = frozenset({"1", "L", "P", "RGB", "RGBX", "YCbCr", "HSV", "LAB"})


class UnsupportedMode(ValueError):
    """A Pillow mode with no RGB meaning."""


def to_rgb(image: PILImage.Image) -> RGB:
    """Any Pillow mode as H x W x 3 uint8 RGB: integers and floats stretched, grey spread to three
    channels, CMYK through its ICC profile when usable, transparency composited on `BACKGROUND`."""
    mode = image.mode
    if mode == "RGB" and "transparency" not in image.info:
        return np.asarray(image)
    if mode == "I" or mode.startswith("I;16"):
        return _grey(_from_integers(np.asarray(image)))
    if mode == "F":
        return _grey(_from_floats(np.asarray(image)))
    if mode == "CMYK":
        return np.asarray(_cmyk_to_rgb(image))
    if mode in _ALPHA_MODES or (mode in _KEYED_MODES and "transparency" in image.info):
        return _composite(image.convert("RGBA"))
    if mode in _RGB_MODES:
        return np.asarray(image.convert("RGB"))
    raise UnsupportedMode(f"unsupported image mode: {mode}")


def _grey(plane: RGB) -> RGB:
    return np.repeat(plane[:, :, None], 3, axis=2)


def _from_16bit(values: npt.NDArray[np.integer]) -> RGB:
    """0..65535 -> 0..255 by round(v / 257) (any byte order)."""
    return ((values.astype(np.uint32) + 128) // 257).astype(np.uint8)


def _from_integers(values: npt.NDArray[np.integer]) -> RGB:
    lo, hi = int(values.min()), int(values.max())
    if lo >= 0 and hi <= 255:
        return values.astype(np.uint8)
    if lo >= 0 and hi <= 65535:
        return _from_16bit(values)
    return _stretch(values.astype(np.float32), float(lo), float(hi))


def _from_floats(values: npt.NDArray[np.floating]) -> RGB:
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, dtype=np.uint8)
    lo, hi = float(values[finite].min()), float(values[finite].max())
    values = np.nan_to_num(values.astype(np.float32), nan=lo, posinf=hi, neginf=lo)
    if lo >= 0 and hi <= 1:
        return _stretch(values, 0.0, 1.0)
    if lo >= 0 and hi <= 255:
        return _stretch(values, 0.0, 255.0)
    if lo >= 0 and hi <= 65535:
        return _stretch(values, 0.0, 65535.0)
    return _stretch(values, lo, hi)


def _stretch(values: npt.NDArray[np.float32], lo: float, hi: float) -> RGB:
    """Map lo..hi linearly onto 0..255, rounded."""
    if hi <= lo:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = (values - np.float32(lo)) * np.float32(255.0 / (hi - lo))
    result: RGB = np.rint(np.clip(scaled, 0, 255)).astype(np.uint8)
    return result


def _composite(rgba: PILImage.Image) -> RGB:
    from PIL import Image

    canvas = Image.new("RGB", rgba.size, BACKGROUND)
    canvas.paste(rgba, (0, 0), rgba)  # blends by rgba's alpha band
    return np.asarray(canvas)


def _cmyk_to_rgb(image: PILImage.Image) -> PILImage.Image:
    profile = image.info.get("icc_profile")
    if profile:
        from PIL import ImageCms

        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
            log.debug("unusable CMYK ICC profile, converting without it: %s", exc)
    return image.convert("RGB")
