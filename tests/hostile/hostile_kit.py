"""Shared tools of the bad-input suite (tests/hostile): one assertion helper that runs `evidence add`
on hostile input and checks everything the command promises, and builders of hostile media.

`add_hostile(cat, *paths, code=…, problems=[…])` runs `evidence add --json` in-process and asserts:

* the exit code is the documented one (2 refused, 3 preserved but analysis incomplete, 0 analysed);
* stderr holds exactly one line per problem (a refusal, a failed analysis, a skipped path), each
  naming what it expects, printable (no terminal escapes, no carriage returns), no traceback and
  no "internal error"; stdout is one JSON document;
* every result that was stored is in the store byte for byte (the original's bytes), read-only, and
  its analysis says what the case expects (`ok`, or `failed:<reason>`);
* nothing is partial (`assert_consistent`): no temp file left in `.evidence/store/tmp`, every object
  has its item and every item its object and an acquisition, every thumbnail exists, no item is left
  `pending`, and `evidence verify --json` is ok with no warning;
* the inputs are untouched: the same bytes, mtime and mode (symbolic links, FIFOs and devices are
  only ever `lstat`ed here, never opened).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import struct
import threading
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from conftest import Catalogue
from mediagen import video_frame
from sqlalchemy import create_engine, text

# ------------------------------------------------------------------------------------ the originals


@dataclass(frozen=True, slots=True)
class Original:
    """What a path given to `add` was before the command: never opened unless a regular file."""

    path: Path
    mode: int
    mtime_ns: int
    data: bytes | None  # regular files only


def _record(path: Path) -> Original:
    st = os.lstat(path)
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):  # a device's times are the system's
        return Original(path, st.st_mode, 0, None)
    data = path.read_bytes() if stat.S_ISREG(st.st_mode) else None
    return Original(path, st.st_mode, st.st_mtime_ns, data)


def snapshot(paths: Sequence[Path]) -> list[Original]:
    """Every path, what a symbolic link names (when it exists), and everything under folders (an
    explicit stack: the suite's own folders may be nested deeper than Python's recursion limit)."""
    found: list[Original] = []
    stack = list(paths)
    while stack:
        path = stack.pop()
        try:
            st = os.lstat(path)
        except OSError:
            continue  # a missing path stays missing; checked by the case itself
        found.append(_record(path))
        if stat.S_ISLNK(st.st_mode):
            with contextlib.suppress(OSError):
                target = os.stat(path)
                if not stat.S_ISDIR(target.st_mode):
                    found.append(_record(path.resolve()))
        elif stat.S_ISDIR(st.st_mode):
            with os.scandir(path) as entries:
                stack.extend(path / entry.name for entry in entries)
    return found


def assert_untouched(before: Sequence[Original]) -> None:
    for was in before:
        now = _record(was.path)
        assert (now.mode, now.mtime_ns) == (was.mode, was.mtime_ns), f"{was.path!r} was changed"
        assert now.data == was.data, f"the bytes of {was.path!r} were changed"


# ---------------------------------------------------------------------------------- the assertion


@dataclass
class AddRun:
    code: int
    stdout: str
    stderr: str
    results: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    lines: list[str] = field(default_factory=list)

    @property
    def stored(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] in ("added", "duplicate")]


def object_path(cat: Catalogue, sha256: str) -> Path:
    return cat.root / "store" / "objects" / sha256[:2] / sha256[2:4] / sha256


def add_hostile(
    cat: Catalogue,
    *paths: str | Path,
    code: int,
    problems: Sequence[str] = (),
    analysis: str | None = None,
    args: Sequence[str] = (),
    env: Mapping[str, str | None] | None = None,
    untouched: bool = True,
) -> AddRun:
    """Run `evidence add --json PATHS…` and assert the whole contract (see the module notes).

    `problems`: one substring per expected stderr line, each matching exactly one line. `analysis`:
    what every stored result's analysis must be (`"ok"`, or a `"failed:…"` prefix); None to leave it
    to the case. `untouched=False` for a case that changes its input on purpose."""
    given = [Path(p) for p in paths]
    before = snapshot(given)
    result = cat.run("add", *given, *args, "--json", env=dict(env or {}))
    output = f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert result.exit_code == code, output
    assert "Traceback" not in result.output and "internal error" not in result.stderr, output
    doc = json.loads(result.stdout)  # one JSON document, nothing else on stdout
    run = AddRun(result.exit_code, result.stdout, result.stderr, doc["results"], doc["skipped"])
    run.lines = result.stderr.splitlines()
    assert_problem_lines(run.lines, problems)
    for entry in run.results:
        if entry["status"] == "failed":
            assert entry["sha256"] is None and entry["id"] is None and entry["error"], entry
            continue
        stored = object_path(cat, entry["sha256"])
        assert stat.S_IMODE(os.lstat(stored).st_mode) == 0o444, entry
        data = stored.read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
        assert any(o.data == data for o in before) or not untouched, f"not the original's bytes: {entry}"
        if analysis == "ok":
            assert entry["analysis"] == "ok", output
        elif analysis is not None:
            assert entry["analysis"].startswith(analysis), output
    if code == 0:
        assert all(r["status"] != "failed" for r in run.results), output
        assert not any((r["analysis"] or "").startswith("failed") for r in run.stored), output
    elif code == 3:
        assert any(r["analysis"].startswith("failed:") for r in run.stored), output
    elif code == 2:
        assert any(r["status"] == "failed" for r in run.results), output
    assert_consistent(cat, pending_ok="--no-analysis" in args or "--quick" in args)
    if untouched:
        assert_untouched(before)
    return run


def assert_problem_lines(lines: Sequence[str], problems: Sequence[str]) -> None:
    """Exactly one stderr line per problem, each printable and on its own line."""
    for line in lines:
        assert line.replace("\t", " ").isprintable(), f"unprintable: {line!r}"
        assert "\x1b" not in line and "\r" not in line, repr(line)
    assert len(lines) == len(problems), f"expected {len(problems)} line(s) {problems}, got {lines}"
    unmatched = list(lines)
    for problem in problems:
        hits = [line for line in unmatched if problem in line]
        assert len(hits) == 1, f"{problem!r} should be in exactly one of {unmatched}"
        unmatched.remove(hits[0])


def rows(cat: Catalogue, sql: str) -> list[Any]:
    engine = create_engine(cat.url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def assert_consistent(cat: Catalogue, *, pending_ok: bool = False) -> None:
    """Nothing partial in the store or the catalogue, and `evidence verify` agrees."""
    store = cat.root / "store"
    assert not any((store / "tmp").iterdir()), f"leftovers: {list((store / 'tmp').iterdir())}"
    objects = {p.name for p in (store / "objects").rglob("*") if not p.is_dir()}
    items = dict(rows(cat, "SELECT sha256, analysis FROM item"))
    assert objects - set(items) == set(), "objects without an item"
    assert set(items) - objects == set(), "items without an object"
    orphans = rows(
        cat,
        "SELECT i.sha256 FROM item i WHERE NOT EXISTS (SELECT 1 FROM acquisition a WHERE a.item_id = i.id)",
    )
    assert orphans == [], f"items without an acquisition: {orphans}"
    if not pending_ok:
        assert "pending" not in items.values(), items
    for (thumbnail,) in rows(cat, "SELECT thumbnail FROM frame WHERE thumbnail IS NOT NULL"):
        assert (store / "derived" / thumbnail[:2] / thumbnail[2:4] / thumbnail).is_file(), thumbnail
    report = cat.json("verify")
    assert report["ok"] is True and report["problems"] == [] and report["warnings"] == [], report


def item_rows(cat: Catalogue, sha256: str) -> dict[str, Any]:
    """The catalogue's record of one item, as `show --json` gives it."""
    [entry] = [i for i in cat.json("list")["items"] if i["sha256"] == sha256]
    shown: dict[str, Any] = cat.json("show", str(entry["id"]))
    return shown


