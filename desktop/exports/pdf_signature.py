"""The signed memo as every PDF reader understands it: a PAdES signature made with pyHanko, and its check.

Why a second key: the sign-off's Ed25519 signature covers the decision content, but poppler (`pdfsig`, so
Okular and Evince) cannot verify Ed25519 PDF signatures at all (shared/reference/pdf-signing.md 2). The memo
is therefore signed with an RSA-3072 key and a self-signed certificate that `ipw keygen` creates beside the
Ed25519 key (`<key>.pdf-key.pem`, `<key>.pdf-cert.pem`), or with the organisation's own certificate from a
PKCS#12 file. The certificate carries `CA:true` + keyCertSign so an auditor can trust it in an NSS database
(`pdfsig -nssdir`); the app itself pins the key by its fingerprint instead.

The signature is the last step of writing the memo, invisible (a visible stamp needs an embedded font),
in the PAdES subfilter (`ETSI.CAdES.detached`), and covers the whole file. `check_pdf_signature` accepts a
memo only when the signature is intact and valid, covers the entire file and nothing was modified after it
(pyHanko's difference analysis: `pdfsig` still says "Signature is Valid" for a page rewritten in an
appended update). pyHanko is imported lazily (about 0.4 s) and its log output never reaches the user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.exports.signing import SigningKeyError, default_key_path

FIELD_NAME = "IPW-Signoff"
RSA_BITS = 3072
CERT_YEARS = 10
# Room for an RSA-3072 CMS with one self-signed certificate (about 2.3 KB); skips pyHanko's sizing dry run.
OWN_KEY_RESERVED_BYTES = 8192
# A private certificate extension: the officer's Ed25519 key signs this PDF key, so one pinned fingerprint
# (the Ed25519 key's) covers both. Value: DER OCTET STRING of the 32-byte public key + 64-byte signature.
BINDING_OID = "2.25.134193056532109359115754160310040142845"
BINDING_PREFIX = b"ipw-pdf-key-binding/1\n"
_QUIET_LOGGERS = ("pyhanko", "pyhanko_certvalidator", "pypdf", "fontTools", "asyncio")


class PdfSignatureError(SigningKeyError):
    """PDF signing credentials that are missing, unreadable or locked (wrong password)."""


@dataclass(frozen=True)
class PdfCredentials:
    """Where a PDF signing key and certificate are, or a PKCS#12 file and its password."""

    key_path: Path | None = None
    cert_path: Path | None = None
    pkcs12_path: Path | None = None
    pkcs12_password: bytes | None = None

    def describe(self) -> str:
        return str(self.pkcs12_path or self.cert_path)


