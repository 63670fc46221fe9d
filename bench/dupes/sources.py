"""Source clips, unrelated footage and distractors for the near-duplicate benchmark (suite v3).

Five content families, `PER_FAMILY` sources each, every one a different world (a photograph from
`../shared/media/pdq/` used once, or a procedural scene with its own seed):

- `handheld`: a virtual hand-held camera (eased pans and zooms, shake, roll, motion blur, exposure
  drift, sensor noise) over a photograph or a procedural landscape / town;
- `static`: a tripod over a scene with small moving things (walkers, cars, a flag, rippling water);
- `screen`: a rendered chat / feed / code-editor window scrolling, with a moving cursor (no noise);
- `night`: a dark street with lit windows, lamps and moving headlights, hand-held or tripod, noisy;
- `text`: slides or document pages full of text, hard cuts between pages.

Each source is the middle `SECONDS` of a `PAD + SECONDS + PAD` master (the `longer_cut` copy is a
longer piece of the same master). The split into a `tune` and a `held-out` half is drawn once per
family from `SPLIT_SEED`. Everything is a pure function of ids and seeds; x264 runs without mbtree and
the muxer `bitexact`, so the same code and FFmpeg build give the same bytes.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]

HERE: Final = Path(__file__).resolve().parent
SUITE_VERSION: Final = "3"
"""Bump when a clip or edit changes: the suite lives in `bench/.cache/dupes/v<version>/`."""
CACHE: Final = HERE.parent / ".cache" / "dupes" / f"v{SUITE_VERSION}"
PHOTOS: Final = Path(os.environ.get("EVIDENCE_SHARED_MEDIA", HERE.parents[2] / "shared" / "media")) / "pdq"
SIZE: Final = (640, 360)
PORTRAIT: Final = (360, 640)
FPS: Final = 30
SECONDS: Final = 10.0
PAD: Final = 3.0
X264: Final = {"preset": "veryfast", "crf": "23", "x264-params": "mbtree=0:threads=1"}
"""mbtree off: with x264's macroblock-tree rate control the same frames, encoded twice in one process,
gave different bytes (its float code depends on memory layout); without it output is repeatable."""

FAMILIES: Final = ("handheld", "static", "screen", "night", "text")
PER_FAMILY: Final = 6
HALVES: Final = ("tune", "held-out")
SPLIT_SEED: Final = 20261211
EXTRA_TUNES: Final = {
    "tune2": (6, 7, 8),
    "tune3": (9, 10, 11),
    "tune4": (12, 13, 14),
    "tune5": (15, 16, 17),
    "tune6": (18, 19, 20),
}
"""More tune halves (`--half tune2` ... `tune6`): 15 more sources each (these indices of each family),
with edit parameters, news programme and channel graphics of their own, generated into a folder of
their own (`cache_of`) so that the two halves above stay byte for byte as they are. The first run of
each measured the matcher on footage it had never seen; after that it is tuning data, like `tune`.
`tune5`'s and `tune6`'s edit-parameter seeds were drawn with Python's `secrets`, and so are their
portrait sources (`DRAWN_PORTRAITS`); their first, blind runs (under the names `held-out2`, twentieth
slice, and `held-out3`, twenty-first) are in `README.md`."""
DRAWN_PORTRAITS: Final = {"tune5": 969029116, "tune6": 1564613851}
"""Halves whose portrait sources are drawn (each source one in five, from this seed) rather than listed
in `PORTRAITS`."""
TUNE_HALVES: Final = ("tune", *EXTRA_TUNES)
"""Every half rules may be tuned on (studies look at these only, never at the held-out half)."""


def cache_of(half: str) -> Path:
    """Where a half's clips are generated: `CACHE` for the two halves, a folder of its own for the others."""
    return CACHE if half in HALVES else HERE.parent / ".cache" / "dupes" / f"v{SUITE_VERSION}-{half}"


PHOTO_WORLDS: Final = {
    ("handheld", 0): "bridge-mods/aaa-orig.jpg",
    ("handheld", 1): "pen-and-coaster.png",
    ("handheld", 2): "labelme-subset/q1050.jpg",
    ("static", 0): "labelme-subset/q0291.jpg",
    ("static", 1): "labelme-subset/q0122.jpg",
}
"""The photographs, each used by exactly one source (the others are procedural)."""
PORTRAITS: Final = {
    ("handheld", 4),
    ("handheld", 5),
    ("screen", 2),
    ("screen", 5),
    ("night", 3),
    ("handheld", 7),
    ("screen", 8),
    ("night", 6),
    ("static", 9),
    ("screen", 10),
    ("handheld", 11),
    ("text", 13),
    ("screen", 12),
    ("static", 12),
}


