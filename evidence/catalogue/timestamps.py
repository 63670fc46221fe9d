"""The trusted timestamps kept in the catalogue: each `anchor` custody event taken with `--tsa` holds the
anchor line it names and, for every time-stamping authority asked, that authority's RFC 3161 reply
(DER, base64 in the event's details). Kept in the custody log itself, so the log's hash chain covers
them and every copy of the catalogue (a backup, a BagIt export) carries them. Read here as plain values;
checked by `integrity/timestamps.py`."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evidence.catalogue.models import Event
from evidence.core.custody import CustodyAction


@dataclass(frozen=True, slots=True)
class StoredStamp:
    """One authority's reply over one anchor, as the `anchor` event `event_seq` keeps it."""

    event_seq: int
    anchor_line: str  # the exact text whose SHA-256 was stamped
    anchor_seq: int  # the custody event the anchor names
    anchor_hash: str
    tsa: str  # the URL that was asked
    reply: bytes | None  # the RFC 3161 TimeStampResp, DER; None when the stored text is not base64
    gen_time: str  # the time the authority put in its token, as read when it answered
    tsa_name: str | None  # who signed it (the signing certificate's subject), as read when it answered


def stamped_bytes(line: str) -> bytes:
    """What an authority stamps the SHA-256 of: the anchor line and its line end, UTF-8, the very bytes
    `evidence anchor -o FILE` writes (so `openssl ts -verify -data FILE` checks a token as it is)."""
    return (line + "\n").encode("utf-8")


def stamp_details(tsa: str, reply: bytes, gen_time: str, tsa_name: str | None, serial: int) -> dict[str, Any]:
    """How one reply is kept in an `anchor` event's details."""
    return {
        "tsa": tsa,
        "tsa_name": tsa_name,
        "gen_time": gen_time,
        "serial": str(serial),
        "reply": base64.b64encode(reply).decode("ascii"),
    }


def stored_stamps(session: Session) -> list[StoredStamp]:
    """Every timestamp the custody log keeps, oldest anchor first."""
    query = select(Event.seq, Event.details).where(Event.action == CustodyAction.ANCHOR).order_by(Event.seq)
    out = []
    for seq, details in session.execute(query):
        stamps = details.get("timestamps") if isinstance(details, dict) else None
        if not isinstance(stamps, list):
            continue
        for stamp in stamps:
            if not isinstance(stamp, dict):
                continue
            out.append(
                StoredStamp(
                    event_seq=seq,
                    anchor_line=str(details.get("anchor", "")),
                    anchor_seq=int(details.get("seq", 0)),
                    anchor_hash=str(details.get("hash", "")),
                    tsa=str(stamp.get("tsa", "")),
                    reply=_decoded(stamp.get("reply")),
                    gen_time=str(stamp.get("gen_time", "")),
                    tsa_name=None if stamp.get("tsa_name") is None else str(stamp["tsa_name"]),
                )
            )
    return out


def _decoded(text: object) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