@dataclass(frozen=True)
class PdfSignatureCheck:
    """What `check_pdf_signature` found.

    Attributes:
        present: the file carries a PDF signature at all.
        ok: intact, valid, whole file covered, nothing modified after it (False when not present).
        detail: one sentence for the report.
        key_fingerprint: SHA-256 of the signer's public key, first 16 bytes, grouped like the Ed25519 ones.
        vouched_by: the Ed25519 key fingerprint whose binding the certificate carries (verified), if any.
        signer: the certificate's subject (common name), if readable.
        signed_at: the signing time the signer stated (/M; not a timestamp authority's), if any.
    """

    present: bool
    ok: bool
    detail: str
    key_fingerprint: str | None = None
    signer: str | None = None
    signed_at: str | None = None
    vouched_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"present": self.present, "ok": self.ok, "detail": self.detail, "keyFingerprint": self.key_fingerprint,
                "signer": self.signer, "signedAt": self.signed_at, "vouchedBy": self.vouched_by}


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Keep pyHanko's and pypdf's log lines and warnings (tracebacks included) off stderr."""
    saved = []
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate, logger.disabled))
        logger.disabled = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level, propagate, disabled in saved:
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled


def group_key_digest(digest: bytes) -> str:
    text = digest.hex()[:32].upper()
    return " ".join(text[i:i + 4] for i in range(0, 32, 4))


# ---------------------------------------------------------------------------------------------- keys

def credential_paths(key_path: Path | str | None = None) -> tuple[Path, Path]:
    """The PDF key and certificate that belong with an Ed25519 key file (default: the user's key)."""
    base = Path(key_path).expanduser() if key_path else default_key_path()
    stem = base.name[:-4] if base.name.endswith(".pem") else base.name
    return base.with_name(f"{stem}.pdf-key.pem"), base.with_name(f"{stem}.pdf-cert.pem")


def own_credentials(key_path: Path | str | None = None) -> PdfCredentials | None:
    """The PDF credentials `ipw keygen` made beside `key_path`, or None when there are none."""
    key, cert = credential_paths(key_path)
    return PdfCredentials(key, cert) if key.is_file() and cert.is_file() else None


def pkcs12_credentials(path: Path | str, password: str | bytes | None) -> PdfCredentials:
    target = Path(path).expanduser()
    if not target.is_file():
        raise PdfSignatureError(f"no PKCS#12 file at {target}")
    secret = password.encode("utf-8") if isinstance(password, str) else password
    return PdfCredentials(pkcs12_path=target, pkcs12_password=secret)


def generate_credentials(key_path: Path | str | None = None, *, common_name: str,
                         ed25519_key: Any = None) -> tuple[Path, Path, str]:
    """Create the RSA-3072 key (mode 0600) and a self-signed CA:true certificate beside `key_path`; with
    `ed25519_key` (the officer's sign-off key) the certificate carries that key's signature of this one.

    Returns (key file, certificate file, key fingerprint). Refuses to overwrite either file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key_file, cert_file = credential_paths(key_path)
    for target in (key_file, cert_file):
        if target.exists():
            raise PdfSignatureError(f"{target} already exists; a signing key is never overwritten")
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Inference Procurement Workbook")])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=365 * CERT_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    if ed25519_key is not None:
        raw = ed25519_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        value = raw + ed25519_key.sign(BINDING_PREFIX + spki)
        cert = cert.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(BINDING_OID),
                                                             b"\x04" + bytes([len(value)]) + value), critical=False)
    cert = cert.sign(key, hashes.SHA256())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise PdfSignatureError(f"cannot create {key_file}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file, group_key_digest(hashlib.sha256(spki).digest())


def ensure_own_credentials(key_path: Path | str | None = None) -> tuple[Path, str, bool]:
    """The PDF signing certificate beside the officer's Ed25519 key, made (and vouched for by that key) when
    there is none yet. Returns (certificate file, its key fingerprint, whether it was made now)."""
    from desktop.exports.signing import key_info, load_private_key

    existing = own_credentials(key_path)
    if existing is not None and existing.cert_path is not None:
        return existing.cert_path, certificate_fingerprint(existing.cert_path), False
    name = f"IPW signing key {key_info(key_path).fingerprint}"
    _, cert, fingerprint = generate_credentials(key_path, common_name=name, ed25519_key=load_private_key(key_path))
    return cert, fingerprint, True


def certificate_fingerprint(cert_path: Path | str) -> str:
    """The key fingerprint of a PEM certificate (what `--trusted-key` takes)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    except (OSError, ValueError) as exc:
        raise PdfSignatureError(f"cannot read the certificate {cert_path} ({exc})") from None
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return group_key_digest(hashlib.sha256(spki).digest())


def _load_signer(credentials: PdfCredentials) -> Any:
    from pyhanko.sign import signers

    with quiet():
        if credentials.pkcs12_path is not None:
            signer = signers.SimpleSigner.load_pkcs12(str(credentials.pkcs12_path),
                                                      passphrase=credentials.pkcs12_password)
            problem = "wrong password, or not a PKCS#12 file with a key and certificate"
        else:
            signer = signers.SimpleSigner.load(str(credentials.key_path), str(credentials.cert_path))
            problem = "not a PEM key and certificate"
    if signer is None:  # pyHanko returns None (and only logs) for a wrong password
        raise PdfSignatureError(f"cannot use {credentials.describe()} to sign the memo: {problem}")
    return signer


# ---------------------------------------------------------------------------------------------- signing

def _writer_class() -> Any:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata import model

    class ConsistentMetadataWriter(IncrementalPdfFileWriter):
        """pyHanko appends itself to the Info /Producer but sets the XMP pdf:Producer to itself alone; PDF/A
        wants the two equal, so the Info entry gets the XMP value."""

        def _update_meta(self) -> None:
            super()._update_meta()
            if self._info is not None and "/Metadata" in self.root:
                info = self._info.get_object()
                info["/Producer"] = generic.TextStringObject(model.VENDOR)
                self.mark_update(self._info)

    return ConsistentMetadataWriter


def sign_pdf_bytes(pdf: bytes, credentials: PdfCredentials, *, reason: str, name: str | None = None,
                   location: str | None = None) -> bytes:
    """`pdf` with an invisible PAdES signature appended as an incremental update (the original bytes stay)."""
    from pyhanko.sign import fields, signers

    signer = _load_signer(credentials)
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, reason=reason[:500], name=name, location=location,
                                        subfilter=fields.SigSeedSubFilter.PADES)
    reserved = OWN_KEY_RESERVED_BYTES if credentials.pkcs12_path is None else None
    output = io.BytesIO()
    with quiet():
        try:
            writer = _writer_class()(io.BytesIO(pdf))
            pdf_signer = signers.PdfSigner(meta, signer=signer)
            pdf_signer.sign_pdf(writer, output=output, bytes_reserved=reserved)
        except Exception as exc:  # noqa: BLE001 - pyHanko's own errors (SigningError, ...) become one line
            raise PdfSignatureError(f"the memo could not be signed with {credentials.describe()} "
                                    f"({type(exc).__name__}: {exc})") from exc
    return output.getvalue()


