"""Tesseract for the tests that read text in frames."""

from __future__ import annotations

import os

import pytest

LANGUAGES = "eng+rus+ukr+ara"


def need_tesseract(monkeypatch: pytest.MonkeyPatch, languages: str = LANGUAGES) -> None:
    """Turn reading on with these languages (the suite runs with it off: conftest.py): the test skips
    where Tesseract or one of them is missing, or fails where `EVIDENCE_TEST_TESSERACT=required` (set
    by .ci/run, which installs them)."""
    from evidence.media import ocr

    monkeypatch.setenv(ocr.ENV_LANGUAGES, languages)
    found = ocr.engine()
    if found is None or found.languages != languages:
        reason = f"Tesseract with {languages} is not installed here (apt-get install tesseract-ocr-rus …)"
        if os.environ.get("EVIDENCE_TEST_TESSERACT") == "required":
            pytest.fail(f"{reason}, and EVIDENCE_TEST_TESSERACT=required")
        pytest.skip(reason)


def tesseract_reads(languages: str) -> bool:
    """Whether Tesseract with all these languages is installed (without turning reading on)."""
    from evidence.media import ocr

    previous = os.environ.get(ocr.ENV_LANGUAGES)
    os.environ[ocr.ENV_LANGUAGES] = languages
    try:
        found = ocr.engine()
    finally:
        if previous is None:
            del os.environ[ocr.ENV_LANGUAGES]
        else:
            os.environ[ocr.ENV_LANGUAGES] = previous
    return found is not None and found.languages == languages
