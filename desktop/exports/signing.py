"""Ed25519 signing keys kept on the officer's machine: create, load, sign, verify, export the public key.

The private key is a PKCS#8 PEM file readable by its owner only (mode 0600, in a 0700 folder), by default
`<user data dir>/keys/signing-key.pem`; `--key PATH` names another. Its public key travels with the
workbook and the exports (hex, 32 bytes), so anyone can check a signature with `ipw verify`; the key
fingerprint (SHA-256 of the public key, first 16 bytes) is what a person compares by eye.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from desktop import paths
from desktop.domain.errors import DomainError

KEY_FILE_NAME = "signing-key.pem"
ALGORITHM = "Ed25519"


class SigningKeyError(DomainError):
    """A signing key that is missing, unreadable, not Ed25519, or would be overwritten."""


@dataclass(frozen=True)
class KeyInfo:
    path: Path
    public_key: str  # hex, 64 digits

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public_key)


def keys_dir() -> Path:
    return paths.user_data_dir() / "keys"


def default_key_path() -> Path:
    return keys_dir() / KEY_FILE_NAME


def _resolve(path: Path | str | None) -> Path:
    return Path(path).expanduser() if path else default_key_path()


def key_exists(path: Path | str | None = None) -> bool:
    return _resolve(path).is_file()


def generate_key(path: Path | str | None = None) -> KeyInfo:
    """Create a new key at `path` (default: the user's data dir); refuses to overwrite an existing file."""
    target = _resolve(path)
    if target.exists():
        raise SigningKeyError(f"{target} already exists; a signing key is never overwritten "
                              "(move it away first, or use --key to name another file)")
    if path is None:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(target.parent, 0o700)
    elif not target.parent.is_dir():
        raise SigningKeyError(f"folder {target.parent} does not exist")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        raise SigningKeyError(f"{target} already exists; a signing key is never overwritten") from None
    except OSError as exc:
        raise SigningKeyError(f"cannot create {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    os.chmod(target, 0o600)  # the umask cannot widen it, but be explicit
    return KeyInfo(target, public_key_hex(key))


def load_private_key(path: Path | str | None = None) -> Ed25519PrivateKey:
    target = _resolve(path)
    if not target.is_file():
        hint = " (create one with 'ipw keygen')" if path is None else ""
        raise SigningKeyError(f"no signing key at {target}{hint}")
    try:
        key = serialization.load_pem_private_key(target.read_bytes(), password=None)
    except OSError as exc:
        raise SigningKeyError(f"cannot read {target}: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{target} is not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{target} holds a {type(key).__name__.replace('PrivateKey', '')} key, "
                              "not an Ed25519 key")
    return key


def key_info(path: Path | str | None = None) -> KeyInfo:
    return KeyInfo(_resolve(path), public_key_hex(load_private_key(path)))


def public_key_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def key_fingerprint(public_key: str) -> str:
    """A short, readable id of a public key: SHA-256 of its 32 raw bytes, first 16 bytes, in groups of 4."""
    digest = hashlib.sha256(bytes.fromhex(public_key)).hexdigest()[:32].upper()
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def public_key_pem(public_key: str) -> str:
    """The hex public key as a SubjectPublicKeyInfo PEM block (what other tools read)."""
    key = _public_key(public_key)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_key_from_pem(pem: str | bytes) -> str:
    try:
        key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    except ValueError as exc:
        raise SigningKeyError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("not an Ed25519 public key")
    return public_key_hex(key)


def _public_key(public_key: str) -> Ed25519PublicKey:
    try:
        raw = bytes.fromhex(public_key)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise SigningKeyError(f"'{public_key[:80]}' is not an Ed25519 public key (64 hex digits)") from None


def sign_bytes(key: Ed25519PrivateKey, data: bytes) -> str:
    """The Ed25519 signature of `data`, as 128 hex digits."""
    return key.sign(data).hex()


def verify_signature(public_key: str, signature: str, data: bytes) -> bool:
    """True when `signature` (hex) is `public_key`'s (hex) signature of `data`; False for any other input."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def write_public_key(path: Path | str, public_key: str, *, fmt: str = "pem") -> Path:
    """Write the public key as PEM or hex text (atomically); returns the path."""
    target = Path(path)
    text = public_key_pem(public_key) if fmt == "pem" else public_key + "\n"
    temp = target.with_name(f".{target.name}.tmp")
    temp.write_text(text, encoding="ascii")
    os.replace(temp, target)
    return target
