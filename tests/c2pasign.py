"""C2PA manifests the tests sign themselves (import with `from c2pasign import sign`): a throwaway CA and
an ES256 signing certificate made here with `cryptography` (on no trust list), and a manifest with a
claim generator, actions (one declaring AI generation) and an ingredient, embedded with c2pa-python."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from certs import self_signed_ca
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]
    )


def signing_chain(signer: str, org: str) -> tuple[bytes, bytes]:
    """A PEM chain (signing certificate, then its CA) and the signing key (PEM, PKCS#8)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = self_signed_ca(_name("Test C2PA Root", "Test Root Org"), ca_key)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(signer, org))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain = leaf.public_bytes(pem) + ca.public_bytes(pem)
    private = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return chain, private


def sign(
    source: Path,
    target: Path,
    *,
    mime: str = "image/jpeg",
    signer: str = "Jane Reporter",
    org: str = "Example News",
    generator: str = "TestCam Editor",
    ingredient: Path | None = None,
) -> Path:
    """`source` with a signed C2PA manifest embedded, written to `target`: created by an AI model
    (ImageGen 3), then edited (cropped, with PhotoFix); `ingredient` (same type) as its parent."""
    import c2pa

    chain, private = signing_chain(signer, org)
    manifest = {
        "claim_generator_info": [{"name": generator, "version": "2.1"}],
        "title": source.name,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": AI_SOURCE,
                            "softwareAgent": {"name": "ImageGen 3"},
                        },
                        {
                            "action": "c2pa.edited",
                            "softwareAgent": {"name": "PhotoFix"},
                            "parameters": {"description": "cropped"},
                        },
                    ]
                },
            }
        ],
    }
    with c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, private, None)) as key:
        builder = c2pa.Builder(manifest)
        if ingredient is not None:
            with open(ingredient, "rb") as parent:
                builder.add_ingredient(
                    {"title": "original" + ingredient.suffix, "relationship": "parentOf"}, mime, parent
                )
        with open(source, "rb") as stream, open(target, "wb") as out:
            builder.sign(key, mime, stream, out)
    return target


def altered(signed: Path, target: Path) -> Path:
    """The signed file with one byte of its picture data changed after signing (the manifest intact)."""
    data = bytearray(signed.read_bytes())
    data[-200] ^= 0xFF  # in the JPEG's entropy-coded data, well after the manifest's segments
    target.write_bytes(bytes(data))
    return target


def garbled(signed: Path, target: Path) -> Path:
    """The signed file with its manifest's bytes overwritten: a manifest present but unreadable."""
    data = bytearray(signed.read_bytes())
    at = data.find(b"jumb")
    data[at + 100 : at + 400] = b"\x00" * 300
    target.write_bytes(bytes(data))
    return target