def sign_pdf_file(path: Path | str, credentials: PdfCredentials, *, reason: str, name: str | None = None) -> None:
    """Sign the PDF at `path` in place, atomically (a failure leaves the unsigned file as it was)."""
    from desktop.exports.atomic import write_bytes_atomic

    target = Path(path)
    write_bytes_atomic(target, sign_pdf_bytes(target.read_bytes(), credentials, reason=reason, name=name))


def sign_exported_memo(path: Path | str, data: Any, credentials: PdfCredentials | None) -> bool:
    """The export workflow's hook: sign a signed-off memo with `credentials` (a draft is never signed, since
    nothing was signed off). Returns whether the memo was signed."""
    if credentials is None or getattr(data, "status", None) != "signed":
        return False
    signoff = data.workbook.signoff
    reason = (f"Decision memo signed off: {signoff.decision} by {signoff.approver} ({signoff.role}) on "
              f"{signoff.date}; fingerprint {data.fingerprint}")
    sign_pdf_file(path, credentials, reason=reason, name=signoff.approver)
    return True


# ---------------------------------------------------------------------------------------------- checking

def binding_key(cert: Any) -> str | None:
    """The fingerprint of the Ed25519 key that vouches for this (asn1crypto) certificate's key, when the
    certificate carries a binding whose signature verifies; None otherwise."""
    from desktop.exports.signing import key_fingerprint, verify_signature

    try:
        extensions = cert["tbs_certificate"]["extensions"].native or []
        spki = cert.public_key.dump()
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    for extension in extensions:
        if extension.get("extn_id") != BINDING_OID:
            continue
        value = extension.get("extn_value")
        if not isinstance(value, bytes) or len(value) != 98 or value[:2] != b"\x04\x60":
            return None
        public, signature = value[2:34].hex(), value[34:].hex()
        if verify_signature(public, signature, BINDING_PREFIX + spki):
            return key_fingerprint(public)
    return None


def _subject(cert: Any) -> str | None:
    try:
        return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)
    except (AttributeError, ValueError, KeyError):
        return None


def check_pdf_signature(pdf: bytes) -> PdfSignatureCheck:
    """Validate the memo's PDF signature offline (see the module docstring for what counts as ok)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    with quiet():
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            signatures = list(reader.embedded_signatures)
        except Exception as exc:  # noqa: BLE001 - a hostile file: any parser failure is "damaged"
            return PdfSignatureCheck(True, False, f"the file's structure is damaged, so its PDF signature cannot be "
                                     f"read ({type(exc).__name__})")
        if not signatures:
            return PdfSignatureCheck(False, False, "the memo carries no PDF signature")
        embedded = signatures[-1]
        try:
            cert = embedded.signer_cert
            key_fp = group_key_digest(hashlib.sha256(cert.public_key.dump()).digest())
        except Exception:  # noqa: BLE001
            return PdfSignatureCheck(True, False, "the PDF signature names no readable signing certificate")
        signer = _subject(cert)
        vouched = binding_key(cert)
        stamp = embedded.self_reported_timestamp
        signed_at = stamp.isoformat() if stamp else None
        try:
            context = ValidationContext(trust_roots=[cert], allow_fetching=False)
            status = validate_pdf_signature(embedded, signer_validation_context=context)
        except Exception as exc:  # noqa: BLE001 - validation raises SignatureValidationError (and others) on bad bytes
            return PdfSignatureCheck(True, False, f"the PDF signature does not validate ({type(exc).__name__}): "
                                     "the file was changed after signing", key_fp, signer, signed_at, vouched)
    if len(signatures) > 1:
        return PdfSignatureCheck(True, False, f"the memo carries {len(signatures)} PDF signatures; the app signs "
                                 "once, so one was added after signing", key_fp, signer, signed_at, vouched)
    if not (status.intact and status.valid):
        return PdfSignatureCheck(True, False, "the PDF signature does not match the signed bytes (a byte of the "
                                 "file was changed after signing)", key_fp, signer, signed_at, vouched)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        level = status.modification_level
        what = ("pages or content were changed" if level is not None and level > ModificationLevel.FORM_FILLING
                else "data was appended")
        return PdfSignatureCheck(True, False, f"the PDF signature does not cover the whole file: {what} after "
                                 "signing", key_fp, signer, signed_at, vouched)
    return PdfSignatureCheck(True, True, f"PAdES signature intact and valid, covering the whole file, no change "
                             f"after signing (signer {signer}, key {key_fp})", key_fp, signer, signed_at, vouched)


def resolve_credentials(choice: PdfCredentials | str | None) -> PdfCredentials | None:
    """`"default"`: the credentials `ipw keygen` made beside the user's key, when there are any."""
    if choice == "default":
        return own_credentials()
    return choice if isinstance(choice, PdfCredentials) else None
