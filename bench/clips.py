"""Benchmark footage: a 720p30 H.264 clip with camera-like motion, generated once and cached.

The picture is a large smoothed-noise "landscape" that the virtual camera pans and zooms across,
with sensor noise and a hard cut every 8 seconds, encoded with x264 `veryfast` at CRF 23 (CABAC,
B-frames, several reference frames: what decoders meet in real uploads, unlike `ultrafast`).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"


def _landscape(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    import cv2

    layers = np.zeros((height, width, 3), np.float32)
    for scale, weight in ((8, 0.5), (32, 0.3), (128, 0.2)):
        small = rng.random((max(2, height // scale), max(2, width // scale), 3)).astype(np.float32)
        layers += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(layers * 255, 0, 255).astype(np.uint8)


def make_clip(
    path: Path, *, seconds: int = 60, size: tuple[int, int] = (1280, 720), fps: int = 30, seed: int = 2026
) -> Path:
    import av
    import cv2

    width, height = size
    rng = np.random.default_rng(seed)  # one landscape per seed: clips of other seeds never match
    shot_frames = 8 * fps
    total = seconds * fps
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "23"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        world = _landscape(rng, width * 2, height * 2)
        for i in range(total):
            if i % shot_frames == 0:
                world = _landscape(rng, width * 2, height * 2)
            t = (i % shot_frames) / shot_frames
            zoom = 1.0 + 0.3 * t
            cx, cy = width * (0.6 + 0.8 * t), height * (0.8 + 0.4 * np.sin(t * np.pi))
            matrix = np.float32([[zoom, 0, width / 2 - zoom * cx], [0, zoom, height / 2 - zoom * cy]])
            picture = cv2.warpAffine(world, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
            noise = rng.integers(-6, 7, picture.shape, dtype=np.int16)
            picture = np.clip(picture.astype(np.int16) + noise, 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def clip_720p(seconds: int = 60) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"bench-720p30-{seconds}s.mp4"
    if not path.exists():
        tmp = path.with_suffix(".part.mp4")
        make_clip(tmp, seconds=seconds)
        tmp.rename(path)
    return path
