"""Edited copies of the sources, compilations, distractors and their ground truth: the v3 suite.

Every source gets one copy per edit family (`EDITS`); the parameters of each copy are drawn from its
own seeded generator, `default_rng([PARAM_SEED[half], crc32(copy id)])`, so the held-out half has its
own stream, and are recorded in the ground truth. A copy is made from the encoded source file (decoded
with PyAV, as a re-uploader would), edited in RGB with numpy/OpenCV and encoded again: unless said
otherwise x264 `veryfast` CRF 23 without mbtree, 30 fps, the source's size. `longer_cut` is cut from
the source's master (the source is its middle). See README.md for the families and ranges.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from sources import (
    CACHE,
    EXTRA_TUNES,
    FPS,
    HALVES,
    PAD,
    SECONDS,
    SIZE,
    SUITE_VERSION,
    U8,
    X264,
    Spec,
    bumper_frame,
    colour,
    decode,
    footage_spec,
    put,
    render,
    source_specs,
    split,
    words,
    write_frames,
)

PARAM_SEED: Final = {
    "tune": 7001,
    "held-out": 9203,
    "tune2": 5113,
    "tune3": 6247,
    "tune4": 2574,
    "tune5": 6277,
    "tune6": 5790,
}
"""The edit-parameter streams: held-out copies never share draws with tuned ones."""
COMPILATIONS_PER_HALF: Final = 5
PIECE: Final = 2.0


@dataclass(frozen=True, slots=True)
class Span:
    """Query seconds [query_start, query_end) show source time source_start + speed * (t - query_start)."""

    source: str
    query_start: float
    query_end: float
    source_start: float
    source_end: float
    speed: float = 1.0


@dataclass(frozen=True, slots=True)
class Truth:
    clip: str  # the copy's id (its file name without suffix)
    file: str  # path relative to the suite folder
    transform: str  # the edit family
    expect: str  # duplicate | excerpt-of | contains | partial: the copy (query) against each source
    spans: tuple[Span, ...]
    half: str = ""
    family: str = ""  # the content family of the source ("" for compilations)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.source for s in self.spans))

    def source_time(self, t: float) -> tuple[str, float] | None:
        """The source and source time shown at copy time `t`, or None (unrelated footage)."""
        for s in self.spans:
            if s.query_start - 1e-6 <= t < s.query_end - 1e-6:
                return s.source, s.source_start + s.speed * (t - s.query_start)
        return None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Truth:
        spans = tuple(Span(**s) for s in data["spans"])
        rest = {k: data[k] for k in ("half", "family", "params") if k in data}
        return cls(data["clip"], data["file"], data["transform"], data["expect"], spans, **rest)


# ---------------------------------------------------------------- pixel helpers


def resize(rgb: U8, size: tuple[int, int]) -> U8:
    import cv2

    shrinking = size[0] < rgb.shape[1]
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def cover(rgb: U8, size: tuple[int, int]) -> U8:
    """`rgb` scaled to cover `size` and centre-cropped."""
    h, w = rgb.shape[:2]
    s = max(size[0] / w, size[1] / h)
    big = resize(rgb, (max(size[0], round(w * s)), max(size[1], round(h * s))))
    y, x = (big.shape[0] - size[1]) // 2, (big.shape[1] - size[0]) // 2
    return big[y : y + size[1], x : x + size[0]]


def fit(rgb: U8, size: tuple[int, int]) -> U8:
    """`rgb` scaled to fit inside `size`, centred on black."""
    h, w = rgb.shape[:2]
    s = min(size[0] / w, size[1] / h)
    out = np.zeros((size[1], size[0], 3), np.uint8)
    small = resize(rgb, (even(w * s), even(h * s)))
    paste(out, small, (size[0] - small.shape[1]) // 2, (size[1] - small.shape[0]) // 2)
    return out


def paste(out: U8, rgb: U8, x: int, y: int) -> None:
    out[y : y + rgb.shape[0], x : x + rgb.shape[1]] = rgb


def logo(
    out: U8, box: tuple[int, int, int, int], fill: tuple[int, int, int], text: str, alpha: float = 1.0
) -> None:
    import cv2

    x, y, w, h = box
    layer = out[y : y + h, x : x + w].copy()
    cv2.rectangle(layer, (0, 0), (w - 1, h - 1), fill, -1)
    scale = h / 60
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, 2)
    if tw > w * 0.9:
        scale *= w * 0.9 / tw
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, scale, 2)
    cv2.putText(layer, text, ((w - tw) // 2, (h + th) // 2), cv2.FONT_HERSHEY_DUPLEX, scale, (255,) * 3, 2)
    out[y : y + h, x : x + w] = (out[y : y + h, x : x + w] * (1 - alpha) + layer * alpha).astype(np.uint8)


def small_logo(
    rng: np.random.Generator, size: tuple[int, int]
) -> tuple[dict[str, Any], Callable[[U8], None]]:
    w, h = size
    lw = even(rng.uniform(0.12, 0.22) * min(w, h * 16 / 9))
    lh = even(lw * rng.uniform(0.35, 0.55))
    margin = int(rng.integers(6, 24))
    corner = str(rng.choice(["tl", "tr", "bl", "br"]))
    x = margin if corner[1] == "l" else w - margin - lw
    y = margin if corner[0] == "t" else h - margin - lh
    fill, text, alpha = colour(rng, 20, 230), words(rng, 1).upper()[:6], float(rng.uniform(0.75, 1.0))
    params = {"logo_box": [x, y, lw, lh], "logo_corner": corner, "logo_alpha": round(alpha, 3)}
    return params, lambda out: logo(out, (x, y, lw, lh), fill, text, alpha)


def crop_to(rgb: U8, box: tuple[float, float, float, float], size: tuple[int, int]) -> U8:
    """Crop the fractional box (left, top, right, bottom) and scale it to `size`."""
    h, w = rgb.shape[:2]
    left, t, r, b = box
    return resize(rgb[round(h * t) : round(h * b), round(w * left) : round(w * r)], size)


# ---------------------------------------------------------------- templates shared within a half


@dataclass(frozen=True, slots=True)
class Programme:
    """A news programme frame (studio background, name strip, ticker), one per half."""

    seed: int
    size: tuple[int, int] = SIZE

    def background(self) -> U8:
        import cv2

        rng = np.random.default_rng([self.seed, 51])
        w, h = self.size
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = rng.uniform(20, 90, 3)
        out = np.stack([base[0] + 50 * x / w, base[1] + 30 * y / h, base[2] + 90 * (1 - y / h)], -1)
        out = np.clip(out, 0, 255).astype(np.uint8)
        for _ in range(14):  # a skyline wall behind the desk
            bx, bw, bh = int(rng.integers(0, w)), int(rng.integers(20, 70)), int(rng.integers(40, 180))
            cv2.rectangle(out, (bx, h - 60 - bh), (bx + bw, h - 60), colour(rng, 40, 140), -1)
        cv2.rectangle(out, (0, h - 70), (w, h), colour(rng, 60, 120), -1)  # the desk
        put(out, words(rng, 1).upper() + " NEWS", (w - 190, 30), 0.7, (255, 255, 255), 2)
        return cv2.GaussianBlur(out, (0, 0), 1.2)

    def overlay(self, out: U8, i: int, name: str) -> None:
        """The name strip and the ticker, drawn over the picture (in place)."""
        import cv2

        rng = np.random.default_rng([self.seed, 52])
        w, h = self.size
        band, strip = colour(rng, 120, 230), colour(rng, 10, 80)
        cv2.rectangle(out, (0, h - 30), (w, h), (15, 15, 20), -1)
        ticker = "  +++  ".join(words(rng, 5) for _ in range(6))
        put(out, ticker, (w - (i * 3) % (len(ticker) * 9 + w), h - 9), 0.55, (240, 240, 200), 1)
        cv2.rectangle(out, (20, h - 76), (w * 3 // 5, h - 38), strip, -1)
        cv2.rectangle(out, (20, h - 76), (28, h - 38), band, -1)
        put(out, name, (38, h - 50), 0.62, (255, 255, 255), 1)


@dataclass(frozen=True, slots=True)
class Channel:
    """A large channel logo and lower-third bar, one per half."""

    seed: int

    def draw(self, out: U8, i: int, right: bool = False) -> None:
        import cv2

        rng = np.random.default_rng([self.seed, 61])
        h, w = out.shape[:2]
        bar = int(h * 0.22)
        fill, text = colour(rng, 10, 90), words(rng, 5)
        cv2.rectangle(out, (0, h - bar), (w, h), fill, -1)
        put(out, text, (w // 4, h - bar // 2), 0.7, (255, 255, 255), 2)
        put(out, words(rng, 8), (w - (i * 4) % (w + 800), h - 10), 0.5, (230, 230, 120), 1)
        lw, lh = int(w * 0.22), int(h * 0.18)
        x = w - lw - 14 if right else 14
        logo(out, (x, 14, lw, lh), colour(rng, 150, 250), words(rng, 1).upper()[:4] + " TV")


def phone_frame(out_size: tuple[int, int], seed: int) -> tuple[U8, tuple[int, int, int, int]]:
    """A screen-recording frame (status bar, bezel, buttons) and where the footage goes (x, y, w, h)."""
    import cv2

    rng = np.random.default_rng([seed, 71])
    w, h = out_size
    frame = np.full((h, w, 3), colour(rng, 10, 40), np.uint8)
    cv2.rectangle(frame, (0, 0), (w, 26), (0, 0, 0), -1)
    put(frame, "9:41", (10, 18), 0.5, (255, 255, 255), 1)
    for k in range(4):
        cv2.rectangle(frame, (w - 60 + 9 * k, 18 - 3 * k), (w - 54 + 9 * k, 20), (255, 255, 255), -1)
    cv2.rectangle(frame, (0, h - 70), (w, h), colour(rng, 20, 60), -1)
    for k, label in enumerate(("Like", "Share", "Save")):
        put(frame, label, (20 + k * w // 3, h - 30), 0.6, (255, 255, 255), 1)
    return frame, (0, 26, w, h - 96)


# ---------------------------------------------------------------- the edits


@dataclass(slots=True)
class Copy:
    frames: Iterator[U8]
    spans: list[Span]
    params: dict[str, Any]
    size: tuple[int, int]
    expect: str = "duplicate"
    fps: int = FPS
    codec: str = "libx264"
    options: dict[str, str] = field(default_factory=lambda: dict(X264))


@dataclass(slots=True)
class Source:
    id: str
    half: str
    frames: list[U8]
    size: tuple[int, int]

    @property
    def seconds(self) -> float:
        return len(self.frames) / FPS

    def whole(self, q0: float = 0.0) -> list[Span]:
        return [Span(self.id, q0, q0 + self.seconds, 0.0, self.seconds)]


def _map(src: Source, edit: Callable[[U8, int], U8]) -> Iterator[U8]:
    for i, rgb in enumerate(src.frames):
        yield edit(rgb, i)


def footage(seed: int, seconds: float, size: tuple[int, int]) -> Iterator[U8]:
    """Unrelated filler footage, never shown anywhere else."""
    return render(footage_spec(seed, size), seconds)


def r3(x: float) -> float:
    return round(float(x), 3)


def e_crop(src: Source, rng: np.random.Generator) -> Copy:
    left, r, t, b = (float(v) for v in rng.uniform(0.05, 0.15, 4))
    box = (left, t, 1 - r, 1 - b)
    params = {"left": r3(left), "right": r3(r), "top": r3(t), "bottom": r3(b)}
    return Copy(_map(src, lambda rgb, _i: crop_to(rgb, box, src.size)), src.whole(), params, src.size)


def e_zoom(src: Source, rng: np.random.Generator) -> Copy:
    z = float(rng.uniform(1.1, 1.4))
    half = 0.5 / z
    cx, cy = (float(rng.uniform(half, 1 - half)) for _ in range(2))
    box = (cx - half, cy - half, cx + half, cy + half)
    params = {"zoom": r3(z), "centre": [r3(cx), r3(cy)]}
    return Copy(_map(src, lambda rgb, _i: crop_to(rgb, box, src.size)), src.whole(), params, src.size)


def e_rotate(src: Source, rng: np.random.Generator) -> Copy:
    import cv2

    angle = float(rng.uniform(2, 10) * rng.choice([-1, 1]))
    w, h = src.size
    a = math.radians(abs(angle))
    scale = math.cos(a) + max(w, h) / min(w, h) * math.sin(a)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    params = {"angle": r3(angle), "zoom": r3(scale)}
    edit = lambda rgb, _i: cv2.warpAffine(rgb, matrix, (w, h), flags=cv2.INTER_LINEAR)  # noqa: E731
    return Copy(_map(src, edit), src.whole(), params, src.size)


def e_mirror_crop_logo(src: Source, rng: np.random.Generator) -> Copy:
    left, r, t, b = (float(v) for v in rng.uniform(0.02, 0.08, 4))
    params, draw = small_logo(rng, src.size)
    params |= {"mirror": True, "left": r3(left), "right": r3(r), "top": r3(t), "bottom": r3(b)}

    def edit(rgb: U8, _i: int) -> U8:
        out = crop_to(np.ascontiguousarray(rgb[:, ::-1]), (left, t, 1 - r, 1 - b), src.size)
        draw(out)
        return out

    return Copy(_map(src, edit), src.whole(), params, src.size)


def e_orientation(src: Source, rng: np.random.Generator) -> Copy:
    """A landscape clip reposted in a 9:16 frame (a portrait one in 16:9) over a blurred copy of itself."""
    import cv2

    w, h = src.size
    out_size = (h, w)  # the other orientation
    ow, oh = out_size
    s = min(ow / w, oh / h) * float(rng.uniform(0.92, 1.0))
    fw, fh = even(w * s), even(h * s)
    free_x, free_y = ow - fw, oh - fh
    shift = float(rng.uniform(-0.3, 0.3))
    x, y = int(free_x / 2 + shift * free_x / 2), int(free_y / 2 + shift * free_y / 2)
    sigma, dim = float(rng.uniform(3, 8)), float(rng.uniform(0.45, 0.8))
    params = {"out": list(out_size), "scale": r3(s), "place": [x, y], "blur": r3(sigma), "dim": r3(dim)}

    def edit(rgb: U8, _i: int) -> U8:
        small = cv2.resize(cover(rgb, out_size), (ow // 8, oh // 8), interpolation=cv2.INTER_AREA)
        back = cv2.resize(cv2.GaussianBlur(small, (0, 0), sigma), out_size, interpolation=cv2.INTER_LINEAR)
        out = (back * dim).astype(np.uint8)
        paste(out, resize(rgb, (fw, fh)), x, y)
        return out

    return Copy(_map(src, edit), src.whole(), params, out_size)


def pip_frames(
    frames: Iterator[U8],
    size: tuple[int, int],
    programme: Programme,
    scale: float,
    place: tuple[float, float],
    name: str,
) -> Iterator[U8]:
    back = programme.background()
    pw, ph = programme.size
    for i, rgb in enumerate(frames):
        w, h = size
        fit = min(pw / w, (ph - 30) / h) * scale
        cw, ch = even(w * fit), even(h * fit)
        x, y = int(place[0] * (pw - cw)), int(place[1] * (ph - 30 - ch))
        out = back.copy()
        paste(out, resize(rgb, (cw, ch)), x, y)
        programme.overlay(out, i, name)
        yield out


def e_pip(src: Source, rng: np.random.Generator) -> Copy:
    programme = Programme(PARAM_SEED[src.half])
    scale = float(rng.uniform(0.4, 0.7))
    place = (float(rng.uniform(0, 1)), float(rng.uniform(0, 1)))
    name = words(rng, 3).title()
    params = {
        "scale": r3(scale),
        "place": [r3(place[0]), r3(place[1])],
        "name": name,
        "programme": programme.seed,
    }
    frames = pip_frames(iter(src.frames), src.size, programme, scale, place, name)
    return Copy(frames, src.whole(), params, programme.size)


def e_screen_film(src: Source, rng: np.random.Generator) -> Copy:
    """Filmed off a monitor: bezel and wall visible, perspective, moiré, gamma/colour, blur, noise."""
    import cv2

    w, h = src.size
    fill = float(rng.uniform(0.72, 0.88))
    sw, sh = even(w * fill), even(h * fill)
    bezel = int(rng.integers(6, 16))
    mw, mh = sw + 2 * bezel, sh + 2 * bezel
    cx, cy = w / 2 + rng.uniform(-0.04, 0.04) * w, h / 2 + rng.uniform(-0.04, 0.04) * h
    flat = np.float32(
        [
            [cx - mw / 2, cy - mh / 2],
            [cx + mw / 2, cy - mh / 2],
            [cx + mw / 2, cy + mh / 2],
            [cx - mw / 2, cy + mh / 2],
        ]
    )
    jitter = rng.uniform(-0.035, 0.035, (4, 2)) * (w, h)
    quad = (flat + jitter).astype(np.float32)
    corners = np.float32([[0, 0], [mw, 0], [mw, mh], [0, mh]])
    gamma = float(rng.uniform(0.8, 1.25))
    gains = rng.uniform(0.88, 1.12, 3)
    lut = np.clip(255 * (np.arange(256) / 255) ** gamma, 0, 255)
    luts = [np.clip(lut * g, 0, 255).astype(np.uint8) for g in gains]
    period, angle, amp = (
        float(rng.uniform(2.5, 6)),
        float(rng.uniform(0, math.pi)),
        float(rng.uniform(0.04, 0.1)),
    )
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    moire = 1 + amp * np.sin(2 * math.pi * (xx * math.cos(angle) + yy * math.sin(angle)) / period)
    moire *= 1 + 0.5 * amp * np.sin(
        2 * math.pi * (xx * math.sin(angle) - yy * math.cos(angle)) / (period * 1.7)
    )
    blur, noise = float(rng.uniform(0.6, 1.3)), float(rng.uniform(2, 5))
    wall = np.full((h, w, 3), colour(rng, 60, 200), np.uint8)
    bank = [rng.normal(0, noise, (h, w, 3)).astype(np.float32) for _ in range(6)]
    drift = rng.uniform(0, 2 * math.pi, 2)
    bezel_colour = colour(rng, 5, 45)
    params = {
        "screen": r3(fill), "bezel": bezel, "corner_shift_px": [[r3(a), r3(b)] for a, b in jitter],
        "gamma": r3(gamma), "gains": [r3(g) for g in gains], "moire_period": r3(period),
        "moire_angle": r3(angle), "moire_amp": r3(amp), "blur": r3(blur), "noise": r3(noise),
    }  # fmt: skip

    def edit(rgb: U8, i: int) -> U8:
        monitor = np.empty((mh, mw, 3), np.uint8)
        monitor[:] = bezel_colour
        shown = resize(rgb, (sw, sh))
        shown = np.dstack([cv2.LUT(shown[..., c], luts[c]) for c in range(3)])
        paste(monitor, shown, bezel, bezel)
        t = i / FPS
        move = np.float32([3 * math.sin(1.1 * t + drift[0]), 2 * math.sin(0.8 * t + drift[1])])
        matrix = cv2.getPerspectiveTransform(corners, quad + move)
        out = cv2.warpPerspective(monitor, matrix, (w, h), dst=wall.copy(), borderMode=cv2.BORDER_TRANSPARENT)
        out = cv2.GaussianBlur(out, (0, 0), blur).astype(np.float32) * moire[..., None] + bank[i % len(bank)]
        return np.clip(out, 0, 255).astype(np.uint8)

    return Copy(_map(src, edit), src.whole(), params, src.size)


def e_subtitles(src: Source, rng: np.random.Generator) -> Copy:
    import cv2

    w, h = src.size
    scale = float(rng.uniform(0.6, 0.95)) * min(1.0, w / 640)
    bottom = int(rng.uniform(0.05, 0.15) * h)
    boxed = bool(rng.random() < 0.4)
    lines, t = [], 0.0
    while t < src.seconds:
        lines.append((t, words(rng, int(rng.integers(3, 8)))))
        t += float(rng.uniform(1.5, 3.0))
    params = {"scale": r3(scale), "bottom_px": bottom, "boxed": boxed, "lines": len(lines)}

    def edit(rgb: U8, i: int) -> U8:
        out = rgb.copy()
        text = [s for t0, s in lines if t0 <= i / FPS][-1]
        size = scale
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, size, 2)
        if tw > w - 20:
            size *= (w - 20) / tw
            (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, size, 2)
        x, y = (w - tw) // 2, h - bottom
        if boxed:
            cv2.rectangle(out, (x - 8, y - th - 8), (x + tw + 8, y + 8), (0, 0, 0), -1)
        cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0), 5, cv2.LINE_AA)
        cv2.putText(out, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, size, (255, 255, 255), 2, cv2.LINE_AA)
        return out

    return Copy(_map(src, edit), src.whole(), params, src.size)


def e_speed(src: Source, rng: np.random.Generator) -> Copy:
    speed = float(2 ** rng.uniform(-1, 1))  # 0.5x-2x, log-uniform
    n = len(src.frames)
    count = math.ceil((n - 0.5) / speed)
    picks = [min(n - 1, int(k * speed + 0.5)) for k in range(count)]
    span = Span(src.id, 0.0, count / FPS, 0.0, min(src.seconds, count * speed / FPS), speed=speed)
    params = {"speed": round(speed, 4)}
    return Copy((src.frames[k] for k in picks), [span], params, src.size)


def e_excerpt(src: Source, rng: np.random.Generator) -> Copy:
    length = float(rng.uniform(2, 5))
    start = float(rng.uniform(0, src.seconds - length))
    a, b = round(start * FPS), round((start + length) * FPS)
    span = Span(src.id, 0.0, (b - a) / FPS, a / FPS, b / FPS)
    params = {"start": r3(a / FPS), "seconds": r3((b - a) / FPS)}
    return Copy(iter(src.frames[a:b]), [span], params, src.size, expect="excerpt-of")


def e_reedit(src: Source, rng: np.random.Generator) -> Copy:
    """Cut into 3-4 sections (each >= 1.5 s), one dropped, the others reordered."""
    n = len(src.frames)
    k = int(rng.integers(3, 5))
    while True:
        cuts = sorted(int(c) for c in rng.integers(45, n - 45, k - 1))
        bounds = [0, *cuts, n]
        if min(b - a for a, b in itertools.pairwise(bounds)) >= 45:
            break
    sections = list(itertools.pairwise(bounds))
    drop = int(rng.integers(k))
    kept = [s for j, s in enumerate(sections) if j != drop]
    while True:
        order = [int(j) for j in rng.permutation(len(kept))]
        if order != sorted(order):
            break
    spans, frames, q = [], [], 0
    for j in order:
        a, b = kept[j]
        spans.append(Span(src.id, q / FPS, (q + b - a) / FPS, a / FPS, b / FPS))
        frames += src.frames[a:b]
        q += b - a
    params = {"sections": [[r3(a / FPS), r3(b / FPS)] for a, b in sections], "dropped": drop, "order": order}
    return Copy(iter(frames), spans, params, src.size, expect="excerpt-of")


def e_lowres(src: Source, rng: np.random.Generator) -> Copy:
    w, h = src.size
    size = (426, 240) if w >= h else (240, 426)
    phase = int(rng.integers(3))
    frames = (resize(f, size) for f in src.frames[phase::3])
    count = len(src.frames[phase::3])
    span = Span(src.id, 0.0, count / 10, phase / FPS, min(src.seconds, phase / FPS + count * 3 / FPS))
    return Copy(frames, [span], {"size": list(size), "fps": 10, "first_frame": phase}, size, fps=10)


def e_reencode(src: Source, rng: np.random.Generator) -> Copy:
    crf = int(rng.integers(34, 41))
    return Copy(iter(src.frames), src.whole(), {"crf": crf}, src.size, options={**X264, "crf": str(crf)})


def e_vp9(src: Source, rng: np.random.Generator) -> Copy:
    crf = int(rng.integers(30, 41))
    options = {"deadline": "realtime", "cpu-used": "8", "crf": str(crf), "b": "0", "row-mt": "1"}
    return Copy(
        iter(src.frames),
        src.whole(),
        {"codec": "vp9", "crf": crf},
        src.size,
        codec="libvpx-vp9",
        options=options,
    )


def e_colour(src: Source, rng: np.random.Generator) -> Copy:
    brightness, contrast, saturation = (
        float(rng.uniform(-35, 35)),
        float(rng.uniform(0.7, 1.4)),
        float(rng.uniform(0.3, 1.7)),
    )
    params = {"brightness": r3(brightness), "contrast": r3(contrast), "saturation": r3(saturation)}

    def edit(rgb: U8, _i: int) -> U8:
        x = rgb.astype(np.float32)
        grey = x @ np.float32([0.299, 0.587, 0.114])
        x = grey[..., None] + (x - grey[..., None]) * saturation
        return np.clip((x - 128) * contrast + 128 + brightness, 0, 255).astype(np.uint8)

    return Copy(_map(src, edit), src.whole(), params, src.size)


def e_logo_small(src: Source, rng: np.random.Generator) -> Copy:
    params, draw = small_logo(rng, src.size)

    def edit(rgb: U8, _i: int) -> U8:
        out = rgb.copy()
        draw(out)
        return out

    return Copy(_map(src, edit), src.whole(), params, src.size)


def e_logo_large(src: Source, rng: np.random.Generator) -> Copy:
    channel = Channel(PARAM_SEED[src.half])
    right = bool(rng.random() < 0.5)
    phase = int(rng.integers(0, 300))

    def edit(rgb: U8, i: int) -> U8:
        out = rgb.copy()
        channel.draw(out, i + phase, right)
        return out

    params = {"channel": channel.seed, "logo_right": right, "ticker_phase": phase, "bar": 0.22}
    return Copy(_map(src, edit), src.whole(), params, src.size)


def e_bars(src: Source, rng: np.random.Generator) -> Copy:
    w, h = src.size
    mode = str(rng.choice(["letterbox", "pillarbox"]))
    share = float(rng.uniform(0.12, 0.35))  # of the output taken by the bars
    size = (w, even(h / (1 - share))) if mode == "letterbox" else (even(w / (1 - share)), h)
    x, y = (size[0] - w) // 2, (size[1] - h) // 2

    def edit(rgb: U8, _i: int) -> U8:
        out = np.zeros((size[1], size[0], 3), np.uint8)
        paste(out, rgb, x, y)
        return out

    return Copy(_map(src, edit), src.whole(), {"mode": mode, "bar_share": r3(share), "out": list(size)}, size)


def e_intro_outro(src: Source, rng: np.random.Generator) -> Copy:
    intro, outro = round(float(rng.uniform(2, 5)) * FPS), round(float(rng.uniform(1, 4)) * FPS)
    seed = int(rng.integers(1 << 30))

    def frames() -> Iterator[U8]:
        filler = list(footage(seed, (intro + outro) / FPS, src.size))
        yield from filler[:intro]
        yield from src.frames
        yield from filler[intro:]

    params = {"intro": r3(intro / FPS), "outro": r3(outro / FPS), "footage_seed": seed}
    return Copy(frames(), src.whole(intro / FPS), params, src.size, expect="contains")


EDITS: Final[dict[str, Callable[[Source, np.random.Generator], Copy]]] = {
    "crop": e_crop,
    "zoom": e_zoom,
    "rotate": e_rotate,
    "mirror_crop_logo": e_mirror_crop_logo,
    "orientation": e_orientation,
    "pip": e_pip,
    "screen_film": e_screen_film,
    "subtitles": e_subtitles,
    "speed": e_speed,
    "excerpt": e_excerpt,
    "reedit": e_reedit,
    "lowres": e_lowres,
    "reencode": e_reencode,
    "vp9": e_vp9,
    "colour": e_colour,
    "logo_small": e_logo_small,
    "logo_large": e_logo_large,
    "bars": e_bars,
    "intro_outro": e_intro_outro,
}
"""The single-source edits made from the decoded source, by name."""
FAMILIES_OF_EDITS: Final = (*EDITS, "longer_cut", "compilation")
"""Every edit family: `longer_cut` is cut from the source's master, `compilation` takes three sources."""


