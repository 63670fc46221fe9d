"""A WARC packed as WACZ (`wacz`): what ReplayWeb.page opens, with the captured page as its page."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path


class PackFailed(Exception):
    pass


def pack(warc: Path, out: Path, *, url: str, title: str | None = None) -> None:
    """Write `out` (a WACZ holding `warc`, its index and `url` as its page)."""
    from wacz.main import main as wacz_main

    args = ["create", "-o", str(out), str(warc), "--url", url]
    if title:
        args += ["--title", title]
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            code = wacz_main(args)
    except (ValueError, OSError) as exc:  # the page is not in the WARC, or a file could not be written
        raise PackFailed(f"packing the WACZ failed: {exc}") from exc
    if code not in (0, None) or not out.is_file():
        raise PackFailed("packing the WACZ failed: " + " ".join(said.getvalue().split())[-200:])


def validate(path: Path) -> bool:
    """What `wacz validate` says of `path`."""
    from wacz.main import main as wacz_main

    said = io.StringIO()
    with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
        code = wacz_main(["validate", "-f", str(path)])
    return code in (0, None) and "Validation succeeded" in said.getvalue()
