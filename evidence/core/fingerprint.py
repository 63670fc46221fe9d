"""The fingerprint algorithm and version stored with every hash (`fingerprint.algorithm`, `.version`).

A hash is stored and compared only with hashes of the same algorithm and version; the text form
shown to people is `<algorithm>.v<version>:<lowercase hex>`, e.g. `pdq.v1:f8f8…22`. The hashes
themselves travel as 32-byte strings (hex in the database); `core.hamming` compares them.
"""

from __future__ import annotations

from typing import Final

PDQ_ALGORITHM: Final = "pdq"
PDQ_VERSION: Final = 1
