"""The HTML report's defences that do not need a catalogue: links only for http(s), escaping of every
outside string, nothing that loads or runs."""

from __future__ import annotations

import pytest

from evidence.exports.render.html import CSP, safe_url


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/post/1",
        "http://example.org/a?b=1&c=<2>",
        "HTTPS://EXAMPLE.ORG/",
    ],
)
def test_http_links_are_kept(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/x",
        "/relative/path",
        "https:///no-host",
        "",
        None,
        42,
    ],
)
def test_other_links_are_refused(url: object) -> None:
    assert safe_url(url) is None


def test_policy_loads_nothing_but_embedded_pictures() -> None:
    assert "default-src 'none'" in CSP
    assert "img-src data:" in CSP
    assert "script-src" not in CSP  # falls back to default-src 'none': no scripts at all