def copy_rng(half: str, clip: str) -> np.random.Generator:
    return np.random.default_rng([PARAM_SEED[half], zlib.crc32(clip.encode())])


def copy_id(source: str, edit: str) -> str:
    return f"{source}__{edit}"


# ---------------------------------------------------------------- jobs


def make_source(spec: Spec, half: str, folder: str) -> dict[str, Any]:
    """Render the master once: the source (its middle) and the `longer_cut` copy (more of it)."""
    root = Path(folder) / half
    clip = copy_id(spec.id, "longer_cut")
    rng = copy_rng(half, clip)
    before, after = round(float(rng.uniform(1, PAD)) * FPS), round(float(rng.uniform(1, PAD)) * FPS)
    pad, n = round(PAD * FPS), round(SECONDS * FPS)
    src_path, long_path = root / "sources" / f"{spec.id}.mp4", root / "copies" / f"{clip}.mp4"
    if not (src_path.exists() and long_path.exists()):
        master = list(render(spec, 2 * PAD + SECONDS))
        write_frames(src_path, iter(master[pad : pad + n]), spec.size)
        write_frames(long_path, iter(master[pad - before : pad + n + after]), spec.size)
    span = Span(spec.id, before / FPS, (before + n) / FPS, 0.0, SECONDS)
    params = {"before": r3(before / FPS), "after": r3(after / FPS)}
    truth = Truth(
        clip, f"{half}/copies/{clip}.mp4", "longer_cut", "contains", (span,), half, spec.family, params
    )
    return asdict(truth)


