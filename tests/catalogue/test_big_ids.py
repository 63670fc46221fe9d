"""A team archive passes 2**31 frames and fingerprints (about fifty frames and a hundred fingerprints a
clip, new ones each time a clip is analysed again): on PostgreSQL their ids, the columns naming them
and their sequences are bigint (revision 0014), and every path that reads them (the frame index, the
descriptor search, id lists sent as arrays, tags on a frame) works past that bound."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import Catalogue, pg_url, reset_postgres
from mediagen import make_video
from pgrole import pg_catalogue as pg_catalogue

from evidence.catalogue import schema
from evidence.catalogue.among import among
from evidence.catalogue.engine import Database
from evidence.catalogue.models import Frame

pytestmark = pytest.mark.skipif(
    pg_url() is None, reason="no PostgreSQL server configured (set EVIDENCE_TEST_DATABASE_URL)"
)

PAST = 2**31 + 1_000  # beyond PostgreSQL's integer
GROWING = ("frame", "fingerprint", "frame_descriptor")
NAMING = (
    ("frame", "id"),
    ("fingerprint", "id"),
    ("fingerprint", "frame_id"),
    ("frame_descriptor", "id"),
    ("frame_descriptor", "frame_id"),
    ("annotation", "frame_id"),
    ("hash_band", "fingerprint_id"),
)


def test_the_ids_that_grow_with_the_footage_are_bigint(pg_catalogue: Catalogue) -> None:
    engine = sa.create_engine(pg_catalogue.url)
    with engine.connect() as conn:
        for table, column in NAMING:
            kind = conn.execute(
                sa.text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = :t AND column_name = :c"
                ),
                {"t": table, "c": column},
            ).scalar()
            assert kind == "bigint", (table, column, kind)
        for table in GROWING:
            kind = conn.execute(
                sa.text(
                    "SELECT data_type FROM pg_sequences WHERE schemaname || '.' || sequencename = "
                    "pg_get_serial_sequence(:t, 'id')"
                ),
                {"t": table},
            ).scalar()
            assert kind == "bigint", (table, kind)
    engine.dispose()


def test_a_catalogue_past_two_to_the_31_frames_analyses_matches_tags_and_verifies(
    pg_catalogue: Catalogue, tmp_path: Path
) -> None:
    cat = pg_catalogue
    engine = sa.create_engine(cat.url)
    with engine.begin() as conn:
        for table in GROWING:
            sequence = conn.execute(sa.text(f"SELECT pg_get_serial_sequence('{table}', 'id')")).scalar()
            conn.execute(sa.text(f"ALTER SEQUENCE {sequence} RESTART WITH {PAST}"))
    source = make_video(tmp_path / "statement.mp4", seconds=6, fps=30, scenes=3, seed=3)
    copy = make_video(tmp_path / "repost.mp4", seconds=6, fps=30, scenes=3, seed=3, size=(256, 192))
    first = cat.json("add", source)["results"][0]
    later = cat.json("add", copy)["results"][0]
    assert first["analysis"] == later["analysis"] == "ok"

    (cluster,) = cat.json("dupes")["clusters"]  # found through the frame index past the bound
    assert [m["id"] for m in cluster] == [first["id"], later["id"]]
    assert first["id"] in {m["id"] for m in cat.json("match", copy)["matches"]}

    tag = cat.json("tag", str(first["id"]), "helmet", "--frame", "0")  # a frame found by its index
    with engine.connect() as conn:
        low = {t: conn.execute(sa.text(f"SELECT min(id) FROM {t}")).scalar() for t in GROWING}
        banded = conn.execute(sa.text("SELECT min(fingerprint_id) FROM hash_band")).scalar()
    engine.dispose()
    assert all(v is not None and v >= PAST for v in low.values()), low
    assert banded is not None and banded >= PAST
    db = Database(cat.url)
    with db.read() as session:  # an id list goes to PostgreSQL as one array of bigint
        found = session.scalars(sa.select(Frame.id).where(among(Frame.id, [low["frame"], 1])))
        assert list(found) == [low["frame"]]
    db.dispose()
    assert [t["id"] for t in cat.json("tags", str(first["id"]))["tags"]] == [tag["id"]]
    assert cat.json("verify")["ok"] is True


def test_the_upgrade_keeps_the_frame_index_rows_and_its_statistics(tmp_path: Path) -> None:
    """Retyping a column drops its statistics, and without them PostgreSQL planned the frame query
    15 times slower on the full-size bench catalogue: 0014 gathers them again."""
    url = pg_url()
    assert url is not None
    reset_postgres(url)
    schema.upgrade(url, "0013")
    rows = [{"band": n % 16, "value": n * 7 % 65536, "fingerprint_id": n} for n in range(1, 2001)]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO hash_band VALUES (:band, :value, :fingerprint_id)"), rows)
        conn.execute(sa.text("ANALYZE hash_band"))
    assert schema.upgrade(url) == ("0013", schema.SCHEMA_HEAD)
    with engine.connect() as conn:
        kept = conn.execute(
            sa.text("SELECT band, value, fingerprint_id FROM hash_band ORDER BY fingerprint_id")
        )
        assert [dict(r._mapping) for r in kept] == rows
        counted = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stats WHERE tablename = 'hash_band' AND attname = 'fingerprint_id'"
            )
        ).scalar()
    engine.dispose()
    assert counted == 1
