"""BagIt 1.0 (RFC 8493) pieces, pure: payload paths with safe file names, manifests, bag-info.

Layout of an evidence bag:
  bagit.txt                 BagIt-Version 1.0, UTF-8 tag files
  bag-info.txt              Bagging-Date, Payload-Oxum, Bag-Software-Agent, External-Description,
                            Evidence-Chain-Head (and Source-Organization when given)
  manifest-sha256.txt       one line per payload file
  tagmanifest-sha256.txt    bagit.txt, bag-info.txt, manifest-sha256.txt and the evidence/ tag files
  data/<id>-<sha256 first 12>/<original name, made safe>   each item's original bytes
  evidence/records.json     the catalogue records (the `evidence export --format json` document)
  evidence/custody.jsonl    the custody events, one JSON object per line
  evidence/README.txt       this layout, for the recipient
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evidence.catalogue.timestamps import StoredStamp, stamped_bytes

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MAX_NAME = 120  # characters of a payload file name, extension included
MAX_EXT = 16
# what may stay in a file name besides letters and digits (of any script): nothing a shell, a URL,
# Windows or a manifest treats specially (no separators, wildcards, quotes, %, <, >, |, :)
_KEEP = frozenset(" ._-()[]+,=@~#&!")
_RUNS = re.compile(r"_{2,}")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_EXT = re.compile(r"^[a-z0-9]{1,16}$")


@dataclass(frozen=True, slots=True)
class PayloadEntry:
    path: str  # relative to the bag, "data/..."
    sha256: str
    size: int


def safe_name(name: str, *, fallback: str) -> str:
    """A file name that is safe on every common filesystem and in a manifest: the last component of
    `name` (either separator), NFC, each character that is not a letter, a digit or harmless
    punctuation replaced by "_", no leading or trailing dots or spaces, not a Windows device name, at
    most MAX_NAME characters with the extension kept. `fallback` when nothing meaningful is left."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    kept = "".join(ch if (ch.isalnum() and ch.isprintable()) or ch in _KEEP else "_" for ch in base)
    kept = _RUNS.sub("_", kept).strip(" .")
    if not any(ch.isalnum() for ch in kept):
        return fallback
    if _WINDOWS_RESERVED.match(kept):
        kept = "_" + kept
    if len(kept) > MAX_NAME:
        stem, dot, ext = kept.rpartition(".")
        if dot and stem and len(ext) <= MAX_EXT:
            kept = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            kept = kept[:MAX_NAME].rstrip(" .")
    return kept


def payload_path(item_id: int, sha256: str, original_name: str | None, declared_ext: str) -> str:
    """`data/<id>-<sha256 first 12>/<safe name>`; the fallback name is `original.<ext>` (`original`
    when the declared extension is unusual or missing)."""
    ext = declared_ext.lower().lstrip(".")
    fallback = f"original.{ext}" if _EXT.match(ext) else "original"
    return f"data/{item_id}-{sha256[:12]}/{safe_name(original_name or '', fallback=fallback)}"


def encode_path(path: str) -> str:
    """A path as RFC 8493 writes it in a manifest: %, CR and LF percent-encoded (only those)."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def manifest(entries: Iterable[tuple[str, str]]) -> str:
    """Manifest lines `<hex>  <path>` for (sha256, path) pairs, sorted by path."""
    return "".join(f"{digest}  {encode_path(path)}\n" for digest, path in sorted(entries, key=lambda e: e[1]))


def payload_oxum(entries: Iterable[PayloadEntry]) -> str:
    listed = list(entries)
    return f"{sum(e.size for e in listed)}.{len(listed)}"


def _value(text: str) -> str:
    """A tag value on one line (RFC 8493 tag files are `Label: value` lines)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def bag_info(fields: Iterable[tuple[str, str]]) -> str:
    return "".join(f"{label}: {_value(value)}\n" for label, value in fields)


def timestamp_files(stamps: Sequence[StoredStamp]) -> dict[str, bytes]:
    """The trusted timestamps the catalogue keeps, as files `openssl ts -verify` reads: for each
    stamped anchor its line (`anchor-<event>.txt`, the stamped bytes) and each authority's reply
    (`anchor-<event>-<n>.tsr`, DER)."""
    files: dict[str, bytes] = {}
    count: dict[int, int] = {}
    for stamp in stamps:
        if stamp.reply is None:
            continue
        count[stamp.event_seq] = n = count.get(stamp.event_seq, 0) + 1
        stem = f"evidence/timestamps/anchor-{stamp.anchor_seq}"
        files[f"{stem}.txt"] = stamped_bytes(stamp.anchor_line)
        files[f"{stem}-{stamp.event_seq}-{n}.tsr"] = stamp.reply
    return files


def readme(*, chain_head: str | None, partial: bool, timestamps: bool = False) -> str:
    scope = (
        "the items named when the bag was made, and the custody events about them (an excerpt of the "
        "log: each event's hash can be re-computed, but the links between them skip the events left out)"
        if partial
        else "every item of the catalogue and the whole custody log"
    )
    return (
        "Evidence bag (BagIt 1.0, RFC 8493) made by the `evidence` catalogue.\n\n"
        "data/<id>-<sha256 first 12>/<name>  the original bytes of each item, named after the file it was\n"
        "    first received as (made safe; `original.<ext>` when that name was unusable)\n"
        "evidence/records.json  the catalogue records: items, acquisitions, frames, tags, claims,\n"
        "    descriptions, relations, terms, custody events (format evidence-export, version 1)\n"
        "evidence/custody.jsonl  the custody events, one per line\n"
        + (
            "evidence/timestamps/anchor-<N>.txt  an anchor line naming custody event N (as `evidence\n"
            "    anchor` printed it), and anchor-<N>-<E>-<k>.tsr the RFC 3161 replies of the time-stamping\n"
            "    authorities asked in `anchor` event E; check one with\n"
            "    openssl ts -verify -data anchor-<N>.txt -in anchor-<N>-<E>-<k>.tsr -CAfile <its CA>\n"
            if timestamps
            else ""
        )
        + "\n"
        f"This bag holds {scope}.\n"
        f"The custody log ended at {chain_head or '(no events)'} when the bag was made\n"
        "(Evidence-Chain-Head in bag-info.txt).\n"
        "The `export` event that records this bag is appended after the bag is complete, so it is not\n"
        "in the bag; it names the sha256 of manifest-sha256.txt.\n\n"
        "Each event's hash is the SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of\n"
        '{"seq", "at", "actor", "action", "subject", "details", "prev"} where "prev" is the previous\n'
        'event\'s hash (64 zeros for the first) and `at` is exactly as written here, plus "host" (the\n'
        "machine the event was made on) when it is not null: events made before hosts were recorded\n"
        "have none.\n"
    )