def make_copies(spec: Spec, half: str, folder: str) -> list[dict[str, Any]]:
    root = Path(folder) / half
    src = Source(spec.id, half, decode(root / "sources" / f"{spec.id}.mp4"), spec.size)
    out = []
    for name, edit in EDITS.items():
        clip = copy_id(spec.id, name)
        made = edit(src, copy_rng(half, clip))
        suffix = ".webm" if made.codec == "libvpx-vp9" else ".mp4"
        path = root / "copies" / f"{clip}{suffix}"
        write_frames(path, made.frames, made.size, fps=made.fps, codec=made.codec, options=made.options)
        rel = f"{half}/copies/{path.name}"
        out.append(
            asdict(Truth(clip, rel, name, made.expect, tuple(made.spans), half, spec.family, made.params))
        )
    return out


def make_compilation(
    name: str, half: str, pieces: Sequence[tuple[Spec, float]], seed: int, folder: str
) -> dict[str, Any]:
    """2 s pieces of three sources, separated (and preceded) by 1-2 s of unrelated footage."""
    root = Path(folder) / half
    rng = np.random.default_rng([PARAM_SEED[half], zlib.crc32(name.encode())])
    gaps = [round(float(rng.uniform(1, 2)) * FPS) for _ in pieces]
    spans, frames, q = [], [], 0
    filler = list(footage(seed, sum(gaps) / FPS, SIZE))
    used = 0
    for (spec, start), gap in zip(pieces, gaps, strict=True):
        frames += filler[used : used + gap]
        used, q = used + gap, q + gap
        a = round(start * FPS)
        src = decode(root / "sources" / f"{spec.id}.mp4")[a : a + round(PIECE * FPS)]
        frames += [f if f.shape[1] > f.shape[0] else fit(f, SIZE) for f in src]
        spans.append(Span(spec.id, q / FPS, (q + len(src)) / FPS, a / FPS, (a + len(src)) / FPS))
        q += len(src)
    path = root / "copies" / f"{name}.mp4"
    write_frames(path, iter(frames), SIZE)
    params = {
        "pieces": [[s.id, r3(start)] for s, start in pieces],
        "gaps": [r3(g / FPS) for g in gaps],
        "footage_seed": seed,
    }
    return asdict(
        Truth(name, f"{half}/copies/{name}.mp4", "compilation", "partial", tuple(spans), half, "", params)
    )