@dataclass(frozen=True, slots=True)
class Spec:
    """A clip: `kind` names the renderer, `seed` the world, `style` the look (a near miss shares it)."""

    id: str
    family: str  # a content family, or "footage" (unrelated filler)
    index: int
    seed: int
    size: tuple[int, int] = SIZE
    style: int = -1  # -1: the same as seed
    photo: str = ""

    @property
    def style_seed(self) -> int:
        return self.seed if self.style < 0 else self.style


def split() -> dict[str, str]:
    """Source id -> half; per family, a fixed permutation puts half the sources in each half."""
    rng = np.random.default_rng(SPLIT_SEED)
    half = {}
    for family in FAMILIES:
        order = rng.permutation(PER_FAMILY)
        for rank, index in enumerate(order):
            half[f"{family}{index}"] = HALVES[0] if rank < PER_FAMILY // 2 else HALVES[1]
    return half


def source_specs(extra: str | None = None) -> list[Spec]:
    """The sources of the two halves, or those of the `extra` tune half (one of `EXTRA_TUNES`)."""
    out = []
    drawn = np.random.default_rng(DRAWN_PORTRAITS[extra]) if extra in DRAWN_PORTRAITS else None
    for f, family in enumerate(FAMILIES):
        for index in EXTRA_TUNES[extra] if extra else range(PER_FAMILY):
            portrait = (family, index) in PORTRAITS if drawn is None else bool(drawn.random() < 0.2)
            size = PORTRAIT if portrait else SIZE
            photo = PHOTO_WORLDS.get((family, index), "")
            out.append(Spec(f"{family}{index}", family, index, 1000 + 100 * f + index, size, photo=photo))
    return out


def footage_spec(seed: int, size: tuple[int, int] = SIZE) -> Spec:
    """Unrelated filler footage (intros, outros, compilation gaps, distractors): its own world."""
    return Spec(f"footage-{seed}", "footage", seed % 3, 50000 + seed, size)


# ---------------------------------------------------------------- text


SYLLABLES: Final = tuple("ka lo mi ne ro sa tu vi de an el or is um pa te ga bo ri fu".split())  # noqa: SIM905


def words(rng: np.random.Generator, n: int) -> str:
    return " ".join(
        "".join(SYLLABLES[int(k)] for k in rng.integers(0, len(SYLLABLES), int(rng.integers(1, 4))))
        for _ in range(n)
    )


def put(out: U8, text: str, xy: tuple[int, int], scale: float, colour: Any, thick: int = 1) -> None:
    import cv2

    cv2.putText(out, text, xy, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)


def colour(rng: np.random.Generator, lo: int = 0, hi: int = 256) -> tuple[int, int, int]:
    r, g, b = (int(c) for c in rng.integers(lo, hi, 3))
    return r, g, b


# ---------------------------------------------------------------- worlds


