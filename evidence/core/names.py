"""The fixed names the catalogue stores, compares and prints: fingerprint variants, relation kinds and
relation statuses, capture outcomes, the roles of accounts. `StrEnum`s, so a member is the very string
it stands for: it equals, hashes, formats and serialises (JSON, SQL parameters) as that string, and
strings read back from the database compare equal to the members."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class HashVariant(StrEnum):
    """Which picture a frame's fingerprint is of."""

    CANONICAL = "canonical"  # upright, border removed
    RAW = "raw"  # upright, uncropped; only when a border was removed
    MIRROR = "mirror"  # the canonical picture mirrored left-right (query side only)
    # the quarters of the canonical picture (a large logo or caption box spares some of them)
    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"
    # the central part of the picture (5 % off each side), compared with whole pictures
    CENTER = "center"
    # the 8 dihedral turns and flips of a picture (images): the first is the canonical picture itself
    # and never stored under this name
    ORIGINAL = "original"
    ROTATE90 = "rotate90"
    ROTATE180 = "rotate180"
    ROTATE270 = "rotate270"
    FLIPX = "flipx"
    FLIPY = "flipy"
    FLIPPLUS1 = "flipplus1"
    FLIPMINUS1 = "flipminus1"


#: the quarters, in the order `media.image.regions` hashes them
REGION_NAMES: Final = (
    HashVariant.TOP_LEFT,
    HashVariant.TOP_RIGHT,
    HashVariant.BOTTOM_LEFT,
    HashVariant.BOTTOM_RIGHT,
)
#: the dihedral variants in the PDQ reference's order (`pdqDihedralHash256esFromFloatLuma`)
DIHEDRAL_NAMES: Final = (
    HashVariant.ORIGINAL,
    HashVariant.ROTATE90,
    HashVariant.ROTATE180,
    HashVariant.ROTATE270,
    HashVariant.FLIPX,
    HashVariant.FLIPY,
    HashVariant.FLIPPLUS1,
    HashVariant.FLIPMINUS1,
)


class RelationKind(StrEnum):
    """What item A is to item B: the matcher's classification of a match, and the kind of the
    relation it suggests (or an analyst decides)."""

    DUPLICATE = "duplicate"  # both mostly the same footage
    EXCERPT_OF = "excerpt-of"  # most of A is in B (a trimmed copy)
    CONTAINS = "contains"  # most of B is in A
    PARTIAL = "partial"  # a run in common, neither mostly matched (a compilation)


class RelationStatus(StrEnum):
    """Where a relation stands: the matcher suggests, analysts confirm or reject."""

    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class CaptureOutcome(StrEnum):
    """What capturing a link gave (stored with the capture)."""

    CAPTURED = "captured"  # the page and at least one media file
    NO_MEDIA = "no-media"  # the page answered; nothing in it was taken
    HTTP_ERROR = "http-error"  # the server answered with an error (404, 410, 451…); its page is kept
    REFUSED = "refused"  # the page or a file was over --max-bytes, or a redirect left http(s)
    UNREACHABLE = "unreachable"  # no answer: DNS, connection, TLS, timeout


class Role(StrEnum):
    """What an account may do in the web application (stored with the account)."""

    VIEWER = "viewer"  # reads the catalogue
    ANALYST = "analyst"  # also changes it: tags, claims, decisions
    ADMIN = "admin"  # also manages the accounts


def may_change(role: Role) -> bool:
    """Whether an account of this role may change the catalogue (analysts and admins)."""
    return role in (Role.ANALYST, Role.ADMIN)


# yt-dlp's extractors that read a page rather than a platform's data: their "upload date" is a web
# server's Last-Modified, not a posting time
GENERIC_EXTRACTORS = frozenset({"generic", "Generic", "html5", "HTML5MediaEmbed"})
