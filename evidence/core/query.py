"""The dense query of one media file (what it is looked up with), stored compactly.

A 2-hour video is looked up with about 108,000 query frames (15 a second) and 400,000 hashes. As
`QueryRecord` objects (a float, a tuple of tuples, a bytes object per hash) they took about 1 KB a
frame; `QueryTable` keeps the same records column by column in flat arrays, 9 bytes a frame and 33 a
hash, and gives them back as `QueryRecord`s one at a time, or as numpy arrays to the matcher.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from evidence.core.frames import QueryRecord
from evidence.core.hamming import HASH_BYTES

MAX_VARIANTS = 256  # variant names are coded in one byte


class QueryTable(Sequence[QueryRecord]):
    """A sequence of `QueryRecord`s (in order, each with its hashes in order) held in flat arrays.

    Built by `append` (or from records), grown by `extend` with another table (a part sent by the
    analysis worker); it pickles as a handful of byte strings."""

    def __init__(self, records: Iterable[QueryRecord] = ()) -> None:
        self._t = array("d")
        self._informative = array("B")
        self._ends = array("q")  # each frame's hashes end at this row
        self._codes = array("B")  # each row's variant, an index into _names
        self._hashes = bytearray()  # HASH_BYTES a row
        self._names: list[str] = []
        self._index: dict[str, int] = {}
        for record in records:
            self.append(record.t, record.informative, record.hashes)

    @classmethod
    def of(cls, query: Sequence[QueryRecord]) -> QueryTable:
        """The query itself when it is a table, else a table of its records."""
        return query if isinstance(query, QueryTable) else cls(query)

    def append(self, t: float, informative: bool, hashes: Iterable[tuple[str, bytes]]) -> None:
        pairs = list(hashes)
        for variant, value in pairs:
            if not isinstance(value, bytes) or len(value) != HASH_BYTES:
                raise ValueError(f"a query hash is {HASH_BYTES} bytes, not {value!r} ({variant})")
        for variant, value in pairs:
            self._codes.append(self._code(variant))
            self._hashes += value
        self._t.append(float(t))
        self._informative.append(bool(informative))
        self._ends.append(len(self._codes))

    def extend(self, other: QueryTable) -> None:
        """Append every record of `other`."""
        remap = [self._code(name) for name in other._names]
        base = len(self._codes)
        self._t.extend(other._t)
        self._informative.extend(other._informative)
        self._ends.extend(end + base for end in other._ends)
        if remap == list(range(len(remap))):
            self._codes.extend(other._codes)
        else:
            table = bytes(remap + [0] * (256 - len(remap)))
            self._codes.frombytes(other._codes.tobytes().translate(table))
        self._hashes += other._hashes

    def _code(self, variant: str) -> int:
        code = self._index.get(variant)
        if code is None:
            if len(self._names) >= MAX_VARIANTS:
                raise ValueError(f"more than {MAX_VARIANTS} hash variants in one query")
            code = self._index[variant] = len(self._names)
            self._names.append(variant)
        return code

    # --- the records -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._t)

    @overload
    def __getitem__(self, index: int) -> QueryRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[QueryRecord]: ...

    def __getitem__(self, index: int | slice) -> QueryRecord | list[QueryRecord]:
        if isinstance(index, slice):
            return [self._record(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("query frame index out of range")
        return self._record(index)

    def __iter__(self) -> Iterator[QueryRecord]:
        return (self._record(i) for i in range(len(self)))

    def _record(self, i: int) -> QueryRecord:
        start, end = self._ends[i - 1] if i else 0, self._ends[i]
        hashes = tuple(
            (self._names[self._codes[row]], bytes(self._hashes[row * HASH_BYTES : (row + 1) * HASH_BYTES]))
            for row in range(start, end)
        )
        return QueryRecord(self._t[i], bool(self._informative[i]), hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"<QueryTable: {len(self)} frames, {len(self._codes)} hashes>"

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_index"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._index = {name: code for code, name in enumerate(self._names)}

    # --- as arrays ---------------------------------------------------------------------------------

    @property
    def variants(self) -> tuple[str, ...]:
        """The variant names that `hash_rows` codes refer to."""
        return tuple(self._names)

    def times(self) -> npt.NDArray[np.float64]:
        return np.array(self._t, dtype=np.float64)

    def informative(self) -> npt.NDArray[np.bool_]:
        return np.array(self._informative, dtype=np.uint8).astype(bool)

    def hash_counts(self) -> npt.NDArray[np.int64]:
        """How many hashes each frame has."""
        ends = np.array(self._ends, dtype=np.int64)
        counts = ends.copy()
        counts[1:] -= ends[:-1]
        return counts

    def hash_rows(
        self, *, informative_only: bool = False
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
        """Every hash in record order (of the informative frames only, if asked): its frame's index,
        its variant's code (see `variants`), and the hashes as an (n, 32) uint8 matrix."""
        frame = np.repeat(np.arange(len(self), dtype=np.int64), self.hash_counts())
        codes = np.array(self._codes, dtype=np.uint8)
        matrix = np.frombuffer(bytes(self._hashes), dtype=np.uint8).reshape(len(codes), HASH_BYTES)
        if informative_only:
            keep = self.informative()[frame]
            if not keep.all():
                return frame[keep], codes[keep], matrix[keep]
        return frame, codes, matrix
