"""Deterministic test media, generated on the fly (import with `from mediagen import make_video`).

Every generator writes one file and returns its path. Content is a pure function of the arguments
(same arguments, same pixels; the encoded bytes may still differ between FFmpeg builds), so tests
can regenerate the expected frames with `video_frame` and compare.

Videos are built from `scenes` visually unrelated scenes of equal length, each a textured
background with a bright square moving across it, so that scene-cut detection, fingerprinting and
matching have something real to work on. `scene_starts` gives the frame index of every cut.

Rotation follows the convention phones and FFmpeg's legacy `rotate` tag use: `rotate=90` means a
player turns the stored picture 90° clockwise for display. It is written as the stream's display
matrix (`VideoStream.set_display_rotation(-rotate)`; PyAV's `degrees` are counter-clockwise), which
reads back as `VideoFrame.rotation == -90`, the same number ffprobe prints as `rotation`.
"""

from __future__ import annotations

import math
import struct
import wave
import zlib
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

__all__ = [
    "corrupt_bytes",
    "make_animated_gif",
    "make_audio",
    "make_hls_playlist",
    "make_image",
    "make_jpeg_with_exif",
    "make_png_bomb",
    "make_video",
    "make_wav",
    "sample_image",
    "scene_starts",
    "truncate",
    "video_frame",
]

