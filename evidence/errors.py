"""One exception tree. Each error carries its exit code and a message that says what to do next.

Exit codes (the command-line contract in docs/architecture.md):
0 success; 1 unexpected internal error; 2 usage error or input refused (nothing written);
3 preserved but analysis incomplete; 4 environment failure (disk full, read-only, locked);
5 integrity failure (hash mismatch, missing object, broken chain); 6 schema needs `evidence db upgrade`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    USAGE = 2
    ANALYSIS_INCOMPLETE = 3
    ENVIRONMENT = 4
    INTEGRITY = 5
    SCHEMA = 6
    PIPE_CLOSED = 141  # stdout was closed early (piped into head); like a tool killed by SIGPIPE


class EvidenceError(Exception):
    """Base of every error the tool reports to a user."""

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(EvidenceError):
    """Bad arguments or a refused input; nothing was written."""

    exit_code = ExitCode.USAGE


class InputRefused(UsageError):
    """A file we will not ingest (empty, not a regular file, unreadable, missing)."""


class NotFound(UsageError):
    """A reference (id or sha256 prefix) that names no item, or names several."""


class CatalogueNotFound(UsageError):
    """No `.evidence/` catalogue where one was expected."""


class EnvironmentFailure(EvidenceError):
    """Disk full, read-only store, database locked or unreachable."""

    exit_code = ExitCode.ENVIRONMENT


class IntegrityFailure(EvidenceError):
    """A stored object or the custody chain does not match what was recorded."""

    exit_code = ExitCode.INTEGRITY


class SchemaOutdated(EvidenceError):
    """The catalogue's schema is behind this version of the tool."""

    exit_code = ExitCode.SCHEMA
