"""Footage with real-looking motion for matching tests: a virtual hand-held camera drifting over a
real photograph (from ../shared/media/pdq, else a generated picture), with edits applied per frame.

`pan_frames(photo, seconds, fps, size, seed)` yields RGB frames; `write_clip(path, frames, fps)` encodes
them (H.264, or VP9 for .webm). Edits are plain functions on an RGB frame, so tests build copies
(re-encoded, resized, letterboxed, mirrored, logo'd, trimmed) with exact ground truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evidence.core.box import Box

SHARED_PDQ = Path(__file__).resolve().parents[1].parent / "shared" / "media" / "pdq"
PHOTOS = (
    "labelme-subset/q0291.jpg",
    "labelme-subset/q1050.jpg",
    "labelme-subset/q2821.jpg",
    "bridge-mods/aaa-orig.jpg",
    "labelme-subset/q0746.jpg",
    "labelme-subset/q0122.jpg",
)

Frame = np.ndarray
Edit = Callable[[Frame], Frame]


def needs_photos() -> pytest.MarkDecorator:
    """Skip where the footage must look like unrelated photographs to the copy-detection descriptor:
    the generated stand-ins are pictures of one kind, which it rightly finds alike (0.7 between any two)."""
    return pytest.mark.skipif(
        not SHARED_PDQ.is_dir(),
        reason="needs the photographs in ../shared/media/pdq: the generated stand-ins are pictures of one "
        "kind, which the copy-detection descriptors rightly find alike",
    )


def photo(n: int) -> np.ndarray:
    """RGB pixels of shared photo `n`, or a generated textured picture when the folder is absent."""
    path = SHARED_PDQ / PHOTOS[n % len(PHOTOS)]
    if path.is_file():
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB").resize((960, 720), Image.Resampling.BILINEAR))
    return generated_photo(n)


def generated_photo(n: int, size: tuple[int, int] = (960, 720)) -> np.ndarray:
    """A picture with photo-like detail at every scale (soft colour fields, shapes with edges, fine
    grain), different for each `n`: stands in for the shared photos when they are not beside the repo."""
    import cv2

    width, height = size
    rng = np.random.default_rng(1000 + n)
    picture = np.zeros((height, width, 3), dtype=np.float32)
    for cells in (3, 8, 24):  # colour fields from coarse to fine
        small = rng.uniform(0, 255, (cells * 3 // 4 + 1, cells + 1, 3)).astype(np.float32)
        picture += cv2.resize(small, size, interpolation=cv2.INTER_CUBIC) / 3
    canvas = np.clip(picture, 0, 255).astype(np.uint8)
    for _ in range(160):  # objects with hard edges
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(8, 90))
        if rng.random() < 0.5:
            cv2.circle(canvas, (x, y), r, colour, -1)
        else:
            cv2.rectangle(canvas, (x - r, y - r // 2), (x + r, y + r // 2), colour, -1)
    grain = rng.normal(0, 6, canvas.shape)
    return np.clip(canvas + grain, 0, 255).astype(np.uint8)


def daylight(n: int, size: tuple[int, int]) -> Frame:
    """A bright still scene (a generated photograph's detail on luma 170..255, like a page or a slide):
    it stands out from a dark studio or bezel along the whole of a window's sides."""
    import cv2

    scene = cv2.resize(generated_photo(n), size, interpolation=cv2.INTER_AREA)
    return (scene // 3 + 170).astype(np.uint8)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    ix = max(0, min(a.right, b.right) - max(a.x, b.x))
    iy = max(0, min(a.bottom, b.bottom) - max(a.y, b.y))
    inter = ix * iy
    return inter / (a.area + b.area - inter)


def pan_frames(
    picture: np.ndarray, seconds: float, fps: int = 30, size: tuple[int, int] = (320, 240), seed: int = 0
) -> Iterator[Frame]:
    """A camera window drifting and shaking over `picture`, zooming slowly."""
    import cv2

    width, height = size
    rng = np.random.default_rng(seed)
    frames = int(seconds * fps)
    ph, pw = picture.shape[:2]
    jitter = rng.normal(0, 2.0, (frames, 2)).cumsum(axis=0) * 0.3
    for i in range(frames):
        t = i / max(frames - 1, 1)
        zoom = 0.45 + 0.15 * np.sin(t * np.pi)
        w, h = pw * zoom, ph * zoom
        cx = pw * (0.3 + 0.4 * t) + jitter[i, 0]
        cy = ph * (0.5 + 0.15 * np.sin(2 * np.pi * t)) + jitter[i, 1]
        x0 = float(np.clip(cx - w / 2, 0, pw - w))
        y0 = float(np.clip(cy - h / 2, 0, ph - h))
        matrix = np.float32([[width / w, 0, -x0 * width / w], [0, height / h, -y0 * height / h]])
        yield cv2.warpAffine(picture, matrix, (width, height), flags=cv2.INTER_LINEAR)


def write_clip(path: Path, frames: Iterable[Frame], fps: int | Fraction = 30, crf: int = 23) -> Path:
    import av

    codec = "libvpx-vp9" if path.suffix == ".webm" else "libx264"
    options = (
        # mbtree off and one thread: x264's macroblock-tree rate control gives other bytes for the same
        # frames from run to run (its float code depends on memory layout), and tests must see the
        # same copies every time
        {"crf": str(crf), "preset": "veryfast", "x264-params": "mbtree=0:threads=1"}
        if codec == "libx264"
        else {"deadline": "realtime", "cpu-used": "8", "crf": "40", "b": "0"}
    )
    with av.open(str(path), "w") as container:
        stream = None
        for i, frame in enumerate(frames):
            if stream is None:
                stream = container.add_stream(codec, rate=Fraction(fps), options=options)
                stream.height, stream.width = frame.shape[:2]
                stream.pix_fmt = "yuv420p"
            video = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            video.pts = i
            video.time_base = 1 / Fraction(fps)
            container.mux(stream.encode(video))
        if stream is not None:
            container.mux(stream.encode(None))
    return path


def edited(frames: Iterable[Frame], *edits: Edit) -> Iterator[Frame]:
    for frame in frames:
        for edit in edits:
            frame = edit(frame)
        yield frame


def resize(width: int, height: int) -> Edit:
    import cv2

    return lambda f: cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA)


def letterbox(bar: int) -> Edit:
    """Black bars of `bar` pixels above and below (the picture is squeezed to keep the frame size)."""
    import cv2

    def apply(f: Frame) -> Frame:
        h, w = f.shape[:2]
        out = np.zeros_like(f)
        out[bar : h - bar] = cv2.resize(f, (w, h - 2 * bar), interpolation=cv2.INTER_AREA)
        return out

    return apply


def between_bars(width: int, height: int) -> Edit:
    """The picture scaled to fit a `width` x `height` frame, centred between black bars (a portrait clip
    between pillars in a landscape frame)."""
    import cv2

    def apply(f: Frame) -> Frame:
        h, w = f.shape[:2]
        scale = min(width / w, height / h)
        fw, fh = round(w * scale), round(h * scale)
        out = np.zeros((height, width, 3), dtype=f.dtype)
        x, y = (width - fw) // 2, (height - fh) // 2
        out[y : y + fh, x : x + fw] = cv2.resize(f, (fw, fh), interpolation=cv2.INTER_AREA)
        return out

    return apply


def mirror(f: Frame) -> Frame:
    return np.ascontiguousarray(f[:, ::-1])


def logo(fraction: float, colour: tuple[int, int, int] = (220, 30, 30)) -> Edit:
    """An opaque box in the top-right corner covering `fraction` of the frame area."""

    def apply(f: Frame) -> Frame:
        h, w = f.shape[:2]
        side_w, side_h = int(w * fraction**0.5), int(h * fraction**0.5)
        out = f.copy()
        out[:side_h, w - side_w :] = colour
        return out

    return apply


def brighter(delta: int) -> Edit:
    return lambda f: np.clip(f.astype(np.int16) + delta, 0, 255).astype(np.uint8)


def grey(f: Frame) -> Frame:
    y = (f @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    return np.repeat(y[:, :, None], 3, axis=2)


def trim(frames: Iterable[Frame], start: int, stop: int) -> Iterator[Frame]:
    for i, frame in enumerate(frames):
        if start <= i < stop:
            yield frame


def zoom(factor: float, cx: float = 0.5, cy: float = 0.5) -> Edit:
    """A 1/`factor` window around (cx, cy) (fractions of the frame) scaled back to the frame's size."""
    import cv2

    def apply(f: Frame) -> Frame:
        h, w = f.shape[:2]
        cw, ch = w / factor, h / factor
        x0 = min(max(cx * w - cw / 2, 0), w - cw)
        y0 = min(max(cy * h - ch / 2, 0), h - ch)
        matrix = np.float32([[factor, 0, -x0 * factor], [0, factor, -y0 * factor]])
        return cv2.warpAffine(f, matrix, (w, h), flags=cv2.INTER_LINEAR)

    return apply


def rotate(degrees: float, scale: float = 1.2) -> Edit:
    """Turned about the centre and enlarged by `scale` so that no corner shows."""
    import cv2

    def apply(f: Frame) -> Frame:
        h, w = f.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, scale)
        return cv2.warpAffine(f, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    return apply


def filmed_screen(
    fill: float, shifts: tuple[tuple[float, float], ...], bezel: int = 8, wall: int = 150
) -> Edit:
    """Filmed off a monitor at an angle: the picture scaled to `fill` of the frame in a dark bezel, its
    four corners (top-left, top-right, bottom-right, bottom-left) moved by `shifts` (fractions of the
    frame's width and height), on a plain wall, slightly blurred."""
    import cv2

    def apply(f: Frame) -> Frame:
        h, w = f.shape[:2]
        sw, sh = round(w * fill), round(h * fill)
        monitor = np.full((sh + 2 * bezel, sw + 2 * bezel, 3), 25, np.uint8)
        monitor[bezel : bezel + sh, bezel : bezel + sw] = cv2.resize(
            f, (sw, sh), interpolation=cv2.INTER_AREA
        )
        mw, mh = sw + 2 * bezel, sh + 2 * bezel
        x0, y0 = (w - mw) / 2, (h - mh) / 2
        flat = np.float32([[x0, y0], [x0 + mw, y0], [x0 + mw, y0 + mh], [x0, y0 + mh]])
        quad = flat + np.float32([[dx * w, dy * h] for dx, dy in shifts])
        corners = np.float32([[0, 0], [mw, 0], [mw, mh], [0, mh]])
        matrix = cv2.getPerspectiveTransform(corners, quad)
        out = np.full((h, w, 3), wall, np.uint8)
        cv2.warpPerspective(monitor, matrix, (w, h), dst=out, borderMode=cv2.BORDER_TRANSPARENT)
        return cv2.GaussianBlur(out, (0, 0), 0.8)

    return apply


def programme_frame(size: tuple[int, int], seed: int = 0) -> Frame:
    """A news programme's still frame: a studio backdrop, a name strip and a channel box."""
    import cv2

    w, h = size
    rng = np.random.default_rng(500 + seed)
    backdrop = cv2.resize(
        rng.uniform(20, 90, (6, 8, 3)).astype(np.float32), size, interpolation=cv2.INTER_CUBIC
    )
    out = np.clip(backdrop + np.linspace(0, 60, w)[None, :, None], 0, 255).astype(np.uint8)
    cv2.rectangle(out, (0, int(h * 0.8)), (w, h), (150, 20, 20), -1)
    cv2.putText(
        out, "WORLD NEWS TONIGHT", (10, int(h * 0.93)), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2
    )
    cv2.rectangle(out, (int(w * 0.72), 12), (w - 12, 50), (240, 240, 240), -1)
    cv2.putText(out, "24", (int(w * 0.78), 42), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (150, 20, 20), 2)
    return out


def inside_programme(scale: float, x: float, y: float, seed: int = 0) -> Edit:
    """The footage scaled by `scale` and shown at (x, y) (fractions of the frame) inside a still
    programme frame (picture in picture)."""
    import cv2

    def apply(f: Frame) -> Frame:
        h, w = f.shape[:2]
        out = programme_frame((w, h), seed).copy()
        pw, ph = int(w * scale), int(h * scale)
        left, top = int((w - pw) * x), int((h * 0.8 - ph) * y)
        out[top : top + ph, left : left + pw] = cv2.resize(f, (pw, ph), interpolation=cv2.INTER_AREA)
        return out

    return apply


def blurred_fill(scale: float = 1.0, shift: float = 0.0, sigma: float = 5.0, dim: float = 0.6) -> Edit:
    """Reposted in the other orientation (a landscape frame turned portrait and the other way round):
    the picture scaled to `scale` of the new frame's short side, moved off centre by `shift` of the free
    space (-1..1), over an enlarged copy of itself blurred by `sigma` (pixels of an eighth of its size)
    and dimmed to `dim`."""
    import cv2

    def apply(f: Frame) -> Frame:
        h, w = f.shape[:2]
        ow, oh = h, w  # the other orientation
        place = fill_box(w, h, scale, shift)
        cover = max(ow / w, oh / h)  # the enlarged copy covers the frame; its middle is kept
        cw, ch = round(ow / cover), round(oh / cover)
        middle = f[(h - ch) // 2 : (h - ch) // 2 + ch, (w - cw) // 2 : (w - cw) // 2 + cw]
        small = cv2.resize(middle, (max(1, ow // 8), max(1, oh // 8)), interpolation=cv2.INTER_AREA)
        back = cv2.resize(cv2.GaussianBlur(small, (0, 0), sigma), (ow, oh), interpolation=cv2.INTER_LINEAR)
        out = (back * dim).astype(np.uint8)
        out[place.y : place.bottom, place.x : place.right] = cv2.resize(
            f, (place.w, place.h), interpolation=cv2.INTER_AREA
        )
        return out

    return apply


def fill_box(width: int, height: int, scale: float = 1.0, shift: float = 0.0) -> Box:
    """Where `blurred_fill` puts a `width` x `height` picture in its `height` x `width` frame."""
    ow, oh = height, width
    s = min(ow / width, oh / height) * scale
    fw, fh = round(width * s) // 2 * 2, round(height * s) // 2 * 2
    free_x, free_y = ow - fw, oh - fh
    return Box(int(free_x / 2 * (1 + shift)), int(free_y / 2 * (1 + shift)), fw, fh)


def at_speed(frames: list[Frame], speed: float) -> list[Frame]:
    """The frames played `speed` times as fast (frames dropped or repeated), same frame rate."""
    count = int(len(frames) / speed)
    return [frames[min(len(frames) - 1, int(i * speed))] for i in range(count)]
