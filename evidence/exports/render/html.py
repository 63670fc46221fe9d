"""The self-contained HTML report: one file, pictures embedded as data: URIs, no scripts, a
Content-Security-Policy that allows nothing else, and every piece of outside text escaped by Jinja2's
autoescaping. Links are made only for http and https URLs; anything else is shown as text."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import BaseLoader, Environment, FileSystemLoader, select_autoescape

from evidence.core.text import printable
from evidence.core.timeutil import as_given

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True, slots=True)
class Picture:
    """A frame to show: its JPEG, the size of the displayed frame it stands for, its time, and the tag
    boxes to draw on it (in displayed-frame pixels)."""

    jpeg: bytes
    width: int
    height: int
    t: float
    label: str
    boxes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def data_uri(self) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(self.jpeg).decode("ascii")


def safe_url(value: object) -> str | None:
    """The URL if it is http or https with a host, else None (never a javascript: or data: link)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if any(ord(ch) < 32 for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def _seconds(value: object) -> str:
    if not isinstance(value, int | float):
        return ""
    minutes, secs = divmod(float(value), 60)
    return f"{int(minutes)}:{secs:06.3f}"


def osm_link(latitude: object, longitude: object) -> str | None:
    """An OpenStreetMap link to a point (numbers only: nothing outside reaches the URL but them)."""
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return None
    lat, lon = float(latitude), float(longitude)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=12/{lat:.6f}/{lon:.6f}"


def first_name(acquisitions: list[dict[str, Any]]) -> str | None:
    """The original name of an item's first acquisition that has one."""
    return next((a["original_name"] for a in acquisitions if a.get("original_name")), None)


def summary(document: dict[str, Any]) -> dict[str, Any]:
    """What the report's first section says: the claims by stance, described things observed or not,
    and the custody events by action."""
    claims = document.get("claims", [])
    described = document.get("described", [])
    actions: dict[str, int] = {}
    for event in document.get("events", []):
        actions[event["action"]] = actions.get(event["action"], 0) + 1
    return {
        "asserting": [c for c in claims if not c.get("counters")],
        "disputing": [c for c in claims if c.get("counters")],
        "observed": [d["term"] for d in described if d.get("observed")],
        "unobserved": [d["term"] for d in described if not d.get("observed")],
        "actions": sorted(actions.items(), key=lambda kv: (-kv[1], kv[0])),
    }


def _pretty(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _environment() -> Environment:
    return environment(FileSystemLoader(Path(__file__).with_name("templates")))


def environment(loader: BaseLoader) -> Environment:
    """A template environment that escapes everything and knows the filters for the catalogue's values
    (the report's and the web application's alike): links only to http(s), times as they were given,
    places as OpenStreetMap links, text without control characters."""
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["seconds"] = _seconds
    env.filters["pretty"] = _pretty
    env.filters["given"] = lambda at, precision: as_given(at, precision) or ""
    env.filters["osm"] = lambda place: (
        osm_link(place.get("latitude"), place.get("longitude")) if place else None
    )
    env.filters["printable"] = lambda v: "" if v is None else printable(str(v))
    return env


def render_report(
    document: dict[str, Any],
    *,
    keyframes: list[Picture],
    tagged: list[Picture],
    timeline: list[dict[str, Any]],
    generated_at: str,
    tool_version: str,
    copies: dict[int, Picture] | None = None,
    cases: list[str] | None = None,
    screenshots: dict[int, Picture] | None = None,
) -> str:
    template = _environment().get_template("report.html.j2")
    name = first_name(document["acquisitions"])
    return template.render(
        doc=document,
        item=document["item"],
        name=printable(name) if name else None,
        cases=cases or [],
        keyframes=keyframes,
        tagged=tagged,
        copies=copies or {},
        screenshots=screenshots or {},
        summary=summary(document),
        timeline=timeline,
        generated_at=generated_at,
        tool_version=tool_version,
        csp=CSP,
    )


def render_case_report(
    document: dict[str, Any], *, pictures: dict[int, Picture], generated_at: str, tool_version: str
) -> str:
    """The report of a whole case (`exports.case_report.case_document`)."""
    template = _environment().get_template("case_report.html.j2")
    return template.render(
        doc=document,
        pictures=pictures,
        summary=summary(document),
        generated_at=generated_at,
        tool_version=tool_version,
        csp=CSP,
    )