def frames_of(cat: Catalogue, item_id: int) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = cat.json("frames", str(item_id))["frames"]
    return frames


# ------------------------------------------------------------------------------ hostile media


def write_frames(
    path: Path,
    pictures: Sequence[np.ndarray],
    pts: Sequence[int],
    time_base: Fraction,
    *,
    rate: int | Fraction = 30,
    gop: int | None = None,
) -> Path:
    """Encode RGB pictures with libx264 at the given pts (in `time_base` units): variable frame rate,
    long gaps, whatever the case needs."""
    import av

    options = {"preset": "ultrafast"} | ({"g": str(gop)} if gop else {})
    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream("libx264", rate=rate, options=options)
        stream.height, stream.width = pictures[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = time_base
        for picture, when in zip(pictures, pts, strict=True):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
            frame.pts = when
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def clip_frames(count: int, size: tuple[int, int] = (160, 120), seed: int = 0) -> list[np.ndarray]:
    return [video_frame(i, count, size, seed=seed) for i in range(count)]


def solid_clip(path: Path, colour: tuple[int, int, int], size: tuple[int, int], frames: int = 30) -> Path:
    picture = np.full((size[1], size[0], 3), colour, np.uint8)
    return write_frames(path, [picture] * frames, list(range(frames)), Fraction(1, 30))


def box_offset(data: bytes, kind: bytes, start: int = 0) -> int:
    """Where the 4-byte type `kind` of an ISO-BMFF box is, at or after `start` (its size is 4 before)."""
    return data.index(kind, start)


def patch_u32(data: bytearray, offset: int, value: int, *, big_endian: bool = True) -> None:
    struct.pack_into(">I" if big_endian else "<I", data, offset, value)


def png_image(width: int, height: int, rows_of_data: int | None = None, level: int = 1) -> bytes:
    """A greyscale PNG of `width` x `height` mid-grey pixels (`rows_of_data` rows only: a cut-off image
    whose header still declares the full size), compressed row by row so no big buffer is built."""
    from mediagen import _png_chunk

    row = b"\x00" + b"\x80" * width
    packer = zlib.compressobj(level)
    body = b"".join(packer.compress(row) for _ in range(height if rows_of_data is None else rows_of_data))
    body += packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunks = _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def png_frames_movie(path: Path, frame: bytes, size: tuple[int, int], count: int = 2) -> Path:
    """A QuickTime file whose video stream is `count` copies of one PNG `frame` (PNG-in-MOV is how
    screen recorders store lossless video); the stream header says `size`."""
    import av

    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream("png", rate=1)
        stream.width, stream.height = size
        stream.pix_fmt = "gray"
        for index in range(count):
            packet = av.Packet(frame)
            packet.pts = packet.dts = index
            packet.time_base = Fraction(1)
            packet.stream = stream
            container.mux(packet)
    return path


# ------------------------------------------------------------------------- watching a reference


class FifoWatch:
    """Tells whether anything opened a FIFO for reading while the watch ran.

    A reader that opens the FIFO blocks until a writer comes; the watch keeps trying a non-blocking
    open for writing, which succeeds exactly when a reader is there. Then it notes the open, and
    closes at once so the reader gets end of file instead of hanging the test."""

    def __init__(self, fifo: Path) -> None:
        self.fifo = fifo
        self.opened = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: no reader
                time.sleep(0.005)
                continue
            self.opened = True
            os.close(fd)

    def __enter__(self) -> FifoWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
