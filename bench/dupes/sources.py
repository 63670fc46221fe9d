"""Source and distractor clips for the near-duplicate benchmark: hand-held camera over real photographs.

Every clip is a list of shots. A shot films a "world" picture (one of the photographs in
`../shared/media/pdq/`, or a synthetic scene) with a virtual hand-held camera: the view (a 16:9
window of the world) moves through key positions with eased pans and zooms, and on top of that shakes
like a hand (a few low-frequency sinusoids, a slight roll, per-frame jitter), breathes (zoom +-1 %),
blurs along fast motion and drifts in exposure; sensor noise is added to every frame. Shots are
joined by hard cuts. Everything is a pure function of the clip spec and its seed; files are encoded
with x264 `veryfast`, CRF 23 (no mbtree: see `X264`) at 640x360, 30 fps, and cached under
`bench/.cache/dupes/v<SUITE_VERSION>/`; the same code and FFmpeg build give the same bytes.

Sources and distractors never show the same picture content, with two deliberate near misses:
`dis-coaster-b` films the same coaster as `src-coaster` in a different photograph, and
`dis-bridge-arch` films the part of the bridge photograph (the arch, right 30 %) that `src-bridge`
never shows. `dis-bumper-black` (2 s of black first) and `dis-bumper` open with the same 1.5 s
title card and are otherwise unrelated: a shared bumper is not a duplicate.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]

HERE: Final = Path(__file__).resolve().parent
SUITE_VERSION: Final = "2"
"""Bump when a clip or transform changes: the suite lives in `bench/.cache/dupes/v<version>/`."""
CACHE: Final = HERE.parent / ".cache" / "dupes" / f"v{SUITE_VERSION}"
PHOTOS: Final = Path(os.environ.get("EVIDENCE_SHARED_MEDIA", HERE.parents[2] / "shared" / "media")) / "pdq"
SIZE: Final = (640, 360)
FPS: Final = 30
X264: Final = {"preset": "veryfast", "crf": "23", "x264-params": "mbtree=0"}
"""mbtree off: with x264's macroblock-tree rate control the same frames, encoded twice in one process,
gave different bytes (its float code depends on memory layout); without it output is repeatable."""

Key = tuple[float, float, float]
"""A camera key position: view centre x, y (fractions of the world) and view width (fraction)."""


@dataclass(frozen=True, slots=True)
class Shot:
    """`seconds` of one world filmed through the camera keys (evenly spaced in time, eased)."""

    world: str  # a photograph relative to PHOTOS, or "synthetic:<name>[:<seed>]"
    seconds: float
    keys: tuple[Key, ...]
    shake: float = 1.0  # hand-held amplitude (0: tripod)
    noise: float = 3.0  # sensor noise, standard deviation in 8-bit levels


@dataclass(frozen=True, slots=True)
class ClipSpec:
    id: str
    role: str  # "source" | "distractor" | "footage" (intro material, never added on its own)
    shots: tuple[Shot, ...]
    seed: int
    lead: tuple[str, ...] = field(default=())  # "black" (2 s) and/or "bumper" (1.5 s) before the shots

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.shots) + sum(LEAD_SECONDS[name] for name in self.lead)


LEAD_SECONDS: Final = {"black": 2.0, "bumper": 1.5}

SOURCES: Final = (
    ClipSpec(
        "src-bridge",
        "source",
        (
            Shot("bridge-mods/aaa-orig.jpg", 7, ((0.28, 0.55, 0.40), (0.40, 0.50, 0.42), (0.45, 0.45, 0.34))),
            Shot("bridge-mods/aaa-orig.jpg", 5, ((0.40, 0.30, 0.30), (0.38, 0.42, 0.20))),
            Shot("bridge-mods/aaa-orig.jpg", 8, ((0.20, 0.70, 0.30), (0.45, 0.70, 0.30), (0.30, 0.55, 0.36))),
        ),
        seed=11,
    ),
    ClipSpec(
        "src-coaster",
        "source",
        (
            Shot("pen-and-coaster.png", 8, ((0.50, 0.60, 0.70), (0.60, 0.55, 0.50), (0.45, 0.50, 0.45))),
            Shot("pen-and-coaster.png", 6, ((0.80, 0.17, 0.35), (0.30, 0.35, 0.40))),
            Shot("pen-and-coaster.png", 6, ((0.55, 0.62, 0.32), (0.62, 0.60, 0.25))),
        ),
        seed=12,
    ),
    ClipSpec(
        "src-canal",
        "source",
        (
            Shot(
                "labelme-subset/q1050.jpg", 10, ((0.30, 0.40, 0.70), (0.70, 0.45, 0.65), (0.50, 0.75, 0.50))
            ),
            Shot("labelme-subset/q0122.jpg", 4, ((0.40, 0.55, 0.80), (0.60, 0.60, 0.70))),
            Shot("labelme-subset/q1050.jpg", 6, ((0.25, 0.50, 0.40), (0.55, 0.30, 0.45))),
        ),
        seed=13,
    ),
    ClipSpec(
        "src-street",
        "source",
        (
            Shot(
                "labelme-subset/q0291.jpg", 10, ((0.30, 0.50, 0.70), (0.60, 0.50, 0.70), (0.50, 0.60, 0.85))
            ),
            Shot("labelme-subset/q0291.jpg", 5, ((0.50, 0.28, 0.40), (0.68, 0.32, 0.35))),
            Shot("labelme-subset/q0291.jpg", 5, ((0.45, 0.60, 0.90), (0.50, 0.55, 0.75))),
        ),
        seed=14,
    ),
    ClipSpec(
        "src-stripes",
        "source",
        (
            Shot("labelme-subset/q0746.jpg", 8, ((0.40, 0.40, 0.80), (0.60, 0.55, 0.60), (0.45, 0.30, 0.50))),
            Shot("labelme-subset/q2821.jpg", 7, ((0.30, 0.30, 0.60), (0.70, 0.70, 0.60))),
            Shot("labelme-subset/q0746.jpg", 5, ((0.30, 0.60, 0.50), (0.55, 0.45, 0.70))),
        ),
        seed=15,
    ),
)

DISTRACTORS: Final = (
    ClipSpec(
        "dis-coaster-b",
        "distractor",
        (
            Shot("misc-images/c.png", 8, ((0.45, 0.55, 0.70), (0.50, 0.60, 0.45), (0.60, 0.50, 0.50))),
            Shot("misc-images/c.png", 6, ((0.20, 0.25, 0.35), (0.45, 0.55, 0.30))),
        ),
        seed=21,
    ),
    ClipSpec(
        "dis-bridge-arch",
        "distractor",
        (
            Shot("dih/bridge-1-original.jpg", 7, ((0.86, 0.45, 0.22), (0.86, 0.60, 0.24))),
            Shot("dih/bridge-1-original.jpg", 7, ((0.80, 0.70, 0.18), (0.90, 0.50, 0.16))),
        ),
        seed=22,
    ),
    ClipSpec(
        "dis-sky",
        "distractor",
        (
            Shot("labelme-subset/q0003.jpg", 6, ((0.40, 0.50, 0.80), (0.60, 0.50, 0.80))),
            Shot("labelme-subset/q0004.jpg", 6, ((0.50, 0.40, 0.80), (0.50, 0.60, 0.70))),
        ),
        seed=23,
    ),
    ClipSpec(
        "dis-talking-head", "distractor", (Shot("synthetic:studio", 15, ((0.5, 0.5, 1.0),), shake=0.1),), 24
    ),
    ClipSpec(
        "dis-night",
        "distractor",
        (Shot("synthetic:night", 15, ((0.25, 0.55, 0.45), (0.55, 0.50, 0.50), (0.75, 0.55, 0.40)), noise=5),),
        seed=25,
    ),
    ClipSpec(
        "dis-bumper-black",
        "distractor",
        (Shot("synthetic:land:1", 12, ((0.3, 0.4, 0.4), (0.7, 0.6, 0.4))),),
        seed=26,
        lead=("black", "bumper"),
    ),
    ClipSpec(
        "dis-bumper",
        "distractor",
        (Shot("synthetic:land:2", 12, ((0.6, 0.3, 0.5), (0.3, 0.6, 0.4))),),
        seed=27,
        lead=("bumper",),
    ),
)


def intro_footage(seed: int, seconds: float = 5.0) -> ClipSpec:
    """Unrelated footage to put in front of a copy (the `intro` transform): a synthetic landscape."""
    keys = ((0.3, 0.5, 0.5), (0.6, 0.4, 0.45))
    return ClipSpec(f"intro-{seed}", "footage", (Shot(f"synthetic:land:{100 + seed}", seconds, keys),), seed)


# ---------------------------------------------------------------- worlds


@cache
def _photo(name: str) -> U8:
    from PIL import Image

    path = PHOTOS / name
    if not path.exists():
        raise SystemExit(f"missing photograph {path}: set EVIDENCE_SHARED_MEDIA to the shared media folder")
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def _noise_world(seed: int, width: int = 1600, height: int = 900) -> U8:
    """A synthetic landscape: sky gradient, layered hills of smoothed noise, scattered 'objects'."""
    import cv2

    rng = np.random.default_rng([seed, 7])
    out = np.zeros((height, width, 3), np.float32)
    sky = np.linspace(0.85, 0.55, height, dtype=np.float32)[:, None, None] * rng.uniform(0.6, 1.0, 3)
    out[:] = sky
    xs = np.arange(width, dtype=np.float32)
    for layer in range(4):
        base = height * (0.35 + 0.15 * layer)
        ridge = base + sum(
            rng.uniform(10, 60) * np.sin(xs / rng.uniform(40, 400) + rng.uniform(0, 6)) for _ in range(4)
        )
        below = np.arange(height, dtype=np.float32)[:, None] >= ridge[None, :]
        colour = rng.uniform(0.1, 0.8, 3).astype(np.float32)
        tex = rng.random((height // 16 + 2, width // 16 + 2)).astype(np.float32)
        tex = cv2.resize(tex, (width, height), interpolation=cv2.INTER_CUBIC)[..., None]
        out = np.where(below[..., None], colour * (0.6 + 0.6 * tex), out)
    for _ in range(40):
        x, y = int(rng.integers(0, width)), int(rng.integers(height // 3, height))
        colour = tuple(float(c) for c in rng.uniform(0, 1, 3))
        if rng.random() < 0.5:
            cv2.rectangle(
                out, (x, y), (x + int(rng.integers(10, 80)), y - int(rng.integers(10, 90))), colour, -1
            )
        else:
            cv2.circle(out, (x, y), int(rng.integers(5, 40)), colour, -1)
    return np.clip(out * 255, 0, 255).astype(np.uint8)


def _night_world(seed: int, width: int = 1600, height: int = 900) -> U8:
    """A dark street: near-black sky, dim building blocks, sparse lit windows, a few street lamps."""
    import cv2

    rng = np.random.default_rng([seed, 9])
    out = np.zeros((height, width, 3), np.float32)
    out[:] = np.linspace(14, 4, height, dtype=np.float32)[:, None, None] * np.float32([0.6, 0.7, 1.0])
    x = 0
    while x < width:
        w, h = int(rng.integers(80, 260)), int(rng.integers(200, 600))
        shade = float(rng.uniform(6, 16))
        cv2.rectangle(out, (x, height - h), (x + w, height), (shade, shade, shade * 1.1), -1)
        for wy in range(height - h + 20, height - 40, 36):
            for wx in range(x + 12, x + w - 20, 30):
                if rng.random() < 0.12:
                    glow = float(rng.uniform(90, 200))
                    cv2.rectangle(out, (wx, wy), (wx + 14, wy + 18), (glow, glow * 0.8, glow * 0.45), -1)
        x += w + int(rng.integers(0, 30))
    lamps = np.zeros((height, width), np.float32)
    for _ in range(7):
        cv2.circle(
            lamps, (int(rng.integers(0, width)), int(rng.integers(height // 2, height - 60))), 6, 255, -1
        )
    lamps = cv2.GaussianBlur(lamps, (0, 0), 9) * 4
    out += lamps[..., None] * np.float32([1.0, 0.75, 0.4])
    return np.clip(out, 0, 255).astype(np.uint8)


def _studio_world(seed: int, width: int = 1280, height: int = 720) -> U8:
    """A talking-head set: a blurred bookshelf behind (the head is drawn per frame)."""
    import cv2

    rng = np.random.default_rng([seed, 5])
    out = np.full((height, width, 3), (70, 60, 50), np.uint8)
    for shelf_y in range(40, height, 150):
        cv2.rectangle(out, (0, shelf_y + 120), (width, shelf_y + 135), (110, 80, 50), -1)
        x = 10
        while x < width:
            w = int(rng.integers(12, 34))
            colour = tuple(int(c) for c in rng.integers(30, 220, 3))
            cv2.rectangle(out, (x, shelf_y + int(rng.integers(10, 40))), (x + w, shelf_y + 120), colour, -1)
            x += w + int(rng.integers(1, 6))
    return cv2.GaussianBlur(out, (0, 0), 4)


def _draw_presenter(world: U8, t: float) -> U8:
    """Head and shoulders that sway, nod and talk, in front of the studio world (a copy is returned)."""
    import cv2

    out = world.copy()
    h, w = out.shape[:2]
    cx = int(w * 0.5 + 14 * math.sin(2 * math.pi * 0.23 * t))
    cy = int(h * 0.42 + 6 * math.sin(2 * math.pi * 0.41 * t + 1))
    cv2.ellipse(out, (cx, h + 60), (int(w * 0.26), int(h * 0.33)), 0, 180, 360, (40, 45, 70), -1)
    cv2.rectangle(out, (cx - 28, cy + 90), (cx + 28, cy + 150), (150, 120, 100), -1)
    cv2.ellipse(out, (cx, cy), (92, 118), 3 * math.sin(t), 0, 360, (190, 150, 125), -1)
    cv2.ellipse(out, (cx, cy - 70), (96, 62), 0, 180, 360, (40, 30, 25), -1)
    for ex in (-34, 34):
        cv2.circle(out, (cx + ex, cy - 12), 9, (245, 245, 245), -1)
        cv2.circle(out, (cx + ex + int(3 * math.sin(0.7 * t)), cy - 12), 5, (40, 30, 20), -1)
    mouth = 4 + int(10 * abs(math.sin(2 * math.pi * 3.1 * t) * math.sin(2 * math.pi * 0.7 * t)))
    cv2.ellipse(out, (cx, cy + 55), (26, mouth), 0, 0, 360, (90, 40, 40), -1)
    return out


def bumper_frame(i: int) -> U8:
    """Frame `i` of the shared 1.5 s title card (a station ident: zooming logo, light sweep)."""
    import cv2

    width, height = SIZE
    t = i / FPS
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    out = np.stack([20 + 40 * y / height, 30 + 30 * x / width, 90 + 80 * y / height], axis=-1)
    sweep = np.exp(-(((x - (-200 + 900 * t / 1.5)) / 60.0) ** 2))[..., None] * 80
    out = np.clip(out + sweep, 0, 255).astype(np.uint8)
    scale = 1.0 + 0.06 * t
    cv2.circle(out, (width // 2, 150), int(70 * scale), (230, 190, 40), -1)
    cv2.circle(out, (width // 2, 150), int(50 * scale), (20, 40, 120), -1)
    cv2.putText(out, "7", (width // 2 - 20, 172), cv2.FONT_HERSHEY_DUPLEX, 2.0 * scale, (255, 255, 255), 4)
    cv2.putText(out, "EVENING REPORT", (110, 290), cv2.FONT_HERSHEY_DUPLEX, 1.5, (255, 255, 255), 3)
    return out


@cache
def _world(name: str) -> tuple[U8, Callable[[U8, float], U8] | None]:
    """The world picture of a shot and, for animated scenes, a per-frame painter."""
    if not name.startswith("synthetic:"):
        return _photo(name), None
    kind, _, seed = name.removeprefix("synthetic:").partition(":")
    number = int(seed or 0)
    if kind == "land":
        return _noise_world(number), None
    if kind == "night":
        return _night_world(number), None
    if kind == "studio":
        return _studio_world(number), _draw_presenter
    raise ValueError(f"unknown synthetic world {name!r}")


# ---------------------------------------------------------------- camera


@dataclass(frozen=True, slots=True)
class _Shake:
    freqs: npt.NDArray[np.float64]  # Hz, 3 per axis
    phases: npt.NDArray[np.float64]
    amps: tuple[float, float, float] = (6.0, 3.0, 1.5)  # output pixels


def _ease(u: float) -> float:
    return u * u * (3 - 2 * u)


def _key_at(keys: Sequence[Key], u: float) -> Key:
    if len(keys) == 1:
        return keys[0]
    pos = min(max(u, 0.0), 1.0) * (len(keys) - 1)
    k = min(int(pos), len(keys) - 2)
    e = _ease(pos - k)
    a, b = keys[k], keys[k + 1]
    return (a[0] + (b[0] - a[0]) * e, a[1] + (b[1] - a[1]) * e, a[2] + (b[2] - a[2]) * e)


def _motion_blur(picture: U8, dx: float, dy: float) -> U8:
    import cv2

    length = int(min(15, math.hypot(dx, dy) / 2))
    if length < 3:
        return picture
    kernel = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    angle = math.atan2(dy, dx)
    p0 = (round(c - c * math.cos(angle)), round(c - c * math.sin(angle)))
    p1 = (round(c + c * math.cos(angle)), round(c + c * math.sin(angle)))
    cv2.line(kernel, p0, p1, 1.0, 1)
    return cv2.filter2D(picture, -1, kernel / kernel.sum())


def _shot_frames(
    shot: Shot, rng: np.random.Generator, noise_bank: Sequence[npt.NDArray[np.int16]]
) -> Iterator[U8]:
    import cv2

    world, painter = _world(shot.world)
    wh, ww = world.shape[:2]
    out_w, out_h = SIZE
    n = round(shot.seconds * FPS)
    shake = _Shake(rng.uniform(0.3, 2.4, 6), rng.uniform(0, 2 * math.pi, 8))
    widths = [k[2] * ww for k in shot.keys]
    smallest_scale = out_w / max(widths)
    blurred = cv2.GaussianBlur(world, (0, 0), 0.45 / smallest_scale) if smallest_scale < 0.9 else world
    gain_phase = float(rng.uniform(0, 2 * math.pi))
    previous: tuple[float, float] | None = None
    for i in range(n):
        t = i / FPS
        cx, cy, vw = _key_at(shot.keys, i / max(1, n - 1))
        view_w = vw * ww * (1 + 0.01 * math.sin(2 * math.pi * 0.17 * t + shake.phases[6]))
        scale = out_w / view_w
        view_h = out_h / scale
        # hand shake in output pixels, then converted to world units
        sx = sum(
            a * math.sin(2 * math.pi * f * t + p)
            for a, f, p in zip(shake.amps, shake.freqs[:3], shake.phases[:3], strict=True)
        )
        sy = sum(
            a * math.sin(2 * math.pi * f * t + p)
            for a, f, p in zip(shake.amps, shake.freqs[3:], shake.phases[3:6], strict=True)
        )
        sx = shot.shake * (sx + rng.normal(0, 0.6))
        sy = shot.shake * (sy + rng.normal(0, 0.6))
        roll = math.radians(shot.shake * 0.7 * math.sin(2 * math.pi * 0.31 * t + shake.phases[7]))
        x = min(max(cx * ww + sx / scale, view_w / 2), ww - view_w / 2)
        y = min(max(cy * wh + sy / scale, view_h / 2), wh - view_h / 2)
        cos, sin = scale * math.cos(roll), scale * math.sin(roll)
        matrix = np.float32(
            [[cos, -sin, out_w / 2 - cos * x + sin * y], [sin, cos, out_h / 2 - sin * x - cos * y]]
        )
        source = blurred if scale < 0.9 else world
        if painter is not None:
            source = painter(source, t)
        picture = cv2.warpAffine(
            source, matrix, SIZE, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
        )
        if previous is not None:
            picture = _motion_blur(picture, (x - previous[0]) * scale, (y - previous[1]) * scale)
        previous = (x, y)
        gain = 1.0 + 0.04 * math.sin(2 * math.pi * 0.08 * t + gain_phase)
        noisy = picture.astype(np.int16) * gain + noise_bank[int(rng.integers(len(noise_bank)))] * (
            shot.noise / 3.0
        )
        yield np.clip(noisy, 0, 255).astype(np.uint8)


def clip_frames(spec: ClipSpec) -> Iterator[U8]:
    """Every RGB frame of the clip, in order (a pure function of the spec)."""
    rng = np.random.default_rng([spec.seed, zlib.crc32(spec.id.encode())])
    out_w, out_h = SIZE
    bank = [rng.normal(0, 3.0, (out_h, out_w, 3)).astype(np.int16) for _ in range(12)]
    for name in spec.lead:
        for i in range(round(LEAD_SECONDS[name] * FPS)):
            if name == "black":
                yield np.zeros((out_h, out_w, 3), np.uint8)
            else:
                noisy = bumper_frame(i).astype(np.int16) + bank[int(rng.integers(len(bank)))] // 2
                yield np.clip(noisy, 0, 255).astype(np.uint8)
    for shot in spec.shots:
        yield from _shot_frames(shot, rng, bank)


class VideoWriter:
    """Encode RGB frames (numpy) into a file with PyAV; a context manager."""

    def __init__(
        self,
        path: Path,
        size: tuple[int, int] = SIZE,
        *,
        fps: int = FPS,
        codec: str = "libx264",
        options: dict[str, str] | None = None,
    ) -> None:
        import av

        self.path = path
        # bitexact: no random Matroska UIDs, no muxer version string; the same frames give the same bytes
        self.container: Any = av.open(str(path), "w", container_options={"fflags": "+bitexact"})
        self.stream: Any = self.container.add_stream(
            codec, rate=fps, options=dict(X264 if options is None else options)
        )
        self.stream.width, self.stream.height, self.stream.pix_fmt = size[0], size[1], "yuv420p"
        self.time_base = Fraction(1, fps)
        self.count = 0
        self.closed = False

    def write(self, rgb: U8) -> None:
        import av

        self.write_frame(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24"))

    def write_frame(self, frame: Any) -> None:
        """Encode a PyAV frame (e.g. a decoded one, passed through) as the next frame."""
        frame.pts = self.count
        frame.time_base = self.time_base
        frame.pict_type = 0  # let the encoder choose frame types (a decoded I frame would force one)
        self.container.mux(self.stream.encode(frame))
        self.count += 1

    def close(self) -> None:
        """Flush the encoder and close the file."""
        if not self.closed:
            self.container.mux(self.stream.encode(None))
            self.container.close()
            self.closed = True

    def abort(self) -> None:
        """Close without flushing and delete the file, unless `close` already finished it."""
        if not self.closed:
            self.closed = True
            self.container.close()
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self.abort()


def publish(path: Path, make: Callable[[Path], object]) -> Path:
    """Run `make(temporary path)` and rename the result to `path` (so the cache never holds halves)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".part-{path.name}")
    make(tmp)
    tmp.rename(path)
    return path


