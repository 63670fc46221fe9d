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
from PIL import Image

SHARED_PDQ = Path(__file__).resolve().parents[1].parent / "shared" / "media" / "pdq"
PHOTOS = (
    "labelme-subset/q0291.jpg",
    "labelme-subset/q1050.jpg",
    "labelme-subset/q2821.jpg",
    "bridge-mods/aaa-orig.jpg",
    "labelme-subset/q0746.jpg",
)

Frame = np.ndarray
Edit = Callable[[Frame], Frame]


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
        {"crf": str(crf), "preset": "veryfast"}
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