DISTRACTOR_KINDS: Final = ("news", "logo", "bumper", "black", "phone")


def make_distractor(kind: str, half: str, k: int, folder: str, near: Spec | None = None) -> tuple[str, str]:
    """Unrelated footage under a template shared by the pair (`k` = 0, 1), or a near miss."""
    root = Path(folder) / half
    base = PARAM_SEED[half]
    if near is not None:
        clip = f"dis-near-{near.family}-{half}"
        path = root / "distractors" / f"{clip}.mp4"
        write_frames(path, render(near, 8.0), near.size)
        return clip, str(path.relative_to(folder))
    clip = f"dis-{kind}-{'ab'[k]}"
    path = root / "distractors" / f"{clip}.mp4"
    seed = base * 10 + DISTRACTOR_KINDS.index(kind) * 2 + k
    body = footage(seed, 8.0, SIZE)
    if kind == "news":
        frames: Iterator[U8] = pip_frames(body, SIZE, Programme(base), 0.6, (0.1, 0.2), "Our Correspondent")
    elif kind == "logo":

        def frames_logo() -> Iterator[U8]:
            for i, rgb in enumerate(body):
                out = rgb.copy()
                Channel(base).draw(out, i)
                yield out

        frames = frames_logo()
    elif kind == "bumper":
        frames = (f for part in ((bumper_frame(i, base) for i in range(45)), body) for f in part)
    elif kind == "black":
        black = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
        frames = (f for part in ([black] * (5 * FPS), body) for f in part)
    else:
        border, (x, y, w, h) = phone_frame((360, 640), base)

        def frames_phone() -> Iterator[U8]:
            for rgb in footage(seed, 8.0, (w, h)):
                out = border.copy()
                paste(out, rgb[:h, :w] if rgb.shape[:2] == (h, w) else resize(rgb, (w, h)), x, y)
                yield out

        write_frames(path, frames_phone(), (360, 640))
        return clip, str(path.relative_to(folder))
    write_frames(path, frames, SIZE)
    return clip, str(path.relative_to(folder))


