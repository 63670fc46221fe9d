"""Edited copies of a source clip, each with its ground truth, and the whole benchmark suite.

Each transform (a `Recipe` in `RECIPES`; `transform(name, source, out)` writes one copy) decodes the
source file with PyAV, as a re-uploader would, edits the RGB pixels with numpy/OpenCV (or passes the
decoded frames through) and encodes a new file; all are deterministic. `apply` makes many copies of
one source in a single decode pass. Unless said otherwise a copy is 640x360, 30 fps, x264 `veryfast`
CRF 23 (no mbtree), the whole source.

| transform | edit |
|---|---|
| reencode_low | x264 CRF 39 |
| half_size | 320x180 (INTER_AREA) |
| crop10 | 6 % off the left, 4 % right, 4 % top, 6 % bottom (90 % x 90 % kept), scaled back to 640x360 |
| letterbox | the 640x360 picture centred in a 640x480 (4:3) frame: 60 px black bars top and bottom |
| pillarbox | the 640x360 picture centred in an 848x360 frame: 104 px black bars left and right |
| grey | BT.601 luma in all three channels |
| brightness_contrast | (x - 128) * 1.25 + 148, clipped |
| logo_small | an opaque red box with white text, 166x84 (6.1 % of the frame), 16 px from the top right |
| logo_large | opaque: a full-width caption bar, rows 250..339, with a scrolling ticker (25 %), and a |
|  | corner logo 120x64 at (16, 16) (3.3 %): 28.3 % of the frame covered |
| mirror | flipped left-right |
| excerpt | source 6.0..15.0 s only (9 s) |
| intro | 5 s of unrelated synthetic footage, then the whole source |
| half_fps | every other frame, 15 fps |
| vp9_webm | libvpx-vp9 in WebM, CRF 36, `realtime`, `cpu-used` 8 |
| compilation | 6-8 s pieces of three sources back to back (`COMPILATIONS`) |

Ground truth (`Truth`) names the copy, its transform, the classification a matcher should give it
against its source(s) (the copy being the query) and the time mapping as spans: query seconds
[query_start, query_end) show source seconds [source_start, source_end) of `source`, at speed 1.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Final

import numpy as np
from sources import (
    CACHE,
    DISTRACTORS,
    FPS,
    SIZE,
    SOURCES,
    SUITE_VERSION,
    U8,
    X264,
    ClipSpec,
    VideoWriter,
    clip_frames,
    clip_path,
    intro_footage,
    publish,
    write_clip,
)

EXCERPT: Final = (6.0, 15.0)
INTRO_SECONDS: Final = 5.0
COMPILATIONS: Final[dict[str, tuple[tuple[str, float, float], ...]]] = {
    "comp-1": (("src-bridge", 3.0, 10.0), ("src-canal", 11.0, 17.0), ("src-street", 2.0, 10.0)),
    "comp-2": (("src-coaster", 9.0, 16.0), ("src-stripes", 1.0, 7.0), ("src-bridge", 13.0, 19.0)),
}


@dataclass(frozen=True, slots=True)
class Span:
    """Query seconds [query_start, query_end) show source seconds [source_start, source_end)."""

    source: str
    query_start: float
    query_end: float
    source_start: float
    source_end: float


@dataclass(frozen=True, slots=True)
class Truth:
    clip: str  # the copy's id (its file name without suffix)
    file: str  # the file name; in a suite, its path relative to the suite folder
    transform: str
    expect: str  # duplicate | excerpt-of | contains | partial: the copy (query) against each source
    spans: tuple[Span, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.source for s in self.spans))

    def source_time(self, t: float) -> tuple[str, float] | None:
        """The source and source time shown at copy time `t`, or None (intro footage, outside)."""
        for s in self.spans:
            if s.query_start - 1e-6 <= t < s.query_end - 1e-6:
                return s.source, s.source_start + (t - s.query_start)
        return None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Truth:
        spans = tuple(Span(**s) for s in data["spans"])
        return cls(data["clip"], data["file"], data["transform"], data["expect"], spans)


# ---------------------------------------------------------------- decoding and pixel edits


def duration(path: Path) -> float:
    """Seconds of a constant-rate `FPS` file, from its frame count."""
    import av

    with av.open(str(path)) as container:
        return sum(1 for packet in container.demux(video=0) if packet.size) / FPS


def _resize(rgb: U8, size: tuple[int, int]) -> U8:
    import cv2

    shrinking = size[0] < rgb.shape[1]
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def _pad(rgb: U8, size: tuple[int, int]) -> U8:
    out = np.zeros((size[1], size[0], 3), np.uint8)
    y, x = (size[1] - rgb.shape[0]) // 2, (size[0] - rgb.shape[1]) // 2
    out[y : y + rgb.shape[0], x : x + rgb.shape[1]] = rgb
    return out


def _crop10(rgb: U8) -> U8:
    h, w = rgb.shape[:2]
    return _resize(rgb[round(h * 0.04) : h - round(h * 0.06), round(w * 0.06) : w - round(w * 0.04)], (w, h))


def _grey(rgb: U8) -> U8:
    import cv2

    return np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)


def _brightness_contrast(rgb: U8) -> U8:
    return np.clip(rgb.astype(np.float32) * 1.25 - 12.0, 0, 255).astype(np.uint8)


def _label(
    out: U8, box: tuple[int, int, int, int], fill: tuple[int, int, int], text: str, size: float
) -> None:
    import cv2

    x, y, w, h = box
    cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), fill, -1)
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_DUPLEX, size, 2)
    cv2.putText(
        out, text, (x + (w - tw) // 2, y + (h + th) // 2), cv2.FONT_HERSHEY_DUPLEX, size, (255,) * 3, 2
    )


def _logo_small(rgb: U8, _i: int) -> U8:
    out = rgb.copy()
    w = out.shape[1]
    _label(out, (w - 16 - 166, 16, 166, 84), (200, 30, 30), "NEWS", 1.3)
    return out


TICKER: Final = "  +++ BREAKING: footage shows the scene moments after the event +++ more at eleven"


def _logo_large(rgb: U8, i: int) -> U8:
    import cv2

    out = rgb.copy()
    w = out.shape[1]
    cv2.rectangle(out, (0, 250), (w - 1, 339), (20, 30, 90), -1)
    shift = (i * 4) % 900
    cv2.putText(out, TICKER, (165 - shift, 325), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (230, 230, 120), 2)
    cv2.rectangle(out, (150, 258), (w - 1, 296), (20, 30, 90), -1)
    cv2.putText(out, "Eyewitness video", (165, 285), cv2.FONT_HERSHEY_DUPLEX, 0.9, (255, 255, 255), 2)
    _label(out, (0, 250, 150, 90), (200, 20, 20), "LIVE", 1.3)  # on top of the ticker
    _label(out, (16, 16, 120, 64), (240, 240, 240), "", 1.0)
    cv2.putText(out, "TV", (36, 62), cv2.FONT_HERSHEY_TRIPLEX, 1.2, (200, 20, 20), 3)
    cv2.circle(out, (112, 48), 14, (200, 20, 20), -1)
    return out


Edit = Callable[[U8, int], U8]
"""An RGB edit: (frame, its number in the copy's window) -> new frame."""


@dataclass(frozen=True, slots=True)
class Recipe:
    """How a copy is made from one source; `apply` makes many copies from one decode of the source."""

    name: str
    edit: Edit | None = None  # None: the decoded frames go to the encoder untouched
    expect: str = "duplicate"
    size: tuple[int, int] = SIZE
    window: tuple[float, float] | None = None  # source seconds [start, end) kept
    step: int = 1  # keep every step-th frame (the frame rate drops by the same factor)
    codec: str = "libx264"
    options: tuple[tuple[str, str], ...] = tuple(X264.items())
    suffix: str = ".mp4"
    intro: float = 0.0  # seconds of unrelated footage before the source

    def truth(self, source: str, source_seconds: float, out: Path) -> Truth:
        a, b = self.window or (0.0, source_seconds)
        span = Span(source, self.intro, self.intro + (b - a), a, b)
        return Truth(out.stem, out.name, self.name, self.expect, (span,))


def _mirror(rgb: U8, _i: int) -> U8:
    return np.ascontiguousarray(rgb[:, ::-1])


def _intro_frames(source_id: str, seconds: float) -> Iterator[U8]:
    return clip_frames(intro_footage(sum(source_id.encode()) % 997, seconds))


def apply(source: Path, jobs: Sequence[tuple[Recipe, Path]]) -> list[Truth]:
    """Make every (recipe, output) copy of `source` in one decode pass; existing outputs are kept."""
    pending = [(r, out) for r, out in jobs if not out.exists()]
    writers: list[VideoWriter] = []
    try:
        for recipe, out in pending:
            out.parent.mkdir(parents=True, exist_ok=True)
            fps = FPS // recipe.step
            writer = VideoWriter(
                _part(out), recipe.size, fps=fps, codec=recipe.codec, options=dict(recipe.options)
            )
            writers.append(writer)
            for picture in _intro_frames(source.stem, recipe.intro) if recipe.intro else ():
                writer.write(picture)
        counts = [0] * len(pending)
        for t, frame in _decoded(source):
            rgb: U8 | None = None
            for k, ((recipe, _out), writer) in enumerate(zip(pending, writers, strict=True)):
                a, b = recipe.window or (0.0, float("inf"))
                if not a - 1e-6 <= t < b - 1e-6:
                    continue
                n, counts[k] = counts[k], counts[k] + 1
                if n % recipe.step:
                    continue
                if recipe.edit is None:
                    writer.write_frame(frame)
                else:
                    rgb = frame.to_ndarray(format="rgb24") if rgb is None else rgb
                    writer.write(recipe.edit(rgb, n // recipe.step))
        for writer in writers:
            writer.close()
        for _recipe, out in pending:
            _part(out).rename(out)
    finally:
        for writer in writers:
            writer.abort()
    seconds = duration(source)
    return [recipe.truth(source.stem, seconds, out) for recipe, out in jobs]


def _part(out: Path) -> Path:
    return out.with_name(f".part-{out.name}")


def _decoded(path: Path) -> Iterator[tuple[float, Any]]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield float(frame.time or 0.0), frame


# ---------------------------------------------------------------- the transforms

RECIPES: Final[dict[str, Recipe]] = {
    r.name: r
    for r in (
        Recipe("reencode_low", options=tuple({**X264, "crf": "39"}.items())),
        Recipe("half_size", lambda rgb, _i: _resize(rgb, (SIZE[0] // 2, SIZE[1] // 2)), size=(320, 180)),
        Recipe("crop10", lambda rgb, _i: _crop10(rgb)),
        Recipe("letterbox", lambda rgb, _i: _pad(rgb, (640, 480)), size=(640, 480)),
        Recipe("pillarbox", lambda rgb, _i: _pad(rgb, (848, 360)), size=(848, 360)),
        Recipe("grey", lambda rgb, _i: _grey(rgb)),
        Recipe("brightness_contrast", lambda rgb, _i: _brightness_contrast(rgb)),
        Recipe("logo_small", _logo_small),
        Recipe("logo_large", _logo_large),
        Recipe("mirror", _mirror),
        Recipe("excerpt", expect="excerpt-of", window=EXCERPT),
        Recipe("intro", expect="contains", intro=INTRO_SECONDS),
        Recipe("half_fps", step=2),
        Recipe(
            "vp9_webm",
            codec="libvpx-vp9",
            options=(("deadline", "realtime"), ("cpu-used", "8"), ("crf", "36"), ("b", "0"), ("row-mt", "1")),
            suffix=".webm",
        ),
    )
}
"""Every single-source transform by name (`compilation` takes several sources)."""


def transform(name: str, source: Path, out: Path) -> Truth:
    """Write the `name` copy of `source` to `out` (e.g. `transform("mirror", src, dst)`)."""
    return apply(source, [(RECIPES[name], out)])[0]


def copy_name(source: str, recipe: Recipe) -> str:
    return f"{source}__{recipe.name}{recipe.suffix}"


def compilation(pieces: Sequence[tuple[Path, float, float]], out: Path) -> Truth:
    """Pieces (source file, start s, end s) back to back, joined by hard cuts."""
    spans, t = [], 0.0
    for path, a, b in pieces:
        spans.append(Span(path.stem, t, t + (b - a), a, b))
        t += b - a

    def make(tmp: Path) -> None:
        with VideoWriter(tmp) as writer:
            for path, a, b in pieces:
                for t, frame in _decoded(path):
                    if a - 1e-6 <= t < b - 1e-6:
                        writer.write_frame(frame)

    publish(out, make)
    return Truth(out.stem, out.name, "compilation", "partial", tuple(spans))


# ---------------------------------------------------------------- the suite


@dataclass(frozen=True, slots=True)
class Suite:
    folder: Path
    sources: dict[str, Path]
    distractors: dict[str, Path]
    copies: list[Truth]

    def path(self, truth: Truth) -> Path:
        return self.folder / truth.file


def _copies_job(source: str, recipes: Sequence[str], folder: str) -> list[dict[str, Any]]:
    src = clip_path(next(s for s in SOURCES if s.id == source), Path(folder))
    jobs = [(RECIPES[r], Path(folder) / "copies" / copy_name(source, RECIPES[r])) for r in recipes]
    return [_relative(truth) for truth in apply(src, jobs)]


def _compilation_job(name: str, folder: str) -> dict[str, Any]:
    specs = {s.id: s for s in SOURCES}
    pieces = [(clip_path(specs[sid], Path(folder)), a, b) for sid, a, b in COMPILATIONS[name]]
    out = Path(folder) / "copies" / f"{name}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    return _relative(compilation(pieces, out))


def _relative(truth: Truth) -> dict[str, Any]:
    return asdict(replace(truth, file=f"copies/{truth.file}"))


def _clip_job(spec: ClipSpec, folder: str) -> str:
    return str(write_clip(spec, clip_path(spec, Path(folder))))


def build_suite(
    folder: Path = CACHE, *, workers: int | None = None, log: Callable[[str], None] | None = None
) -> Suite:
    """Generate (or reuse) every clip and copy; writes and returns the manifest `suite.json`."""
    manifest = folder / "suite.json"
    if manifest.exists():
        return load_suite(folder)
    started = time.perf_counter()
    workers = workers or min(4, os.cpu_count() or 2)
    with ProcessPoolExecutor(workers) as pool:
        for _ in pool.map(_clip_job, SOURCES + DISTRACTORS, [str(folder)] * len(SOURCES + DISTRACTORS)):
            pass
        if log:
            log(f"sources and distractors: {time.perf_counter() - started:.1f} s")
        names = list(RECIPES)
        halves = (names[: len(names) // 2], names[len(names) // 2 :])  # two jobs per source balance better
        per_source = [pool.submit(_copies_job, s.id, half, str(folder)) for s in SOURCES for half in halves]
        jobs = [pool.submit(_compilation_job, name, str(folder)) for name in COMPILATIONS]
        copies = [c for job in per_source for c in job.result()] + [job.result() for job in jobs]
    if log:
        elapsed = time.perf_counter() - started
        log(f"suite generated in {elapsed:.1f} s ({len(copies)} copies, {workers} workers)")
    document = {
        "version": SUITE_VERSION,
        "size": SIZE,
        "fps": FPS,
        "sources": {s.id: str(clip_path(s, folder).relative_to(folder)) for s in SOURCES},
        "distractors": {s.id: str(clip_path(s, folder).relative_to(folder)) for s in DISTRACTORS},
        "copies": copies,
    }
    tmp = manifest.with_suffix(".part")
    tmp.write_text(json.dumps(document, indent=1))
    tmp.rename(manifest)
    return load_suite(folder)


def load_suite(folder: Path = CACHE) -> Suite:
    data = json.loads((folder / "suite.json").read_text())
    return Suite(
        folder,
        {k: folder / v for k, v in data["sources"].items()},
        {k: folder / v for k, v in data["distractors"].items()},
        [Truth.from_json(c) for c in data["copies"]],
    )


if __name__ == "__main__":
    import sys

    suite = build_suite(log=lambda m: print(m, file=sys.stderr))
    for truth in suite.copies:
        spans = ", ".join(
            f"{s.query_start:g}-{s.query_end:g} <- {s.source} {s.source_start:g}-{s.source_end:g}"
            for s in truth.spans
        )
        print(f"{truth.file:<40} {truth.transform:<20} {truth.expect:<11} {spans}")
