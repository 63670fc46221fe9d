"""C2PA content credentials read from a media file (`c2pa-python`): who signed its manifest, with what
tool, what actions it declares (created, edited, AI-generated) and from what ingredients, and whether the
claim signature and the hard binding to the bytes validate.

Read during probing, in the analysis worker (`analysis.jobs.probe_job`): `evidence add`, queued
workers and `evidence analyze` re-runs all get it, and a library fault stays in the worker like any
decoder's. The file is opened read-only and only read; nothing is fetched (no remote manifests, no
OCSP, no trust lists): a certificate made by anyone is reported as "not on a trust list", which says
nothing about the signature or the binding, reported apart.

`read_credentials` returns None when the file holds no manifest (or is of a kind C2PA does not
cover), else a plain JSON-able summary (`problem` set when a manifest is there but unreadable)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from evidence.media.probe.common import clean_text

MAX_ENTRIES = 50  # actions and ingredients kept from one manifest
MAX_TEXT = 500
AI_SOURCE_TYPES = frozenset(
    {
        "trainedAlgorithmicMedia",
        "compositeWithTrainedAlgorithmicMedia",
        "algorithmicMedia",
        "compositeSynthetic",
    }
)
HARD_BINDINGS = (
    "assertion.dataHash.",
    "assertion.bmffHash.",
    "assertion.boxesHash.",
    "assertion.collectionHash.",
)


def _text(value: object) -> str | None:
    return clean_text(value, MAX_TEXT) if value not in (None, "") else None


def _supported(mime: str) -> bool:
    import c2pa

    try:
        return mime in c2pa.Reader.get_supported_mime_types()
    except Exception:  # a library that cannot say reads nothing
        return False


@cache
def _context(pid: int) -> object:
    """c2pa's settings for reading here: never fetch a remote manifest or a certificate's status (one
    per process: a native handle is not carried over a fork)."""
    import c2pa

    return c2pa.Context.from_dict({"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}})


def read_credentials(path: Path, mime: str | None) -> dict[str, Any] | None:
    """The content credentials in the file at `path` (of type `mime`), or None when it has none."""
    if not mime or not _supported(mime):
        return None
    import c2pa

    try:
        with open(path, "rb") as stream:
            reader = c2pa.Reader.try_create(mime, stream, context=_context(os.getpid()))
            if reader is None:
                return None
            with reader:
                store = json.loads(reader.json())
    except Exception as exc:  # any fault of a manifest is reported, never raised
        return {"problem": _problem(exc)}
    try:
        return summarise(store)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        return {"problem": f"the C2PA manifest could not be understood ({clean_text(exc, 200)})"}


def _problem(exc: Exception) -> str:
    if type(exc).__name__ in ("ManifestNotFound", "_C2paManifestNotFound"):
        return "a C2PA manifest is referred to but not present in the file"
    reason = clean_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 200)
    return f"the C2PA manifest is present but unreadable ({reason})"


def summarise(store: dict[str, Any]) -> dict[str, Any]:
    """The active manifest of a manifest store (c2pa's JSON), as recorded with an item."""
    manifest = (store.get("manifests") or {}).get(store.get("active_manifest") or "") or {}
    signature = manifest.get("signature_info") or {}
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = [str(s.get("code")) for s in results.get("failure") or [] if isinstance(s, dict)]
    successes = [str(s.get("code")) for s in results.get("success") or [] if isinstance(s, dict)]
    if not results:  # older stores give only the failures
        failures = [str(s.get("code")) for s in store.get("validation_status") or [] if isinstance(s, dict)]
    binding_bad = any(c.startswith(HARD_BINDINGS) and c.endswith(".mismatch") for c in failures)
    binding_ok = any(c.startswith(HARD_BINDINGS) and c.endswith(".match") for c in successes)
    signature_bad = any(c.startswith("claimSignature.") for c in failures)
    return {
        "signer": _text(signature.get("common_name")),
        "issuer": _text(signature.get("issuer")),
        "claim_generator": _generator(manifest),
        "title": _text(manifest.get("title")),
        "actions": _actions(manifest),
        "ingredients": [
            {
                "title": _text(i.get("title")),
                "format": _text(i.get("format")),
                "relationship": _text(i.get("relationship")),
            }
            for i in (manifest.get("ingredients") or [])[:MAX_ENTRIES]
            if isinstance(i, dict)
        ],
        "signature_valid": not signature_bad,
        "binding_valid": False if binding_bad else (True if binding_ok or not failures else None),
        "trusted": store.get("validation_state") == "Trusted"
        and "signingCredential.untrusted" not in failures,
        "codes": sorted(set(failures))[:MAX_ENTRIES],
        "problem": None,
    }


def _generator(manifest: dict[str, Any]) -> str | None:
    infos = manifest.get("claim_generator_info") or []
    if infos and isinstance(infos[0], dict):
        first = infos[0]
        return _text(" ".join(str(p) for p in (first.get("name"), first.get("version")) if p))
    return _text(manifest.get("claim_generator"))


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            if not isinstance(action, dict) or len(found) >= MAX_ENTRIES:
                continue
            agent = action.get("softwareAgent")
            agent = agent.get("name") if isinstance(agent, dict) else agent
            source = str(action.get("digitalSourceType") or "")
            parameters = action.get("parameters") if isinstance(action.get("parameters"), dict) else {}
            found.append(
                {
                    "action": _text(str(action.get("action", "")).removeprefix("c2pa.")),
                    "software": _text(agent),
                    "description": _text((parameters or {}).get("description") or action.get("description")),
                    "digital_source_type": _text(source.rsplit("/", 1)[-1]),
                    "ai_generated": source.rsplit("/", 1)[-1] in AI_SOURCE_TYPES,
                }
            )
    return found