_FAST_CODEC_OPTIONS: dict[str, dict[str, str]] = {
    "libx264": {"preset": "ultrafast"},
    "libx265": {"preset": "ultrafast", "log-level": "error"},
    "libvpx": {"deadline": "realtime", "cpu-used": "8"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8", "row-mt": "1"},
}


def scene_starts(frames: int, scenes: int = 3) -> list[int]:
    """Frame indices at which each scene of a `frames`-long clip starts (the first is 0)."""
    scenes = max(1, min(scenes, frames))
    return [i * frames // scenes for i in range(scenes)]


def _scene_background(scene: int, size: tuple[int, int], seed: int) -> np.ndarray:
    """A textured RGB background: a 8x6 grid of random colour blocks plus a horizontal gradient."""
    width, height = size
    rng = np.random.default_rng([seed, scene])
    blocks = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    ys = np.arange(height) * 6 // height
    xs = np.arange(width) * 8 // width
    image = blocks[ys][:, xs].astype(np.int16)
    gradient = (np.arange(width, dtype=np.int16) * 64 // max(width, 1))[None, :, None]
    background: np.ndarray = np.clip(image + gradient - 32, 0, 255).astype(np.uint8)
    return background


def video_frame(
    index: int, frames: int, size: tuple[int, int] = (320, 240), scenes: int = 3, seed: int = 0
) -> np.ndarray:
    """The RGB (height x width x 3, uint8) picture `make_video` encodes as frame `index`."""
    width, height = size
    starts = scene_starts(frames, scenes)
    scene = max(i for i, start in enumerate(starts) if start <= index)
    picture = _scene_background(scene, size, seed).copy()
    side = max(4, min(width, height) // 5)
    progress = index / max(frames - 1, 1)
    x = int(progress * (width - side))
    y = int((0.5 + 0.3 * math.sin(progress * 2 * math.pi)) * (height - side))
    picture[y : y + side, x : x + side] = (255, 255, 240)
    return picture


def make_video(
    path: Path,
    seconds: float = 2.0,
    fps: int | Fraction = 30,
    size: tuple[int, int] = (320, 240),
    codec: str = "libx264",
    rotate: int | None = None,
    tags: Mapping[str, str] | None = None,
    *,
    stream_tags: Mapping[str, str] | None = None,
    scenes: int = 3,
    seed: int = 0,
    audio: bool = False,
    pix_fmt: str = "yuv420p",
    faststart: bool = False,
    sample_aspect: Fraction | None = None,
) -> Path:
    """Write a short clip of moving content with `scenes` hard cuts; return `path`.

    The container follows the file extension (.mp4, .mov, .mkv, .webm, .avi, …). `rotate` is the
    clockwise display rotation (0/90/180/270) written as the stream's display matrix; `tags` are
    container tags (e.g. `{"creation_time": "2023-05-01T12:00:00Z"}`), `stream_tags` tags on the video
    stream; `audio` adds a mono AAC (Opus for WebM) track of the same length; `faststart` puts an
    MP4/MOV's `moov` box before the media data; `sample_aspect` is the shape of a pixel (4/3: each one
    shown a third wider than tall, as anamorphic footage is). Widths and heights must be even for 4:2:0
    pixel formats.
    """
    import av

    path = Path(path)
    frames = max(1, round(seconds * fps))
    # keys like "com.apple.quicktime.location.ISO6709" are only written as QuickTime metadata-key tags
    flags = ("+faststart" if faststart else "") + (
        "+use_metadata_tags" if any("." in k for k in tags or {}) else ""
    )
    options = {"movflags": flags} if flags else {}
    with av.open(str(path), "w", container_options=options) as container:
        stream: Any = container.add_stream(
            codec, rate=Fraction(fps), options=_FAST_CODEC_OPTIONS.get(codec, {})
        )
        stream.width, stream.height = size
        stream.pix_fmt = pix_fmt
        if rotate:
            stream.set_display_rotation(-rotate)
        if sample_aspect is not None:
            stream.codec_context.sample_aspect_ratio = sample_aspect
        for key, value in (stream_tags or {}).items():
            stream.metadata[key] = value
        for key, value in (tags or {}).items():
            container.metadata[key] = value
        sound = None
        if audio:
            sound = container.add_stream("libopus" if path.suffix.lower() == ".webm" else "aac", rate=48000)
            sound.layout = "mono"
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(video_frame(index, frames, size, scenes, seed), format="rgb24")
            frame.pts = index
            frame.time_base = 1 / Fraction(fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if sound is not None:
            _encode_tone(container, sound, frames / Fraction(fps))
    return path


_AUDIO_CODECS = {
    ".mp3": "libmp3lame",
    ".flac": "flac",
    ".ogg": "libopus",
    ".opus": "libopus",
    ".mka": "libopus",
    ".webm": "libopus",
    ".wav": "pcm_s16le",
}
_SAMPLE_TYPES = {
    "flt": np.float32,
    "fltp": np.float32,
    "s16": np.int16,
    "s16p": np.int16,
    "s32": np.int32,
    "s32p": np.int32,
    "dbl": np.float64,
    "dblp": np.float64,
}


def _encode_tone(container: Any, stream: Any, seconds: Fraction | float, hz: float = 440.0) -> None:
    """Encode a mono sine tone of `seconds` into `stream` and flush it."""
    import av

    rate = stream.codec_context.sample_rate
    frame_size = stream.codec_context.frame_size or 1024
    fmt = stream.codec_context.format.name
    dtype = _SAMPLE_TYPES[fmt]
    total = int(seconds * rate)
    tone = 0.3 * np.sin(2 * np.pi * hz * np.arange(total) / rate)
    if np.issubdtype(dtype, np.integer):
        tone = tone * np.iinfo(dtype).max  # type: ignore[type-var]
    samples = tone.astype(dtype)
    for start in range(0, total, frame_size):
        chunk = samples[start : start + frame_size]
        frame = av.AudioFrame.from_ndarray(chunk[None, :], format=fmt, layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def make_audio(
    path: Path,
    seconds: float = 1.0,
    codec: str | None = None,
    rate: int = 48000,
    tags: Mapping[str, str] | None = None,
    hz: float = 440.0,
    cover: bool = False,
) -> Path:
    """Write an audio-only file (a mono sine tone) with PyAV; the codec follows the extension by default
    (AAC in .m4a, MP3 in .mp3, FLAC, Opus in .ogg/.opus/.mka/.webm, PCM in .wav).

    `cover` adds a 64x64 PNG as an attached picture (cover art), as music files carry it (.mp3 only).
    """
    import av

    path = Path(path)
    codec = codec or _AUDIO_CODECS.get(path.suffix.lower(), "aac")
    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        for key, value in (tags or {}).items():
            container.metadata[key] = value
        if cover:
            picture: Any = container.add_stream("png", rate=1)
            picture.width = picture.height = 64
            picture.pix_fmt = "rgb24"
            picture.disposition = av.stream.Disposition.attached_pic
            frame = av.VideoFrame.from_ndarray(np.asarray(sample_image((64, 64))), format="rgb24")
            frame.pts = 0
            container.mux(picture.encode(frame))
            container.mux(picture.encode(None))
        _encode_tone(container, stream, seconds, hz)
    return path


def make_wav(path: Path, seconds: float = 1.0, rate: int = 16000, hz: float = 440.0) -> Path:
    """Write a mono 16-bit PCM WAV with the standard library only."""
    path = Path(path)
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.3 * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def sample_image(size: tuple[int, int] = (320, 240), seed: int = 0) -> Image.Image:
    """A deterministic, detailed RGB picture (textured background, a disc and a bar)."""
    width, height = size
    picture = _scene_background(seed, size, seed).copy()
    yy, xx = np.mgrid[0:height, 0:width]
    disc = (xx - width * 0.35) ** 2 + (yy - height * 0.45) ** 2 < (min(size) * 0.2) ** 2
    picture[disc] = (230, 40, 40)
    picture[height * 3 // 4 : height * 3 // 4 + max(2, height // 12), width // 8 : width * 7 // 8] = (
        20,
        20,
        200,
    )
    return Image.fromarray(picture, "RGB")


def make_image(
    path: Path,
    size: tuple[int, int] = (320, 240),
    mode: str = "RGB",
    format: str | None = None,
    seed: int = 0,
    **save_options: object,
) -> Path:
    """Write `sample_image` converted to `mode` ("RGB", "L", "CMYK", "I;16", "RGBA", "P", …).

    The format follows the extension unless `format` is given; `save_options` go to `Image.save`
    (for example `exif=…`, `quality=…`, `icc_profile=…`).
    """
    path = Path(path)
    image = sample_image(size, seed)
    if mode == "I;16":  # Pillow converts RGB to 16 bits via L and I
        image = Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)
    elif mode != "RGB":
        image = image.convert(mode)
    image.save(path, format=format, **save_options)
    return path


def _dms(degrees: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees as EXIF (degrees, minutes, seconds) rationals."""
    degrees = abs(degrees)
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    seconds = (degrees - whole - minutes / 60) * 3600
    return (IFDRational(whole, 1), IFDRational(minutes, 1), IFDRational(round(seconds * 1000), 1000))


def make_jpeg_with_exif(
    path: Path,
    size: tuple[int, int] = (320, 240),
    orientation: int | None = 6,
    gps: tuple[float, float] | tuple[float, float, float] | None = (48.8577, 2.2950),
    taken: str | None = "2021:03:04 10:11:12",
    offset: str | None = "+02:00",
    make: str | None = "Canon",
    model: str | None = "Canon EOS 5D",
    software: str | None = "evidence-tests",
) -> Path:
    """Write a JPEG with EXIF: orientation, GPS (lat, lon[, altitude m]), DateTimeOriginal + offset."""
    exif = Image.Exif()
    for tag, value in ((0x0112, orientation), (0x010F, make), (0x0110, model), (0x0131, software)):
        if value is not None:
            exif[tag] = value
    if taken is not None:
        exif[0x0132] = taken  # DateTime
        exif_ifd = exif.get_ifd(0x8769)
        exif_ifd[0x9003] = taken  # DateTimeOriginal
        if offset is not None:
            exif_ifd[0x9011] = offset  # OffsetTimeOriginal
            exif_ifd[0x9010] = offset  # OffsetTime
    if gps is not None:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N" if gps[0] >= 0 else "S"
        gps_ifd[2] = _dms(gps[0])
        gps_ifd[3] = "E" if gps[1] >= 0 else "W"
        gps_ifd[4] = _dms(gps[1])
        if len(gps) > 2:
            gps_ifd[5] = b"\x00" if gps[2] >= 0 else b"\x01"  # above / below sea level
            gps_ifd[6] = IFDRational(round(abs(gps[2]) * 100), 100)
    return make_image(path, size, "RGB", "JPEG", exif=exif, quality=90)


def make_animated_gif(
    path: Path, frames: int = 5, size: tuple[int, int] = (64, 48), duration_ms: int = 100
) -> Path:
    """Write an animated GIF (or WebP / APNG, by extension) of `frames` distinct frames."""
    path = Path(path)
    pictures = [sample_image(size, seed) for seed in range(frames)]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_png_bomb(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """Write a tiny, well-formed PNG that declares `width` x `height` pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * 1024)
    data = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)
    Path(path).write_bytes(data + _png_chunk(b"IEND", b""))
    return Path(path)


def truncate(source: Path, target: Path, keep: int | float) -> Path:
    """Copy the first `keep` bytes of `source` (or that fraction of it, if a float < 1) to `target`."""
    data = Path(source).read_bytes()
    count = int(len(data) * keep) if isinstance(keep, float) and keep < 1 else int(keep)
    Path(target).write_bytes(data[:count])
    return Path(target)


def corrupt_bytes(
    source: Path, target: Path, positions: Sequence[int] = (), count: int = 0, seed: int = 0
) -> Path:
    """Copy `source` to `target` with bytes inverted at `positions` and at `count` seeded random places."""
    data = bytearray(Path(source).read_bytes())
    rng = np.random.default_rng(seed)
    chosen = (list(positions) + [int(p) for p in rng.integers(0, len(data), size=count)]) if data else []
    for position in chosen:
        data[position % len(data)] ^= 0xFF
    Path(target).write_bytes(bytes(data))
    return Path(target)


def make_hls_playlist(path: Path, segments: Sequence[str | Path], seconds: float = 1.0) -> Path:
    """Write an HLS media playlist naming `segments` (local paths or URLs)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{math.ceil(seconds)}"]
    for segment in segments:
        lines += [f"#EXTINF:{seconds:.3f},", str(segment)]
    Path(path).write_text("\n".join([*lines, "#EXT-X-ENDLIST", ""]), encoding="utf-8")
    return Path(path)


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core


def text_panel(picture: np.ndarray, lines: Sequence[str], font_size: int = 32) -> np.ndarray:
    """`picture` with a light panel of dark text burnt in (Latin, Cyrillic and Arabic: DejaVu Sans,
    right-to-left lines shaped by Pillow's Raqm layout)."""
    from PIL import ImageDraw, ImageFont

    image = Image.fromarray(picture)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(DEJAVU), font_size)
    width, height = image.size
    top = height // 6
    draw.rectangle(
        (width // 16, top, width - width // 16, top + (len(lines) + 1) * font_size * 3 // 2),
        fill=(235, 232, 220),
    )
    for n, line in enumerate(lines):
        rtl = any("\u0600" <= ch <= "\u06ff" for ch in line)
        where = (width // 10, top + font_size // 2 + n * font_size * 3 // 2)
        draw.text(where, line, font=font, fill=(15, 15, 15), direction="rtl" if rtl else None)
    return np.asarray(image)


def make_text_video(
    path: Path,
    scenes: Sequence[Sequence[str]],
    seconds_each: float = 1.0,
    fps: int = 25,
    size: tuple[int, int] = (640, 360),
    seed: int = 0,
) -> Path:
    """A clip of one scene per entry of `scenes`, each a hard cut to `make_video`'s moving picture with
    that scene's lines of text burnt in on a panel."""
    import av

    per = max(1, round(seconds_each * fps))
    total = per * len(scenes)
    with av.open(str(path), "w") as container:
        stream: Any = container.add_stream(
            "libx264", rate=fps, options=_FAST_CODEC_OPTIONS.get("libx264", {})
        )
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(total):
            picture = video_frame(index, total, size, len(scenes), seed)
            lines = scenes[index // per]
            if lines:
                picture = text_panel(picture, lines)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path
