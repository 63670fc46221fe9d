"""How the analysis shares the cores: the decoder gets what the hashing loop and the model leave."""

from __future__ import annotations

import pytest

from evidence.media import cores


@pytest.mark.parametrize(("usable", "threads"), [(1, 1), (2, 1), (4, 2), (16, 14)])
def test_the_decoder_takes_the_cores_the_loop_and_the_model_leave(
    monkeypatch: pytest.MonkeyPatch, usable: int, threads: int
) -> None:
    monkeypatch.delenv("EVIDENCE_DECODER_THREADS", raising=False)
    monkeypatch.setattr(cores, "usable_cores", lambda: usable)
    assert cores.decoder_threads() == threads


def test_the_decoder_threads_can_be_set_and_left_to_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cores, "usable_cores", lambda: 2)
    monkeypatch.setenv("EVIDENCE_DECODER_THREADS", "3")
    assert cores.decoder_threads() == 3
    monkeypatch.setenv("EVIDENCE_DECODER_THREADS", "0")  # FFmpeg's own choice
    assert cores.decoder_threads() == 0
    monkeypatch.setenv("EVIDENCE_DECODER_THREADS", "two")  # not a number: the default, no failure
    assert cores.decoder_threads() == 1
