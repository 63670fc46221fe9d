"""The cores this process may use, shared out between the parts of an analysis that run at once: the
decoder (on its read-ahead thread), the loop that hashes the decoded frames, and the descriptor model."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system tells it), at least one."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 2)


def decoder_threads() -> int:
    """The decoder's threads in the main pass of a video's analysis: `EVIDENCE_DECODER_THREADS` (0 lets
    FFmpeg choose), else the usable cores less two (one for the hashing loop, one or more for the model:
    `sscd.threads`), at least one.

    Measured on 2 cores (the 60 s 720p benchmark clip and two 20 s clips, 720p and 1080p; three runs
    alternating): one decoder thread instead of FFmpeg's frame threads made the analysis 3.5 % faster
    and spent 5 % less CPU time. Every core is busy through the pass, and frame threads cost CPU time of
    their own. The frames decoded are the same. Quick mode keeps FFmpeg's choice: its loop only hashes
    key frames, and frame threads decoding them side by side made it 20 % faster."""
    chosen = setting("EVIDENCE_DECODER_THREADS")
    return max(1, usable_cores() - 2) if chosen is None else max(0, chosen)


def setting(name: str) -> int | None:
    """A whole number from the environment variable `name`; None where it is unset or not a number."""
    try:
        return int(os.environ.get(name, ""))
    except ValueError:
        return None
