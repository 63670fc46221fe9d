"""Domain values: small, frozen, typed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class MediaKind(StrEnum):
    VIDEO = "video"
    IMAGE = "image"
    AUDIO = "audio"
    OTHER = "other"


class AnalysisState(StrEnum):
    OK = "ok"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AnalysisStatus:
    """`ok`, `pending` or `failed:<reason>` as stored and printed."""

    state: AnalysisState
    reason: str = ""

    @classmethod
    def ok(cls) -> AnalysisStatus:
        return cls(AnalysisState.OK)

    @classmethod
    def pending(cls) -> AnalysisStatus:
        return cls(AnalysisState.PENDING)

    @classmethod
    def failed(cls, reason: str) -> AnalysisStatus:
        # keep the stored reason on one line and bounded
        one_line = " ".join(reason.split())[:300] or "unknown"
        return cls(AnalysisState.FAILED, one_line)

    @classmethod
    def parse(cls, text: str) -> AnalysisStatus:
        if text.startswith("failed:"):
            return cls(AnalysisState.FAILED, text.removeprefix("failed:"))
        return cls(AnalysisState(text))

    def __str__(self) -> str:
        if self.state is AnalysisState.FAILED:
            return f"failed:{self.reason}"
        return self.state.value


@dataclass(frozen=True, slots=True)
class Sha256:
    """A SHA-256 content address. `str()` gives the bare hex; `.tagged` gives `sha256:<hex>`."""

    hex: str

    def __post_init__(self) -> None:
        if not _SHA256_RE.match(self.hex):
            raise ValueError(f"not a SHA-256 hex digest: {self.hex!r}")

    @property
    def tagged(self) -> str:
        return f"sha256:{self.hex}"

    def __str__(self) -> str:
        return self.hex
