"""`evidence acquisition correct`: a wrong source URL, posted-at or claimed-by is corrected by a new
acquisition; the old one is withdrawn and kept (shown in `show` and exports, logged with what changed),
and only the correction counts for the earliest copy, search and listings."""

from __future__ import annotations

from pathlib import Path

from annotating import events
from conftest import Catalogue
from mediagen import make_image


def _count_events(cat: Catalogue) -> int:
    return int(cat.json("verify")["events_checked"])


def test_a_corrected_acquisition_is_kept_and_only_the_correction_counts(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = catalogue
    picture = make_image(tmp_path / "post.png", size=(160, 120), seed=11)
    added = cat.json(
        "add", picture, "--posted-at", "2016-03-25", "--source-url", "https://social.example/p/1",
        "--claimed-by", "Agency",
    )["results"][0]  # fmt: skip
    ref = str(added["id"])
    (old,) = cat.json("show", ref)["acquisitions"]

    def found(*args: str) -> set[int]:
        return {hit["id"] for hit in cat.json("search", *args)["results"]}

    assert found("--since", "2016-03-25", "--until", "2016-03-25") == {added["id"]}
    fixed = cat.run(
        "acquisition", "correct", str(old["id"]), "--posted-at", "2016-03-22", "--claimed-by", "",
        "--reason", "the post is older: the platform shows the first upload", "--by", "ana",
    )  # fmt: skip
    assert fixed.exit_code == 0, fixed.output
    assert f"acquisition {old['id']} of #{ref}" in fixed.stdout
    assert "posted at: 2016-03-25T00:00:00Z → 2016-03-22T00:00:00Z" in fixed.stdout
    assert "claimed by: Agency → (none)" in fixed.stdout

    shown = cat.json("show", ref)
    (new,) = shown["acquisitions"]
    assert new["id"] != old["id"] and new["posted_at"] == "2016-03-22T00:00:00Z" and new["claimed_by"] is None
    assert (new["original_name"], new["captured_at"], new["source_url"]) == (
        old["original_name"],
        old["captured_at"],
        old["source_url"],
    )
    (kept,) = shown["corrected_acquisitions"]
    assert kept["posted_at"] == "2016-03-25T00:00:00Z" and kept["claimed_by"] == "Agency"
    assert kept["withdrawn_by"] == "ana" and "the platform shows the first upload" in kept["withdrawn_note"]
    human = cat.ok("show", ref).stdout
    (was,) = [line.strip() for line in human.splitlines() if "was posted at" in line]
    assert was == "was posted at: 2016-03-25"  # a date given as a date shows as a date
    (posted,) = [line.split() for line in human.splitlines() if line.strip().startswith("posted at ")]
    assert posted == ["posted", "at", "2016-03-22"]
    assert "posted 2016-03-22  captured" in cat.ok("provenance", ref).stdout
    table = cat.ok("search", "--since", "2016-03-22", "--until", "2016-03-22").stdout
    assert "2016-03-22 " in table and "2016-03-22 00:00" not in table
    assert cat.json("provenance", ref)["earliest"]["at"] == "2016-03-22T00:00:00Z"
    assert found("--since", "2016-03-25", "--until", "2016-03-25") == set()
    assert found("--since", "2016-03-22", "--until", "2016-03-22") == {added["id"]}
    assert found("--claimed-by", "agency") == set()
    (logged,) = events(cat, "acquisition-correct")
    assert logged["acquisition"] == old["id"] and logged["corrected_as"] == new["id"]
    assert logged["changed"] == {
        "posted_at": ["2016-03-25T00:00:00Z", "2016-03-22T00:00:00Z"],
        "claimed_by": ["Agency", None],
    }
    table = cat.ok("export", "--format", "csv", "--table", "acquisitions").stdout.splitlines()
    header = table[0].split(",")
    withdrawn = {
        r.split(",")[0]: dict(zip(header, r.split(","), strict=False))["withdrawn"] for r in table[1:]
    }
    assert withdrawn == {str(old["id"]): "true", str(new["id"]): "false"}
    page = tmp_path / "report.html"
    cat.ok("report", ref, "-o", page)
    text = page.read_text(encoding="utf-8")
    assert "<td>2016-03-22</td>" in text and "2016-03-22T00:00:00Z" not in text  # a date shows as a date
    assert cat.json("verify")["ok"] is True

    before = _count_events(cat)
    for args, says in [
        ([str(old["id"]), "--note", "x"], "was withdrawn"),
        ([str(new["id"])], "say what to correct"),
        ([str(new["id"]), "--posted-at", "2016-03-22"], "already says that"),
        ([str(new["id"]), "--posted-at", "2016-03-21", "--no-posted-at"], "not both"),
        ([str(new["id"]), "--posted-at", "yesterday"], "--posted-at"),
        (["999", "--note", "x"], "no acquisition with id 999"),
    ]:
        refused = cat.run("acquisition", "correct", *args, "--reason", "r")
        assert refused.exit_code == 2 and says in refused.stderr, (args, refused.output)
        assert len(refused.stderr.strip().splitlines()) == 1
    assert cat.run("acquisition", "correct", str(new["id"]), "--note", "x", "--reason", " ").exit_code == 2
    assert _count_events(cat) == before + 1  # the refusals wrote nothing (the +1 is verify's own event)