# ---------------------------------------------------------------- the suite


@dataclass(frozen=True, slots=True)
class Suite:
    folder: Path
    halves: dict[
        str, dict[str, Any]
    ]  # half -> {"sources": {id: path}, "distractors": {...}, "copies": [Truth]}

    def files(self, half: str) -> dict[str, Path]:
        h = self.halves[half]
        out = {k: self.folder / v for k, v in {**h["sources"], **h["distractors"]}.items()}
        return out | {c.clip: self.folder / c.file for c in h["copies"]}


def plan(
    halves: tuple[str, ...] = HALVES,
) -> tuple[
    list[tuple[Spec, str]], dict[str, list[tuple[str, list[tuple[Spec, float]], int]]], list[tuple[Spec, str]]
]:
    """Sources with their half, the compilations per half, and the near-miss distractors; of the two
    halves, or of one extra tune half (`EXTRA_TUNES`) alone."""
    if len(halves) == 1 and halves[0] in EXTRA_TUNES:
        specs = [(s, halves[0]) for s in source_specs(halves[0])]
    else:
        split_of = split()
        specs = [(s, split_of[s.id]) for s in source_specs()]
    comps: dict[str, list[tuple[str, list[tuple[Spec, float]], int]]] = {}
    nears = []
    for half in halves:
        rng = np.random.default_rng([PARAM_SEED[half], 1])
        mine = [s for s, h in specs if h == half]
        order = rng.permutation(len(mine))
        comps[half] = []
        for c in range(COMPILATIONS_PER_HALF):
            group = [mine[int(j)] for j in order[3 * c : 3 * c + 3]]
            pieces = [(s, round(float(rng.uniform(0, SECONDS - PIECE)), 2)) for s in group]
            comps[half].append((f"comp-{half}-{c + 1}", pieces, int(rng.integers(1 << 30))))
        for family in sorted({s.family for s in mine}):
            like = next(s for s in mine if s.family == family)
            seed = 70000 + PARAM_SEED[half] + len(nears)
            near = Spec(f"near-{family}-{half}", family, like.index, seed, like.size, style=like.style_seed)
            nears.append((near, half))
    return specs, comps, nears


