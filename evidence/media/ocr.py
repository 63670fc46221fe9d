"""Text in pictures: Tesseract's words, each with its box and confidence.

Tesseract is an outside program (Debian's `tesseract-ocr` and its language packs). Which one is used:
`tesseract` on PATH, the languages `EVIDENCE_OCR_LANGUAGES` names (default `eng+rus+ukr+ara`) that
are installed; `none` turns reading off. Where it is absent, `engine()` is None and `absent_reason()`
says why in one line: analysis goes on without text.

A picture is handed over as a BMP on stdin and read in one pass, one thread (the caller decides how
many run), as lines of text of any size (`--psm 4`): on 720p footage that is a quarter of a second a
frame with the four default languages, where reading for scattered words (`--psm 11`) took 3-9 s on
a textured landscape and still missed an Arabic caption on a busy picture, and a local threshold
(Sauvola) cost as much and found less (measured on `bench/ingest.py`'s clip and the tests'
captions). Only words of confidence `MIN_CONFIDENCE` or more that hold a letter or a digit (a lone
one only at `SURE`) are kept: on footage Tesseract also "reads" foliage and rubble.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from typing import Any

ENV_LANGUAGES = "EVIDENCE_OCR_LANGUAGES"
DEFAULT_LANGUAGES = "eng+rus+ukr+ara"
OFF = ("none", "off", "")
MIN_CONFIDENCE = 60.0
SURE = 85.0  # a word of one letter or digit is kept only this sure: else it is mostly texture
TIMEOUT = 120.0
MAX_WORD = 200


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    confidence: float  # 0-100, Tesseract's
    box: tuple[int, int, int, int]  # x, y, width, height in the upright picture's pixels
    line: int  # the line it is on, in reading order (words of one line share it)

    def to_json(self) -> list[Any]:
        return [self.text, round(self.confidence, 1), *self.box, self.line]

    @classmethod
    def from_json(cls, row: list[Any]) -> Word:
        text, confidence, x, y, w, h, line = row
        return cls(str(text), float(confidence), (int(x), int(y), int(w), int(h)), int(line))


@dataclass(frozen=True, slots=True)
class Engine:
    path: str
    version: str  # "tesseract 5.3.0"
    languages: str  # "eng+rus+ukr+ara": those wanted that are installed


def _wanted() -> list[str]:
    value = os.environ.get(ENV_LANGUAGES, DEFAULT_LANGUAGES).strip()
    return [] if value.lower() in OFF else [part for part in value.split("+") if part]


@cache
def _probe(path: str) -> tuple[str, frozenset[str]]:
    run = subprocess.run([path, "--version"], capture_output=True, timeout=30, check=False)
    version = (run.stdout or run.stderr).decode("utf-8", "replace").splitlines()[0].strip()
    listed = subprocess.run([path, "--list-langs"], capture_output=True, timeout=30, check=False)
    names = listed.stdout.decode("utf-8", "replace").splitlines()[1:]
    return version, frozenset(n.strip() for n in names if n.strip())


def engine() -> Engine | None:
    """The Tesseract to read with, or None (`absent_reason` says why)."""
    wanted = _wanted()
    path = shutil.which("tesseract")
    if not wanted or path is None:
        return None
    try:
        version, installed = _probe(path)
    except (OSError, subprocess.SubprocessError, IndexError):
        return None
    languages = [lang for lang in wanted if lang in installed]
    return Engine(path, version, "+".join(languages)) if languages else None


def absent_reason() -> str:
    wanted = _wanted()
    if not wanted:
        return f"text in frames is not read ({ENV_LANGUAGES}=none)"
    if shutil.which("tesseract") is None:
        return (
            "text in frames is not read: Tesseract is not installed (Debian: apt-get install tesseract-ocr)"
        )
    return (
        f"text in frames is not read: none of the languages {'+'.join(wanted)} is installed for Tesseract "
        "(Debian: tesseract-ocr-rus, tesseract-ocr-ara, …)"
    )


class ReadFailure(Exception):
    """Tesseract ran and failed: its reason, one line."""


def read_rgb(rgb: Any, found: Engine) -> list[Word]:
    """The words Tesseract reads in an RGB picture (height x width x 3, uint8), in reading order."""
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="BMP")  # uncompressed: nothing spent packing it
    return read_image(out.getvalue(), found)


def read_image(data: bytes, found: Engine) -> list[Word]:
    """The words Tesseract reads in a picture file's bytes (PNG, BMP, …), in reading order."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    command = [found.path, "stdin", "stdout", "-l", found.languages, "--psm", "4", "tsv"]
    try:
        run = subprocess.run(command, input=data, capture_output=True, timeout=TIMEOUT, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ReadFailure(f"Tesseract took more than {TIMEOUT:g} s") from exc
    except OSError as exc:
        raise ReadFailure(f"Tesseract could not be run: {exc.strerror}") from exc
    if run.returncode != 0:
        said = run.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ReadFailure(f"Tesseract failed: {said[-1] if said else f'exit {run.returncode}'}")
    return parse_tsv(run.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> list[Word]:
    """Tesseract's TSV (level, page, block, paragraph, line, word, left, top, width, height, conf,
    text) to the words worth keeping."""
    words: list[Word] = []
    lines: dict[tuple[str, str, str], int] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        text = cells[11].strip()[:MAX_WORD]
        try:
            confidence = float(cells[10])
            box = (int(cells[6]), int(cells[7]), int(cells[8]), int(cells[9]))
        except ValueError:
            continue
        letters = sum(1 for ch in text if ch.isalnum())
        if confidence < MIN_CONFIDENCE or letters == 0 or (letters == 1 and confidence < SURE):
            continue
        line = lines.setdefault((cells[2], cells[3], cells[4]), len(lines))
        words.append(Word(text, confidence, box, line))
    return words


def text_of(words: list[Word]) -> str:
    """The words as text: a line of words a line, in reading order."""
    by_line: dict[int, list[str]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word.text)
    return "\n".join(" ".join(parts) for _, parts in sorted(by_line.items()))