@cache
def _photo(name: str) -> U8:
    from PIL import Image

    path = PHOTOS / name
    if not path.exists():
        raise SystemExit(f"missing photograph {path}: set EVIDENCE_SHARED_MEDIA to the shared media folder")
    with Image.open(path) as image:
        picture = np.asarray(image.convert("RGB"), dtype=np.uint8)
    if picture.shape[1] < 1000:  # the small labelme pictures: upscale once, so the camera works alike
        import cv2

        factor = 1000 / picture.shape[1]
        picture = cv2.resize(picture, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(picture)


def noise_world(seed: int, width: int = 1600, height: int = 900) -> U8:
    """A synthetic landscape: sky gradient, layered hills of smoothed noise, scattered 'objects'."""
    import cv2

    rng = np.random.default_rng([seed, 7])
    out = np.zeros((height, width, 3), np.float32)
    out[:] = np.linspace(0.85, 0.55, height, dtype=np.float32)[:, None, None] * rng.uniform(0.6, 1.0, 3)
    xs = np.arange(width, dtype=np.float32)
    rows = np.arange(height, dtype=np.float32)[:, None]
    for layer in range(4):
        base = height * (0.35 + 0.15 * layer)
        ridge = base + sum(
            rng.uniform(10, 60) * np.sin(xs / rng.uniform(40, 400) + rng.uniform(0, 6)) for _ in range(4)
        )
        tint = rng.uniform(0.1, 0.8, 3).astype(np.float32)
        tex = rng.random((height // 16 + 2, width // 16 + 2)).astype(np.float32)
        tex = cv2.resize(tex, (width, height), interpolation=cv2.INTER_CUBIC)[..., None]
        out = np.where((rows >= ridge[None, :])[..., None], tint * (0.6 + 0.6 * tex), out)
    for _ in range(60):
        x, y = int(rng.integers(0, width)), int(rng.integers(height // 3, height))
        c = tuple(float(v) for v in rng.uniform(0, 1, 3))
        if rng.random() < 0.5:
            cv2.rectangle(out, (x, y), (x + int(rng.integers(10, 80)), y - int(rng.integers(10, 90))), c, -1)
        else:
            cv2.circle(out, (x, y), int(rng.integers(5, 40)), c, -1)
    return np.clip(out * 255, 0, 255).astype(np.uint8)


def town_world(seed: int, width: int = 1600, height: int = 900, night: bool = False) -> U8:
    """Buildings with windows along a street: daylight, or dark with sparse lit windows and lamps."""
    import cv2

    rng = np.random.default_rng([seed, 9])
    out = np.zeros((height, width, 3), np.float32)
    sky = np.float32([0.6, 0.7, 1.0]) * (np.float32(14) if night else np.float32(rng.uniform(150, 230)))
    out[:] = np.linspace(1.0, 0.4, height, dtype=np.float32)[:, None, None] * sky
    road = int(height * rng.uniform(0.78, 0.86))
    x = int(rng.integers(-60, 0))
    while x < width:
        w, h = int(rng.integers(80, 280)), int(rng.integers(220, road - 40))
        shade = rng.uniform(6, 18, 3) if night else rng.uniform(60, 220, 3)
        cv2.rectangle(out, (x, road - h), (x + w, road), tuple(float(s) for s in shade), -1)
        pitch_y, pitch_x = int(rng.integers(28, 44)), int(rng.integers(24, 40))
        for wy in range(road - h + 16, road - 40, pitch_y):
            for wx in range(x + 10, x + w - 18, pitch_x):
                if night and rng.random() > 0.15:
                    continue
                glow = float(rng.uniform(90, 220)) if night else float(rng.uniform(20, 90))
                tint = (glow, glow * 0.8, glow * 0.45) if night else (glow * 0.8, glow * 0.9, glow)
                cv2.rectangle(out, (wx, wy), (wx + 12, wy + 16), tint, -1)
        x += w + int(rng.integers(0, 30))
    cv2.rectangle(out, (0, road), (width, height), (8.0, 8.0, 9.0) if night else (70.0, 70.0, 75.0), -1)
    for lx in range(int(rng.integers(0, 200)), width, int(rng.integers(180, 320))):
        cv2.line(out, (lx, road), (lx, road - 160), (30.0, 30.0, 30.0), 4)
        if night:
            for radius, level in ((40, 40.0), (22, 110.0), (8, 255.0)):
                cv2.circle(out, (lx, road - 165), radius, (level, level * 0.8, level * 0.45), -1)
    if not night:
        for _ in range(int(rng.integers(4, 12))):  # trees
            tx = int(rng.integers(0, width))
            cv2.circle(out, (tx, road - 60), int(rng.integers(25, 60)), colour(rng, 20, 140), -1)
    return np.clip(out, 0, 255).astype(np.uint8)


def _walker(out: U8, x: float, y: float, t: float, size: float, c: tuple[int, int, int]) -> None:
    import cv2

    bob = 3 * abs(math.sin(2 * math.pi * 1.8 * t))
    xi, yi, s = int(x), int(y - bob), size
    cv2.rectangle(
        out, (xi - int(s * 0.22), yi - int(s * 0.85)), (xi + int(s * 0.22), yi - int(s * 0.35)), c, -1
    )
    swing = int(s * 0.18 * math.sin(2 * math.pi * 1.8 * t))
    cv2.line(out, (xi, yi - int(s * 0.35)), (xi + swing, yi), (40, 40, 50), max(2, int(s * 0.08)))
    cv2.line(out, (xi, yi - int(s * 0.35)), (xi - swing, yi), (40, 40, 50), max(2, int(s * 0.08)))
    cv2.circle(out, (xi, yi - int(s * 0.97)), int(s * 0.13), (200, 160, 130), -1)


def _car(out: U8, x: float, y: float, length: int, c: tuple[int, int, int], lights: bool) -> None:
    import cv2

    xi, yi, h = int(x), int(y), length // 3
    cv2.rectangle(out, (xi, yi - h), (xi + length, yi - h // 4), c, -1)
    cv2.rectangle(out, (xi + length // 5, yi - h - h // 2), (xi + length * 3 // 4, yi - h), c, -1)
    for wx in (xi + length // 5, xi + length * 4 // 5):
        cv2.circle(out, (wx, yi - h // 4), h // 3, (15, 15, 15), -1)
    if lights:
        for radius, level in ((26, 60), (14, 140), (6, 255)):
            cv2.circle(out, (xi + length, yi - h // 2), radius, (level, level, int(level * 0.85)), -1)
        cv2.circle(out, (xi, yi - h // 2), 7, (220, 20, 20), -1)


@dataclass(slots=True)
class Mover:
    kind: str  # walker | car | flag | water
    x0: float
    y: float
    speed: float  # world px per second
    size: float
    colour: tuple[int, int, int]
    phase: float


def movers(rng: np.random.Generator, width: int, height: int, *, night: bool) -> list[Mover]:
    out = []
    road = height * 0.85
    for _ in range(int(rng.integers(2, 6))):
        out.append(
            Mover(
                "car",
                rng.uniform(-300, width),
                road + rng.uniform(-20, 40),
                rng.choice([-1, 1]) * rng.uniform(60, 220),
                rng.uniform(90, 170),
                colour(rng, 30, 230),
                0.0,
            )
        )
    if not night:
        for _ in range(int(rng.integers(2, 7))):
            out.append(
                Mover(
                    "walker",
                    rng.uniform(0, width),
                    road - rng.uniform(0, 40),
                    rng.uniform(-50, 50),
                    rng.uniform(60, 110),
                    colour(rng, 30, 230),
                    0.0,
                )
            )
        if rng.random() < 0.7:
            out.append(
                Mover(
                    "flag",
                    rng.uniform(0.1, 0.9) * width,
                    height * rng.uniform(0.2, 0.45),
                    0,
                    rng.uniform(60, 110),
                    colour(rng, 60, 250),
                    rng.uniform(0, 6),
                )
            )
    return out


def paint_movers(world: U8, items: Sequence[Mover], t: float, night: bool) -> U8:
    import cv2

    out = world.copy()
    width = out.shape[1]
    for m in items:
        span = width + 600
        x = (m.x0 + m.speed * t + 300) % span - 300
        if m.kind == "car":
            _car(out, x, m.y, int(m.size), m.colour, night)
        elif m.kind == "walker":
            _walker(out, x, m.y, t + m.phase, m.size, m.colour)
        elif m.kind == "flag":
            pole = (int(m.x0), int(m.y))
            cv2.line(out, pole, (pole[0], pole[1] + int(m.size * 2.5)), (60, 60, 60), 4)
            pts = [
                (
                    pole[0] + int(dx),
                    pole[1] + int(dy + 8 * math.sin(2 * math.pi * (1.3 * t - dx / 50) + m.phase)),
                )
                for dx, dy in (
                    (0, 0),
                    (m.size * 0.5, 0),
                    (m.size, 0),
                    (m.size, m.size * 0.6),
                    (m.size * 0.5, m.size * 0.6),
                    (0, m.size * 0.6),
                )
            ]
            cv2.fillPoly(out, [np.int32(pts)], m.colour)
    return out


def water(out: U8, top: int, t: float, phase: float) -> None:
    """Ripples over the rows below `top` (in place): moving bright and dark stripes."""
    h = out.shape[0] - top
    if h <= 0:
        return
    rows = np.arange(h, dtype=np.float32)[:, None]
    cols = np.arange(out.shape[1], dtype=np.float32)[None, :]
    wave = np.sin(cols / (14 + rows * 0.05) + rows * 0.9 - 3.0 * t + phase) * np.sin(rows * 0.31 + 1.7 * t)
    out[top:] = np.clip(out[top:].astype(np.float32) * (0.85 + 0.25 * wave[..., None]), 0, 255).astype(
        np.uint8
    )


# ---------------------------------------------------------------- camera


Key = tuple[float, float, float]
"""A camera key position: view centre x, y (fractions of the world) and view width (fraction)."""


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


def random_keys(
    rng: np.random.Generator, world: U8, size: tuple[int, int], n: int, lo: float, hi: float
) -> tuple[Key, ...]:
    """`n` key positions; view widths between lo and hi of the widest view that fits the world."""
    wh, ww = world.shape[:2]
    widest = min(1.0, (wh / ww) * size[0] / size[1])
    return tuple(
        (float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.35, 0.65)), float(rng.uniform(lo, hi) * widest))
        for _ in range(n)
    )


def film(
    world: U8,
    keys: Sequence[Key],
    frames: int,
    size: tuple[int, int],
    rng: np.random.Generator,
    bank: Sequence[npt.NDArray[np.int16]],
    *,
    shake: float = 1.0,
    noise: float = 3.0,
    painter: Callable[[U8, float], U8] | None = None,
    t0: float = 0.0,
) -> Iterator[U8]:
    """A shot: the world through a virtual camera (hand-held when `shake` > 0)."""
    import cv2

    wh, ww = world.shape[:2]
    out_w, out_h = size
    freqs, phases = rng.uniform(0.3, 2.4, 6), rng.uniform(0, 2 * math.pi, 8)
    amps = (6.0, 3.0, 1.5)
    smallest_scale = out_w / max(k[2] * ww for k in keys)
    blurred = cv2.GaussianBlur(world, (0, 0), 0.45 / smallest_scale) if smallest_scale < 0.9 else world
    gain_phase = float(rng.uniform(0, 2 * math.pi))
    previous: tuple[float, float] | None = None
    for i in range(frames):
        t = t0 + i / FPS
        cx, cy, vw = _key_at(keys, i / max(1, frames - 1))
        view_w = vw * ww * (1 + 0.01 * math.sin(2 * math.pi * 0.17 * t + phases[6]))
        scale = out_w / view_w
        view_h = out_h / scale
        sx = sum(
            a * math.sin(2 * math.pi * f * t + p) for a, f, p in zip(amps, freqs[:3], phases[:3], strict=True)
        )
        sy = sum(
            a * math.sin(2 * math.pi * f * t + p)
            for a, f, p in zip(amps, freqs[3:], phases[3:6], strict=True)
        )
        sx = shake * (sx + rng.normal(0, 0.6))
        sy = shake * (sy + rng.normal(0, 0.6))
        roll = math.radians(shake * 0.7 * math.sin(2 * math.pi * 0.31 * t + phases[7]))
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
            source, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
        )
        if previous is not None and shake > 0.2:
            picture = _motion_blur(picture, (x - previous[0]) * scale, (y - previous[1]) * scale)
        previous = (x, y)
        gain = 1.0 + 0.04 * math.sin(2 * math.pi * 0.08 * t + gain_phase)
        grain = bank[int(rng.integers(len(bank)))][:out_h, :out_w]
        yield np.clip(picture.astype(np.int16) * gain + grain * (noise / 3.0), 0, 255).astype(np.uint8)


def _cuts(rng: np.random.Generator, total: int, shots: int, shortest: int) -> list[int]:
    """Shot lengths in frames summing to `total`, none shorter than `shortest`. The cuts are drawn below
    `total - shortest`, so `shots` shots need one frame more than `shots * shortest` (one fewer shot
    where `total` is an exact multiple: no draw could succeed there)."""
    shots = max(1, min(shots, (total - 1) // shortest))
    if shots == 1:
        return [total]
    while True:
        cuts = sorted(int(c) for c in rng.integers(shortest, total - shortest, shots - 1))
        lengths = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
        if min(lengths) >= shortest:
            return lengths


# ---------------------------------------------------------------- the renderers


def _noise_bank(rng: np.random.Generator) -> list[npt.NDArray[np.int16]]:
    return [rng.normal(0, 3.0, (640, 640, 3)).astype(np.int16) for _ in range(8)]


def render(spec: Spec, seconds: float) -> Iterator[U8]:
    """Every RGB frame of `seconds` of the clip (a pure function of the spec)."""
    rng = np.random.default_rng([spec.seed, zlib.crc32(spec.id.encode())])
    frames = round(seconds * FPS)
    family = spec.family
    if family == "footage":
        family = ("handheld", "static", "handheld")[spec.index]
    if family == "handheld":
        yield from _handheld(spec, frames, rng)
    elif family == "static":
        yield from _static(spec, frames, rng)
    elif family == "night":
        yield from _night(spec, frames, rng)
    elif family == "screen":
        yield from _screen(spec, frames, rng)
    elif family == "text":
        yield from _text(spec, frames, rng)
    else:
        raise ValueError(f"unknown family {spec.family!r}")


def _handheld(spec: Spec, frames: int, rng: np.random.Generator) -> Iterator[U8]:
    bank = _noise_bank(rng)
    if spec.photo:
        world = _photo(spec.photo)
    elif spec.seed % 2:
        world = town_world(spec.seed)
    else:
        world = noise_world(spec.seed)
    for n in _cuts(rng, frames, int(rng.integers(2, 4)), 2 * FPS):
        keys = random_keys(rng, world, spec.size, int(rng.integers(2, 4)), 0.3, 0.85)
        yield from film(world, keys, n, spec.size, rng, bank)


def _static(spec: Spec, frames: int, rng: np.random.Generator) -> Iterator[U8]:
    bank = _noise_bank(rng)
    if spec.photo:
        world = _photo(spec.photo)
        world = world[: world.shape[0] * 9 // 10]
    else:
        world = town_world(spec.seed, 1200, 675) if spec.seed % 2 else noise_world(spec.seed, 1200, 675)
    h, w = world.shape[:2]
    items = movers(rng, w, h, night=False)
    sea = int(h * rng.uniform(0.7, 0.85)) if spec.photo.endswith("q0122.jpg") or rng.random() < 0.3 else h
    phase = float(rng.uniform(0, 6))

    def painter(picture: U8, t: float) -> U8:
        out = paint_movers(picture, items, t, night=False)
        water(out, sea, t, phase)
        return out

    key = random_keys(rng, world, spec.size, 1, 0.75, 0.95)
    yield from film(world, key, frames, spec.size, rng, bank, shake=0.08, noise=2.0, painter=painter)


def _night(spec: Spec, frames: int, rng: np.random.Generator) -> Iterator[U8]:
    bank = _noise_bank(rng)
    world = town_world(spec.seed, night=True)
    h, w = world.shape[:2]
    items = movers(rng, w, h, night=True)
    hand = bool(spec.index % 2)

    def painter(picture: U8, t: float) -> U8:
        return paint_movers(picture, items, t, night=True)

    noise = float(rng.uniform(5, 8))
    if hand:
        for n in _cuts(rng, frames, 2, 3 * FPS):
            keys = random_keys(rng, world, spec.size, 2, 0.35, 0.8)
            yield from film(world, keys, n, spec.size, rng, bank, noise=noise, painter=painter)
    else:
        keys = random_keys(rng, world, spec.size, 1, 0.5, 0.9)
        yield from film(world, keys, frames, spec.size, rng, bank, shake=0.05, noise=noise, painter=painter)


def _cursor(out: U8, x: float, y: float) -> None:
    import cv2

    pts = np.int32([(0, 0), (0, 17), (4, 13), (8, 21), (11, 20), (7, 12), (13, 12)]) + np.int32(
        [int(x), int(y)]
    )
    cv2.fillPoly(out, [pts], (255, 255, 255))
    cv2.polylines(out, [pts], True, (0, 0, 0), 1)


def _screen(spec: Spec, frames: int, rng: np.random.Generator) -> Iterator[U8]:
    """A chat, feed or code window: fixed chrome (style seed), scrolling content, a cursor."""
    import cv2

    w, h = spec.size
    style = np.random.default_rng([spec.style_seed, 31])
    kind = ("chat", "feed", "code")[spec.style_seed % 3]
    dark = kind == "code" or style.random() < 0.3
    bg = (30, 32, 38) if dark else (245, 245, 242)
    ink = (220, 220, 220) if dark else (30, 30, 30)
    accent = colour(style, 40, 220)
    top, side = 34, (0 if w < h else int(style.integers(90, 150)))
    page = np.full((h * 5, w - side, 3), bg, np.uint8)
    y = 10
    while y < page.shape[0] - 220:
        if kind == "chat":
            mine = rng.random() < 0.4
            lines = int(rng.integers(1, 4))
            bw = int(rng.uniform(0.4, 0.75) * (w - side))
            bx = (w - side) - bw - 10 if mine else 50
            cv2.rectangle(
                page,
                (bx, y),
                (bx + bw, y + 20 * lines + 10),
                accent if mine else (210, 210, 215) if not dark else (60, 62, 70),
                -1,
            )
            if not mine:
                cv2.circle(page, (24, y + 16), 14, colour(rng, 60, 230), -1)
            for k in range(lines):
                put(
                    page,
                    words(rng, int(bw / 45)),
                    (bx + 8, y + 22 + 20 * k),
                    0.45,
                    (255, 255, 255) if mine else ink,
                )
            y += 20 * lines + 24
        elif kind == "feed":
            cv2.circle(page, (26, y + 18), 16, colour(rng, 60, 230), -1)
            put(page, words(rng, 2), (50, y + 16), 0.5, ink, 1)
            put(page, words(rng, int((w - side) / 60)), (50, y + 36), 0.42, ink)
            ih = int(rng.integers(60, 140))
            block = rng.integers(0, 256, (3, 4, 3)).astype(np.uint8)
            page[y + 46 : y + 46 + ih, 50 : w - side - 12] = cv2.resize(
                block, (w - side - 62, ih), interpolation=cv2.INTER_CUBIC
            )
            y += ih + 64
            cv2.line(page, (0, y - 8), (w - side, y - 8), (128, 128, 128), 1)
        else:
            indent = int(rng.integers(0, 4)) * 24
            put(page, f"{(y // 18) + 1:>3}", (4, y + 12), 0.38, (110, 110, 120))
            x = 40 + indent
            for token in words(rng, int(rng.integers(1, 6))).split():
                put(page, token, (x, y + 12), 0.42, colour(rng, 120, 256))
                x += 9 * len(token) + 8
            y += 18
    chrome = np.full((h, w, 3), bg, np.uint8)
    cv2.rectangle(chrome, (0, 0), (w, top), accent, -1)
    put(chrome, words(style, 2).upper(), (12, 23), 0.55, (255, 255, 255), 1)
    if side:
        cv2.rectangle(chrome, (0, top), (side, h), (45, 47, 55) if dark else (225, 228, 232), -1)
        for k in range(top + 16, h - 10, 28):
            put(chrome, words(style, 1), (10, k), 0.42, ink)
    # scroll: pauses and eased moves, ending anywhere in the page
    stops = np.cumsum(rng.uniform(40, 160, 12)).astype(int)
    stop_frames = np.linspace(0, frames, len(stops) + 1).astype(int)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    targets = rng.uniform(0.1, 0.9, (frames // 20 + 2, 2)) * (w, h)
    for i in range(frames):
        seg = min(int(np.searchsorted(stop_frames, i, side="right")) - 1, len(stops) - 1)
        u = (i - stop_frames[seg]) / max(1, stop_frames[seg + 1] - stop_frames[seg])
        start = 0 if seg == 0 else stops[seg - 1]
        offset = int(start + (stops[seg] - start) * _ease(min(1.0, u * 2.5)))
        offset = min(offset, page.shape[0] - (h - top))
        out = chrome.copy()
        out[top:, side:] = page[offset : offset + h - top]
        tx, ty = targets[i // 20]
        cx, cy = cx + (tx - cx) * 0.12, cy + (ty - cy) * 0.12
        _cursor(out, cx, cy)
        yield out


def _text(spec: Spec, frames: int, rng: np.random.Generator) -> Iterator[U8]:
    """Slides (title, bullets, sometimes a bar chart) or document pages, cut every 1.5-3.5 s."""
    import cv2

    w, h = spec.size
    style = np.random.default_rng([spec.style_seed, 37])
    slides = spec.style_seed % 2 == 0
    bg = colour(style, 200, 256) if style.random() < 0.7 else colour(style, 10, 60)
    ink = (20, 20, 30) if sum(bg) > 380 else (235, 235, 235)
    band = colour(style, 30, 200)

    def page() -> U8:
        out = np.full((h, w, 3), bg, np.uint8)
        if slides:
            cv2.rectangle(out, (0, 0), (w, 58), band, -1)
            put(out, words(rng, 4).title(), (18, 40), 0.85, (255, 255, 255), 2)
            chart = rng.random() < 0.35
            text_w = w // 2 if chart else w
            for k in range(int(rng.integers(5, 9))):
                yy = 92 + 34 * k
                cv2.circle(out, (26, yy - 6), 4, band, -1)
                put(out, words(rng, max(2, int(text_w / 70))), (40, yy), 0.55, ink, 1)
            if chart:
                for b in range(5):
                    bh = int(rng.uniform(30, 180))
                    cv2.rectangle(
                        out,
                        (w // 2 + 30 + 50 * b, 300 - bh),
                        (w // 2 + 66 + 50 * b, 300),
                        colour(rng, 40, 220),
                        -1,
                    )
            put(out, f"{int(rng.integers(2, 40))}", (w - 40, h - 12), 0.45, ink)
        else:
            cv2.rectangle(out, (w // 12, 0), (w - w // 12, h), (250, 250, 250), -1)
            put(out, words(rng, 3).upper(), (w // 12 + 16, 30), 0.6, (20, 20, 20), 2)
            for k in range(int((h - 50) / 15)):
                put(out, words(rng, max(3, int(w / 75))), (w // 12 + 16, 52 + 15 * k), 0.36, (40, 40, 40), 1)
        return out

    for n in _cuts(rng, frames, max(3, frames // (FPS * 5) + 2), int(1.5 * FPS)):
        picture = page()
        drift = (not slides) and rng.random() < 0.5  # a document scrolls slowly on some pages
        for i in range(n):
            if drift:
                shift = int(i * 0.6)
                picture_i = np.vstack([picture[shift % h :], picture[: shift % h]])
                yield picture_i
            else:
                yield picture


# ---------------------------------------------------------------- shared pictures


def bumper_frame(i: int, seed: int, size: tuple[int, int] = SIZE) -> U8:
    """Frame `i` of a 1.5 s title card (a station ident: zooming logo, light sweep); one per seed."""
    import cv2

    rng = np.random.default_rng([seed, 41])
    width, height = size
    t = i / FPS
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(20, 120, 3)
    out = np.stack([base[0] + 40 * y / height, base[1] + 30 * x / width, base[2] + 80 * y / height], axis=-1)
    sweep = np.exp(-(((x - (-200 + 900 * t / 1.5)) / 60.0) ** 2))[..., None] * 80
    out = np.clip(out + sweep, 0, 255).astype(np.uint8)
    scale = 1.0 + 0.06 * t
    cv2.circle(out, (width // 2, height * 2 // 5), int(70 * scale), colour(rng, 150, 256), -1)
    cv2.circle(out, (width // 2, height * 2 // 5), int(50 * scale), colour(rng, 0, 120), -1)
    put(out, words(rng, 2).upper(), (width // 6, height * 4 // 5), 1.2, (255, 255, 255), 3)
    return out


# ---------------------------------------------------------------- encoding


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

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.count
        frame.time_base = self.time_base
        self.container.mux(self.stream.encode(frame))
        self.count += 1

    def close(self) -> None:
        if not self.closed:
            self.container.mux(self.stream.encode(None))
            self.container.close()
            self.closed = True

    def abort(self) -> None:
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


def write_frames(path: Path, frames: Iterator[U8], size: tuple[int, int], **kw: Any) -> Path:
    def make(tmp: Path) -> None:
        with VideoWriter(tmp, size, **kw) as writer:
            for rgb in frames:
                writer.write(rgb)

    return publish(path, make)


def decode(path: Path) -> list[U8]:
    """Every frame of a file as RGB arrays."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]


def contact_sheet(path: Path, out: Path, every: float = 2.0) -> Path:
    """A picture of one frame every `every` seconds (to look at what a clip shows)."""
    import av
    from PIL import Image

    thumbs: list[U8] = []
    with av.open(str(path)) as container:
        next_t = 0.0
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time + 1e-6 >= next_t:
                thumbs.append(
                    frame.to_ndarray(
                        format="rgb24", width=160, height=90 if frame.width > frame.height else 284
                    )
                )
                next_t += every
    cols = 8
    rows = [thumbs[i : i + cols] for i in range(0, len(thumbs), cols)]
    blank = np.zeros_like(thumbs[0])
    grid = np.vstack([np.hstack(r + [blank] * (cols - len(r))) for r in rows])
    Image.fromarray(grid).save(out)
    return out
