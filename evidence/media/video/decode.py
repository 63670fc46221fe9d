"""Decoding a video with PyAV, locked down as probing is, and cheap views of decoded planes.

`open_video` opens the path without blocking (regular files only), sniffs it, forces the one demuxer
its leading bytes allow (`probe_av.DEMUXERS`), hands FFmpeg the open file object (no name is parsed as
a URL), sets `protocol_whitelist=file` and `format_whitelist`, and refuses every nested open
(playlists, references). `iter_frames` decodes one stream, skipping packets that fail to decode (a
warning) and stopping cleanly at a demuxing error (a truncated file). `luma_plane` and `chroma_planes`
are zero-copy numpy views of a frame's planes (row padding cut off; 9-16 bit formats as uint16 with
the shift to 8 bits). Frames over `MAX_FRAME_PIXELS` (the limit images have) are refused from the
stream header, or at the first decoded frame that is larger. `upright` turns a plane;
`single_threaded_maths` keeps numpy's OpenBLAS and OpenCV off the cores FFmpeg's frame threads need.
`iter_frames(before=...)` lets a caller set the decoder up per packet (`grid_decoding`)."""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO, Final

import numpy as np
import numpy.typing as npt

from evidence.core.box import Box
from evidence.core.types import MediaKind
from evidence.errors import EvidenceError, ExitCode
from evidence.media.probe.av import DEMUXERS, DENIED_DEMUXERS, NestedOpenRefused, open_locked
from evidence.media.probe.image import PIXEL_LIMIT
from evidence.media.probe.sniff import SNIFF_BYTES, sniff
from evidence.media.video.grid_decoding import FrameNumbers

__all__ = [
    "CONVERTING",
    "MAX_FRAME_PIXELS",
    "MediaError",
    "check_frame_size",
    "chroma_planes",
    "header_duration",
    "iter_frames",
    "luma_plane",
    "open_video",
    "quarter_turns",
    "reason",
    "seconds",
    "single_threaded_maths",
    "to_uint8",
    "upright",
]

log = logging.getLogger(__name__)

Plane = npt.NDArray[np.uint8] | npt.NDArray[np.uint16]

CONVERTING: Final = threading.Lock()
"""Held while PyAV scales or converts a decoded frame that another thread may convert too (the pass
makes a frame's described picture on the describing thread, a keyframe's thumbnail on its own): two
conversions of one frame at once hang or crash the scaler, of different frames they are safe."""

_PLANAR_8: Final = frozenset(
    {
        "yuv420p",
        "yuvj420p",
        "yuv422p",
        "yuvj422p",
        "yuv444p",
        "yuvj444p",
        "yuv440p",
        "yuvj440p",
        "yuv411p",
        "yuv410p",
        "yuva420p",
        "yuva422p",
        "yuva444p",
    }
)
_LUMA_8: Final = _PLANAR_8 | {"gray", "nv12", "nv21", "nv16", "nv24", "nv42"}
_SHIFT_16: Final = {
    f"{family}{depth}le": depth - 8
    for family in ("yuv420p", "yuv422p", "yuv444p", "yuv440p", "gray")
    for depth in (9, 10, 12, 14, 16)
} | {"p010le": 8, "p016le": 8, "p210le": 8, "p410le": 8}
"""16-bit little-endian formats whose Y plane is read directly: name -> right shift to 8 bits."""
_PLANAR_16: Final = frozenset(name for name in _SHIFT_16 if name.startswith("yuv"))


MAX_FRAME_PIXELS: Final = PIXEL_LIMIT
"""Largest frame analysed, in pixels: the limit images have. A header (or a decoded frame) that says
more is refused before any further frame is decoded; FFmpeg's own limit is about 268 M pixels."""


class MediaError(EvidenceError):
    """A video that cannot be analysed (no video stream, undecodable, truncated before any frame)."""

    exit_code = ExitCode.ANALYSIS_INCOMPLETE


def av_errors() -> tuple[type[BaseException], ...]:
    """What PyAV raises for bad input."""
    import av

    return (av.FFmpegError, OSError, EOFError, ValueError, RuntimeError, OverflowError, ZeroDivisionError)


def reason(exc: BaseException) -> str:
    """A one-line reason for an FFmpeg failure, without the file's name."""
    strerror = getattr(exc, "strerror", None)
    text = " ".join(str(strerror or exc or type(exc).__name__).split())[:200]
    return text or type(exc).__name__


