"""Separate picture and sound streams (a platform's DASH formats) put into one file without
re-encoding: every packet copied as it is, interleaved by time. Runs in the analysis worker (the
streams are untrusted media)."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

CONTAINERS = (("mp4", ".mp4"), ("matroska", ".mkv"))  # MP4 when the codecs allow, else Matroska


class RemuxFailed(Exception):
    pass


def remux(inputs: list[Path], stem: Path) -> Path:
    """Write the video and audio streams of `inputs` into `stem` + `.mp4` (or `.mkv` when MP4 cannot
    hold them); returns the file written. Raises RemuxFailed."""
    problems = []
    for container, suffix in CONTAINERS:
        out = stem.with_suffix(suffix)
        try:
            _remux(inputs, out, container)
            return out
        except (av.error.FFmpegError, ValueError, TypeError) as exc:
            problems.append(f"{container}: {exc}")
            out.unlink(missing_ok=True)
    raise RemuxFailed("; ".join(problems))


def _remux(inputs: list[Path], out: Path, container: str) -> None:
    sources = [av.open(str(p)) for p in inputs]
    try:
        with av.open(str(out), "w", format=container) as target:
            streams = []
            for source in sources:
                for stream in source.streams:
                    if stream.type in ("video", "audio"):
                        streams.append((source, stream, target.add_stream_from_template(stream)))
            if not streams:
                raise ValueError("no video or audio stream to put together")
            for packet, copy in _interleaved(streams):
                packet.stream = copy
                target.mux(packet)
    finally:
        for source in sources:
            source.close()


def _interleaved(streams: list[tuple[Any, Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """The packets of every stream in order of their decoding time (packets without one keep their
    place after the one before)."""

    def packets(order: int, source: Any, stream: Any, copy: Any) -> Iterator[tuple[Fraction, int, Any, Any]]:
        last = Fraction(0)
        for packet in source.demux(stream):
            if packet.size == 0:
                continue
            if packet.dts is not None and packet.time_base is not None:
                last = packet.dts * packet.time_base
            yield last, order, packet, copy

    merged = heapq.merge(*(packets(i, *s) for i, s in enumerate(streams)), key=lambda t: (t[0], t[1]))
    for _, _, packet, copy in merged:
        yield packet, copy
