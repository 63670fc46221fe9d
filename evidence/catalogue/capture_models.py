"""Captures of links: the page as served and what was taken from it. Append-only like the analysts'
records (a capture is never changed: capturing the link again makes a new one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evidence.catalogue.base import Base, JSONText, UTCDateTime


class Capture(Base):
    """One capture of a link: the URL given, where it led, what the server said, and the items that
    hold the page (WACZ), its screenshot and its metadata (a JSON file)."""

    __tablename__ = "capture"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))  # core.names.CaptureOutcome
    problem: Mapped[str | None] = mapped_column(Text)  # one line: what was not taken, and why
    platform: Mapped[str | None] = mapped_column(Text)  # yt-dlp's extractor, when a platform's
    headers: Mapped[list[Any] | None] = mapped_column(JSONText)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    collected_by: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    tool_version: Mapped[str] = mapped_column(String(64))
    page_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    screenshot_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"))
    metadata_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"))


class CaptureMedia(Base):
    """A media file taken from a capture, as the acquisition that preserved it."""

    __tablename__ = "capture_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    capture_id: Mapped[int] = mapped_column(ForeignKey("capture.id", ondelete="RESTRICT"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    acquisition_id: Mapped[int] = mapped_column(ForeignKey("acquisition.id", ondelete="RESTRICT"))
    media_url: Mapped[str | None] = mapped_column(Text)


class HashList(Base):
    """A partner's hash list loaded as known content (`evidence hashes import`): its name here, the item
    that preserves the list file as received, the list's format and how many hashes it holds. The
    hashes are read from that preserved file (`matching/known.py`), so what is matched against is
    exactly what was received, and `verify` re-hashes it like any original."""

    __tablename__ = "hash_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    format: Mapped[str] = mapped_column(String(16))  # core.hashlists.FORMATS
    entries: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(Text)  # a vPDQ file's video, as the importer named it
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(Text)


class FrameText(Base):
    """The text Tesseract read in one picture of an item (a video's frame at `t`, or an image): its
    words with their boxes and confidences (`media.ocr.Word.to_json` rows, in the upright picture's
    pixels) and the same words as lines of text, which `search --text` looks in. Append-only: reading
    a frame again adds a reading."""

    __tablename__ = "frame_text"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="RESTRICT"), index=True)
    t: Mapped[float | None] = mapped_column(Float)  # seconds; None for an image
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[list[Any]] = mapped_column(JSONText)
    engine: Mapped[str] = mapped_column(String(64))  # "tesseract 5.3.0"
    languages: Mapped[str] = mapped_column(String(64))  # "eng+rus+ukr+ara"
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_by: Mapped[str] = mapped_column(Text)
