"""`evidence verify --deep`: the derived data is re-derived from the preserved originals.

Plain `verify` proves the frames, fingerprints, probe and summary are what the analysis events recorded.
A forger who holds the database can change a fingerprint and also rewrite the analysis event (its
digest and every later hash), which plain `verify` cannot tell from the truth; `--deep` analyses the
original again and can. The similarity index (`hash_band`) is re-derived from the fingerprints and
compared too.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Catalogue
from mediagen import make_image, make_video
from tampering import chain, rewrite, tamper

from evidence.catalogue import record_state
from evidence.catalogue.engine import Database


@pytest.fixture
def analysed(catalogue: Catalogue) -> dict[str, Any]:
    """A clip with three scenes, a photo and a clip added with --quick."""
    clip = make_video(catalogue.home / "clip.mp4", seconds=3.0, scenes=3, seed=4)
    photo = make_image(catalogue.home / "photo.jpg", seed=2)
    quick = make_video(catalogue.home / "quick.mp4", seconds=2.0, scenes=2, seed=9)
    full = catalogue.json("add", clip, photo)["results"]
    fast = catalogue.json("add", "--quick", quick)["results"]
    return {"shas": [r["sha256"] for r in [*full, *fast]]}


def _analyse_seq(cat: Catalogue, sha: str) -> int:
    return max(r.seq for r in chain(cat) if r.action == "analyse" and r.subject == f"item:{sha}")


def _derived_now(cat: Catalogue, item_id: int) -> str:
    db = Database(cat.url)
    try:
        with db.read() as session:
            return record_state.derived_of(session, [item_id])[item_id]
    finally:
        db.dispose()


def test_a_fresh_catalogue_re_derives_to_the_same_frames(
    catalogue: Catalogue, analysed: dict[str, Any]
) -> None:
    report = catalogue.json("verify", "--deep")
    assert report["ok"] is True, report["problems"]
    assert report["rederived"] == 3 and report["problems"] == []
    plain = catalogue.json("verify")
    assert plain["rederived"] is None
    text = catalogue.ok("verify", "--deep").stdout
    assert "3 items re-derived" in text
    deep_events = [r for r in chain(catalogue) if r.action == "verify" and "rederived" in r.details]
    assert [e.details["rederived"] for e in deep_events] == [3, 3]


def test_a_forged_fingerprint_with_a_forged_event_passes_plain_verify_but_not_deep(
    catalogue: Catalogue, analysed: dict[str, Any]
) -> None:
    sha = analysed["shas"][0]
    forged = "f" * 64
    tamper(
        catalogue,
        [
            (
                "UPDATE fingerprint SET value = :v WHERE id = "
                "(SELECT MIN(id) FROM fingerprint WHERE item_id = 1 AND variant = 'canonical')",
                {"v": forged},
            )
        ],
    )
    assert catalogue.json("verify", code=5)["problems"][0]["kind"] == "derived-edited"
    digest = _derived_now(catalogue, 1)
    rewrite(catalogue, _analyse_seq(catalogue, sha), lambda r: {**r.details, "derived": {"item:1": digest}})
    assert catalogue.json("verify")["ok"] is True  # the forgery walks cleanly on its own
    deep = catalogue.json("verify", "--deep", code=5)
    kinds = {(p["kind"], p["subject"]) for p in deep["problems"]}
    assert ("rederived-differs", f"item:{sha}") in kinds
    message = next(p["message"] for p in deep["problems"] if p["kind"] == "rederived-differs")
    assert "frames or fingerprints" in message
    # the index still holds the true value's bands, which no fingerprint calls for now
    assert any(p["kind"] == "index-differs" for p in deep["problems"])


def test_a_forged_probe_and_summary_with_a_forged_event_fail_deep(
    catalogue: Catalogue, analysed: dict[str, Any]
) -> None:
    sha = analysed["shas"][1]  # the photo
    tamper(
        catalogue,
        [("UPDATE item SET probe = :p, summary = :s WHERE id = 2", {"p": '{"width": 9}', "s": "{}"})],
    )
    db = Database(catalogue.url)
    try:
        with db.read() as session:
            digests = record_state.digests_of(session, [("item", 2)])
    finally:
        db.dispose()
    rewrite(catalogue, _analyse_seq(catalogue, sha), lambda r: {**r.details, "records": digests})
    assert catalogue.json("verify")["ok"] is True
    deep = catalogue.json("verify", "--deep", code=5)
    message = next(p["message"] for p in deep["problems"] if p["subject"] == f"item:{sha}")
    assert "probe" in message and "summary" in message


def test_a_thinned_similarity_index_fails_deep_only(catalogue: Catalogue, analysed: dict[str, Any]) -> None:
    # without these rows a re-upload of item 1 would no longer be found
    tamper(
        catalogue,
        [
            (
                "DELETE FROM hash_band WHERE fingerprint_id IN "
                "(SELECT id FROM fingerprint WHERE item_id = 1)",
                {},
            )
        ],
    )
    assert catalogue.json("verify")["ok"] is True
    deep = catalogue.json("verify", "--deep", code=5)
    assert [p["kind"] for p in deep["problems"]] == ["index-differs"]
    assert "band rows missing" in deep["problems"][0]["message"]
    catalogue.ok("db", "reindex")
    assert catalogue.json("verify", "--deep")["ok"] is True


OLDER_DECODERS = {
    "evidence": "0.0.1",
    "av": "1.0",
    "opencv-python-headless": "1.0",
    "numpy": "1.0",
    "pillow": "1.0",
}


@pytest.mark.parametrize(
    ("older", "named"),
    [
        pytest.param(OLDER_DECODERS, "av, ", id="decoders"),
        pytest.param({"analysis": "an-older-way"}, "analysis changed", id="way-of-analysing"),
    ],
)
def test_a_change_of_decoders_or_of_the_way_of_analysing_is_named_but_still_fails(
    catalogue: Catalogue, analysed: dict[str, Any], older: dict[str, str], named: str
) -> None:
    """A difference after the decoders, or the way this code analyses (other frames decoded, hashed
    or described), changed may be honest, but a forger could write other versions into the event too:
    it stays a problem, the message says what changed and what to run, and `analyze` mends it."""
    from evidence.analysis.pipeline import analyser_versions

    sha = analysed["shas"][0]
    tamper(catalogue, [("UPDATE frame SET cut_score = 0.5 WHERE item_id = 1 AND idx = 0", {})])
    digest = _derived_now(catalogue, 1)
    recorded = {**analyser_versions(), **older}
    seq = _analyse_seq(catalogue, sha)
    rewrite(catalogue, seq, lambda r: {**r.details, "derived": {"item:1": digest}, "analyser": recorded})
    deep = catalogue.json("verify", "--deep", code=5)
    message = next(p["message"] for p in deep["problems"] if p["subject"] == f"item:{sha}")
    assert named in message and "changed since it was analysed" in message and "evidence analyze 1" in message
    catalogue.ok("analyze", "1")
    assert catalogue.json("verify", "--deep")["ok"] is True