def _open_file(path: Path) -> BinaryIO:
    """Open a regular file for reading without ever blocking on a FIFO or device."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror or exc}") from exc
    fh = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
        fh.close()
        raise MediaError("cannot read: not a regular file")
    return fh


def _demuxer(fh: BinaryIO, name: str) -> str:
    """The one FFmpeg demuxer the file's leading bytes allow."""
    try:
        sniffed = sniff(fh.read(SNIFF_BYTES), name)
        fh.seek(0)
    except OSError as exc:
        raise MediaError(f"cannot read: {exc.strerror or exc}") from exc
    if sniffed.kind not in (MediaKind.VIDEO, MediaKind.AUDIO) or sniffed.format not in DEMUXERS:
        raise MediaError(f"not a video container: {sniffed.format or 'unknown content'}")
    return DEMUXERS[sniffed.format]


def _video_stream(container: Any) -> Any:
    for stream in container.streams.video:
        context = stream.codec_context
        attached = stream.disposition & type(stream.disposition).attached_pic
        if context is not None and context.width > 0 and context.height > 0 and not attached:
            check_frame_size(context.width, context.height)
            return stream
    raise MediaError("no video stream")


def check_frame_size(width: int, height: int) -> None:
    """Refuse frames over `MAX_FRAME_PIXELS` (a decompression bomb, or a header that lies)."""
    if width * height > MAX_FRAME_PIXELS:
        raise MediaError(f"video too large: {width} x {height} pixels a frame (at most {MAX_FRAME_PIXELS})")


@contextmanager
def open_video(path: Path) -> Iterator[tuple[Any, Any]]:
    """Open `path` for decoding; yield `(container, video stream)`. Raises `MediaError`."""

    with ExitStack() as stack:
        fh = stack.enter_context(_open_file(path))
        demuxer = _demuxer(fh, path.name)
        try:
            container = stack.enter_context(open_locked(fh, demuxer))
        except NestedOpenRefused as exc:
            raise MediaError("refused: the file references another file or address") from exc
        except av_errors() as exc:
            log.debug("cannot open %s", path, exc_info=True)
            text = reason(exc)
            damaged = any(sign in text for sign in ("Invalid data", "moov atom", "End of file"))
            raise MediaError(f"{'truncated or corrupt' if damaged else 'cannot decode'}: {text}") from exc
        if set(container.format.name.split(",")) & DENIED_DEMUXERS:
            raise MediaError(f"refused demuxer: {container.format.name}")
        yield container, _video_stream(container)


def iter_frames(
    container: Any,
    stream: Any,
    warnings: list[str],
    *,
    select: Callable[[Any], bool] | None = None,
    ordinals: dict[int, int] | None = None,
    numbers: FrameNumbers | None = None,
    before: Callable[[Any], None] | None = None,
) -> Iterator[Any]:
    """Decoded frames of `stream` in presentation order.

    A packet that fails to decode is skipped (one warning in total, with a count); a demuxing error
    ends the stream (a warning) after the decoder is drained. `select(packet)` filters packets before
    decoding. `ordinals`, if given, receives `pts -> decode-order packet number` for key packets;
    `numbers`, if given, sees every packet; `before(packet)` is called
    before each packet is decoded (`grid_decoding.GridDecoding`). A frame over `MAX_FRAME_PIXELS`
    raises `MediaError`.
    """
    errors = av_errors()
    failed, first_failure = 0, ""
    packets = container.demux(stream)
    ordinal = -1
    drained = False
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            drained = True
            break
        except errors as exc:
            warnings.append(f"truncated or corrupt: demuxing stopped: {reason(exc)}")
            break
        if packet.size:
            ordinal += 1
            if numbers is not None:
                numbers.saw(packet)
            if ordinals is not None and packet.is_keyframe and packet.pts is not None:
                ordinals[packet.pts] = ordinal
        if select is not None and packet.size and not select(packet):
            continue
        if before is not None and packet.size:
            before(packet)
        try:
            decoded = packet.decode()
        except errors as exc:
            failed, first_failure = failed + 1, first_failure or reason(exc)
            continue
        for frame in decoded:
            check_frame_size(frame.width, frame.height)
            yield frame
    if not drained:
        try:
            for frame in stream.codec_context.decode(None):
                check_frame_size(frame.width, frame.height)
                yield frame
        except errors as exc:
            failed, first_failure = failed + 1, first_failure or reason(exc)
    if failed:
        warnings.append(f"{failed} packet(s) could not be decoded and were skipped: {first_failure}")