def write_clip(spec: ClipSpec, path: Path) -> Path:
    def make(tmp: Path) -> None:
        with VideoWriter(tmp) as writer:
            for rgb in clip_frames(spec):
                writer.write(rgb)

    return publish(path, make)


def clip_path(spec: ClipSpec, cache_dir: Path = CACHE) -> Path:
    folder = "sources" if spec.role == "source" else "distractors"
    return cache_dir / folder / f"{spec.id}.mp4"


def generate(cache_dir: Path = CACHE, specs: Sequence[ClipSpec] = SOURCES + DISTRACTORS) -> dict[str, Path]:
    """Write (or reuse) every clip; returns id -> path."""
    return {spec.id: write_clip(spec, clip_path(spec, cache_dir)) for spec in specs}


def contact_sheet(path: Path, out: Path, every: float = 2.0) -> Path:
    """A picture (JPEG or PNG by suffix) of one frame every `every` seconds (to look at what a clip shows)."""
    import av
    from PIL import Image

    thumbs: list[U8] = []
    with av.open(str(path)) as container:
        next_t = 0.0
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time + 1e-6 >= next_t:
                thumbs.append(frame.to_ndarray(format="rgb24", width=214, height=120))
                next_t += every
    cols = 6
    rows = [thumbs[i : i + cols] for i in range(0, len(thumbs), cols)]
    blank = np.zeros_like(thumbs[0])
    grid = np.vstack([np.hstack(r + [blank] * (cols - len(r))) for r in rows])
    Image.fromarray(grid).save(out)
    return out


if __name__ == "__main__":
    import sys
    import time

    started = time.perf_counter()
    paths = generate()
    print(f"{len(paths)} clips in {CACHE} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    if "--sheets" in sys.argv:
        for clip_id, p in paths.items():
            contact_sheet(p, CACHE / f"sheet-{clip_id}.png")
