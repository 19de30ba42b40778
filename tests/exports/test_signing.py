"""Ed25519 signing keys: created private on this machine, never overwritten; signatures verify."""

import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from desktop.exports import signing


def test_default_key_goes_to_the_user_data_dir_readable_by_owner_only(user_dirs):
    info = signing.generate_key()
    assert info.path == user_dirs.data / "keys" / "signing-key.pem"
    assert stat.S_IMODE(os.stat(info.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(info.path.parent).st_mode) == 0o700
    assert len(info.public_key) == 64 and int(info.public_key, 16) >= 0
    assert signing.key_exists() and signing.key_info().public_key == info.public_key


def test_key_at_a_chosen_path_and_never_overwritten(tmp_path):
    path = tmp_path / "my.pem"
    info = signing.generate_key(path)
    before = path.read_bytes()
    with pytest.raises(signing.SigningKeyError, match="already exists"):
        signing.generate_key(path)
    assert path.read_bytes() == before
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert signing.public_key_hex(signing.load_private_key(path)) == info.public_key
    with pytest.raises(signing.SigningKeyError, match="does not exist"):
        signing.generate_key(tmp_path / "missing-folder" / "k.pem")


def test_sign_and_verify_with_the_public_key(tmp_path):
    key = signing.load_private_key(signing.generate_key(tmp_path / "k.pem").path)
    public = signing.public_key_hex(key)
    message = '{"a":"60"}'.encode()
    signature = signing.sign_bytes(key, message)
    assert len(signature) == 128
    assert signing.verify_signature(public, signature, message)
    # independent check with the cryptography package itself
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(public)).verify(bytes.fromhex(signature), message)
    assert not signing.verify_signature(public, signature, message + b" ")
    flipped = signature[:-2] + ("00" if signature[-2:] != "00" else "01")
    assert not signing.verify_signature(public, flipped, message)
    other = signing.public_key_hex(signing.load_private_key(signing.generate_key(tmp_path / "o.pem").path))
    assert not signing.verify_signature(other, signature, message)
    assert not signing.verify_signature("zz", signature, message)
    assert not signing.verify_signature(public, "not hex", message)


def test_public_key_export_as_pem_and_hex(tmp_path):
    info = signing.generate_key(tmp_path / "k.pem")
    pem = signing.public_key_pem(info.public_key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert signing.public_key_from_pem(pem) == info.public_key
    loaded = serialization.load_pem_public_key(pem.encode())
    assert isinstance(loaded, Ed25519PublicKey)
    out = signing.write_public_key(tmp_path / "pub.pem", info.public_key)
    assert out.read_text() == pem
    assert signing.write_public_key(tmp_path / "pub.hex", info.public_key, fmt="hex").read_text().strip() == \
        info.public_key


def test_key_fingerprint_is_short_and_stable():
    public = "11" * 32
    text = signing.key_fingerprint(public)
    assert len(text.split()) == 8 and all(len(group) == 4 for group in text.split())
    assert text == signing.key_fingerprint(public) != signing.key_fingerprint("22" * 32)


def test_refuses_missing_and_non_ed25519_keys(tmp_path):
    with pytest.raises(signing.SigningKeyError, match="ipw keygen"):
        signing.load_private_key()
    other = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.pem"
    path.write_bytes(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    with pytest.raises(signing.SigningKeyError, match="not an Ed25519 key"):
        signing.load_private_key(path)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hello")
    with pytest.raises(signing.SigningKeyError):
        signing.load_private_key(garbage)