def _view(plane: Any, dtype: type[np.generic], width: int, height: int) -> Plane:
    itemsize = np.dtype(dtype).itemsize
    rows = np.frombuffer(plane, dtype=dtype, count=height * plane.line_size // itemsize)
    return rows.reshape(height, plane.line_size // itemsize)[:, :width]  # type: ignore[return-value]


def luma_plane(frame: Any) -> tuple[Plane, int]:
    """The frame's luma as a (height, width) numpy view and the right shift that makes it 8-bit.

    Formats without a directly readable Y plane (RGB, palettes, packed YUV) are converted to gray8.
    """
    name = frame.format.name
    if name in _LUMA_8:
        return _view(frame.planes[0], np.uint8, frame.width, frame.height), 0
    if name in _SHIFT_16:
        return _view(frame.planes[0], np.uint16, frame.width, frame.height), _SHIFT_16[name]
    gray = frame.reformat(format="gray")
    return _view(gray.planes[0], np.uint8, gray.width, gray.height), 0


def chroma_planes(frame: Any) -> tuple[Plane, Plane] | None:
    """The U and V planes as numpy views (same depth as the luma), or None for other layouts."""
    name = frame.format.name
    if name not in _PLANAR_8 and name not in _PLANAR_16:
        return None
    dtype = np.uint8 if name in _PLANAR_8 else np.uint16
    u, v = frame.planes[1], frame.planes[2]
    return _view(u, dtype, u.width, u.height), _view(v, dtype, v.width, v.height)


def to_uint8(plane: Plane, shift: int) -> npt.NDArray[np.uint8]:
    """An 8-bit version of a plane (the view itself when it already is)."""
    if shift == 0 and plane.dtype == np.uint8:
        return plane  # type: ignore[return-value]
    return np.right_shift(plane, shift).astype(np.uint8)


def seconds(value: int | None, time_base: Fraction | None) -> Fraction | None:
    """`value * time_base` as an exact Fraction, or None."""
    if value is None or time_base is None:
        return None
    return Fraction(value) * Fraction(time_base)


_OPENBLAS_SYMBOLS: Final = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)


@functools.cache
def _openblas() -> tuple[Any, Any] | None:
    """`(get, set)` thread-count functions of an OpenBLAS already loaded in this process, if any."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and ".so" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path, mode=getattr(os, "RTLD_NOLOAD", 0) | ctypes.RTLD_LOCAL)
        except OSError:
            continue
        for get_name, set_name in _OPENBLAS_SYMBOLS:
            getter, setter = getattr(library, get_name, None), getattr(library, set_name, None)
            if getter is not None and setter is not None:
                getter.restype, getter.argtypes = ctypes.c_int, []
                setter.restype, setter.argtypes = None, [ctypes.c_int]
                return getter, setter
    return None


@contextmanager
def single_threaded_maths() -> Iterator[None]:
    """Run numpy's OpenBLAS and OpenCV on one thread each inside the block (the thread counts are
    restored after it); OpenBLAS is left alone where numpy does not use it.

    Measured on 2 cores, 720p: OpenBLAS's worker threads (PDQ's matrix products) spinning beside
    FFmpeg's frame threads made a full pass 2.6x slower (4.2 s instead of 1.6 s per minute of video);
    OpenCV's thread pool, splitting each small resize while the decoder keeps both cores busy, cost
    about 7 % more CPU time for the same result (its output does not depend on the thread count).
    """
    import cv2

    opencv_before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    control = _openblas()
    blas_before = int(control[0]()) if control is not None else 0
    if control is not None:
        control[1](1)
    try:
        yield
    finally:
        if control is not None:
            control[1](blas_before)
        cv2.setNumThreads(opencv_before)


def header_duration(container: Any, stream: Any) -> Fraction | None:
    """The stream's duration from the headers (else the container's), or None."""
    duration = seconds(stream.duration, stream.time_base)
    if not duration and container.duration:
        duration = Fraction(container.duration, 1_000_000)
    return duration or None


def upright(plane: npt.NDArray[np.uint8], quarter_turns: int) -> npt.NDArray[np.uint8]:
    """The plane turned as by `numpy.rot90(plane, quarter_turns)` (contiguous; the plane itself for 0)."""
    import cv2

    codes = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}
    if quarter_turns == 0:
        return plane
    return np.asarray(cv2.rotate(plane, codes[quarter_turns]), dtype=np.uint8)


def canonical_luma(frame: Any, turns: int, border: Box | None) -> npt.NDArray[np.uint8]:
    """A decoded frame's 8-bit grey picture as analysis sees it: upright, without its `border` (a box in
    upright pixels, as analysis reports it)."""
    luma, shift = luma_plane(frame)
    picture = upright(to_uint8(luma, shift), turns)
    return picture if border is None else border.crop(picture)


def quarter_turns(rotation: float | None, warnings: list[str]) -> int:
    """Counter-clockwise quarter turns (for `numpy.rot90`) that make a frame with this rotation upright."""
    degrees = float(rotation or 0)
    turns = round(degrees / 90)
    if abs(degrees - 90 * turns) > 1:
        warnings.append(f"display rotation {degrees:g} degrees is not a multiple of 90; using {90 * turns}")
    return turns % 4