def build_suite(
    folder: Path = CACHE,
    *,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
    halves: tuple[str, ...] = HALVES,
) -> Suite:
    """Generate (or reuse) every clip and copy of `halves`; writes and returns the manifest `suite.json`."""
    manifest = folder / "suite.json"
    if manifest.exists():
        return load_suite(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / ".generating"
    try:
        lock.touch(exist_ok=False)
    except FileExistsError:
        raise SystemExit(f"{lock} exists: another generation is running (delete it if none is)") from None
    try:
        return _build(folder, manifest, workers, log, halves)
    finally:
        lock.unlink(missing_ok=True)


def _build(
    folder: Path,
    manifest: Path,
    workers: int | None,
    log: Callable[[str], None] | None,
    names: tuple[str, ...],
) -> Suite:
    started = time.perf_counter()
    workers = workers or min(4, os.cpu_count() or 2)
    specs, comps, nears = plan(names)
    halves: dict[str, dict[str, Any]] = {h: {"sources": {}, "distractors": {}, "copies": []} for h in names}
    with ProcessPoolExecutor(workers) as pool:
        longs = [pool.submit(make_source, s, h, str(folder)) for s, h in specs]
        dis = [
            pool.submit(make_distractor, kind, h, k, str(folder))
            for h in names
            for kind in DISTRACTOR_KINDS
            for k in (0, 1)
        ]
        dis += [pool.submit(make_distractor, "near", h, 0, str(folder), near) for near, h in nears]
        for (s, h), job in zip(specs, longs, strict=True):
            halves[h]["copies"].append(job.result())
            halves[h]["sources"][s.id] = f"{h}/sources/{s.id}.mp4"
        if log:
            log(f"sources: {time.perf_counter() - started:.1f} s")
        copies = [(h, pool.submit(make_copies, s, h, str(folder))) for s, h in specs]
        made = [
            (h, pool.submit(make_compilation, n, h, p, seed, str(folder)))
            for h in names
            for n, p, seed in comps[h]
        ]
        for h, job in copies:
            halves[h]["copies"] += job.result()
        for h, job in made:
            halves[h]["copies"].append(job.result())
        for job in dis:
            clip, rel = job.result()
            halves[rel.split("/")[0]]["distractors"][clip] = rel
    if log:
        n = sum(len(h["copies"]) for h in halves.values())
        log(f"suite generated in {time.perf_counter() - started:.1f} s ({n} copies, {workers} workers)")
    document = {"version": SUITE_VERSION, "size": SIZE, "fps": FPS, "halves": halves}
    tmp = manifest.with_suffix(".part")
    tmp.write_text(json.dumps(document, indent=1))
    tmp.rename(manifest)
    return load_suite(folder)


def load_suite(folder: Path = CACHE) -> Suite:
    data = json.loads((folder / "suite.json").read_text())
    halves = {
        h: {
            "sources": d["sources"],
            "distractors": d["distractors"],
            "copies": [Truth.from_json(c) for c in d["copies"]],
        }
        for h, d in data["halves"].items()
    }
    return Suite(folder, halves)


if __name__ == "__main__":
    import sys

    suite = build_suite(log=lambda m: print(m, file=sys.stderr))
    for half, h in suite.halves.items():
        for truth in h["copies"]:
            spans = ", ".join(
                f"{s.query_start:g}-{s.query_end:g} <- {s.source} {s.source_start:g}-{s.source_end:g}"
                + (f" x{s.speed:g}" if s.speed != 1 else "")
                for s in truth.spans
            )
            print(f"{half:<9}{truth.file:<46}{truth.transform:<17}{truth.expect:<11}{spans}")
