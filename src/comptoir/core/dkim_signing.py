"""DKIM signatures (RFC 6376, relaxed/relaxed) of outgoing e-mail, with the key of
``COMPTOIR_DKIM_PRIVATE_KEY_FILE`` (RSA, or Ed25519 after RFC 8463).

The key file is read once per path. An RSA signature is made by OpenSSL (``cryptography``), the key parsed
once per signer: dkimpy's pure-Python RSA took about 6 ms per message with a 2048-bit key, OpenSSL a
fraction of a millisecond. The header fields and the body are canonicalised by dkimpy's own functions,
the header built as dkimpy builds it, so that any verifier (dkimpy's ``dkim.verify`` in the tests)
accepts it. Ed25519 keys are signed by dkimpy (PyNaCl, already fast).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib.util
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from comptoir.core.messaging import ConfigurationFailure
from comptoir.core.settings import DEFAULT_DKIM_HEADERS

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from dkim.canonicalization import CanonicalizationPolicy


class DkimKeyError(ValueError):
    """``COMPTOIR_DKIM_PRIVATE_KEY_FILE`` cannot be used: missing, unreadable, encrypted, another kind."""


@dataclass(frozen=True)
class DkimKey:
    algorithm: Literal["rsa-sha256", "ed25519-sha256"]
    # What dkimpy signs with: the PEM of an RSA key, the base64 seed of an Ed25519 one.
    secret: bytes = field(repr=False)
    bits: int


_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)
_RSA_OID = bytes.fromhex("06092a864886f70d010101")  # 1.2.840.113549.1.1.1, rsaEncryption
_ED25519_OID = bytes.fromhex("06032b6570")  # 1.3.101.112, id-Ed25519
_ED25519_SEED = b"\x04\x22\x04\x20"  # PKCS #8: the private key, an OCTET STRING of 32 bytes


def load_dkim_key(path: Path | str) -> DkimKey:
    """The DKIM key in ``path``, read once per path and kept; :class:`DkimKeyError` says what is wrong."""
    return _load_dkim_key(str(Path(path).absolute()))


@lru_cache(maxsize=8)
def _load_dkim_key(path: str) -> DkimKey:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DkimKeyError(
            f"COMPTOIR_DKIM_PRIVATE_KEY_FILE: cannot read {path}: {exc.strerror or exc}"
        ) from None
    try:
        return _parse_dkim_key(raw)
    except DkimKeyError as exc:
        raise DkimKeyError(f"COMPTOIR_DKIM_PRIVATE_KEY_FILE: {path}: {exc}") from None


def _parse_dkim_key(raw: bytes) -> DkimKey:
    blocks = [(label, body) for label, body in _PEM.findall(raw) if label.endswith(b"PRIVATE KEY")]
    if not blocks:
        seed = _base64(raw.strip())  # dkimpy's own Ed25519 form (dknewkey): the base64 seed alone
        if seed is not None and len(seed) == 32:
            return _ed25519_key(seed)
        raise DkimKeyError("no PEM private key (-----BEGIN … PRIVATE KEY-----) in it")
    label, body = blocks[0]
    if label == b"ENCRYPTED PRIVATE KEY" or b"Proc-Type:" in body:
        raise DkimKeyError("the key is encrypted: store it unencrypted, readable by Comptoir's user only")
    der = _base64(b"".join(body.split()))
    if der is None:
        raise DkimKeyError("its PEM block is not base64")
    if label == b"RSA PRIVATE KEY" or (label == b"PRIVATE KEY" and _RSA_OID in der[:32]):
        return _rsa_key(label, der)
    if label == b"PRIVATE KEY" and _ED25519_OID in der[:16]:
        at = der.find(_ED25519_SEED)
        if at < 0 or len(der) < at + 36:
            raise DkimKeyError("unreadable Ed25519 key")
        return _ed25519_key(der[at + 4 : at + 36])
    raise DkimKeyError(f"a {label.decode().lower()} that is neither RSA nor Ed25519, DKIM's algorithms")


def _base64(data: bytes) -> bytes | None:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def _rsa_key(label: bytes, der: bytes) -> DkimKey:
    from dkim.crypto import UnparsableKeyError, parse_private_key

    try:
        bits = int(parse_private_key(der)["modulus"]).bit_length()
    except UnparsableKeyError as exc:
        raise DkimKeyError(f"unreadable RSA key ({exc})") from None
    if bits < 1024:
        raise DkimKeyError(f"an RSA key of {bits} bits is too short: DKIM takes 1024 at least, 2048 advised")
    pem = b"-----BEGIN %s-----\n%s-----END %s-----\n" % (label, base64.encodebytes(der), label)
    return DkimKey("rsa-sha256", pem, bits)


def _ed25519_key(seed: bytes) -> DkimKey:
    if importlib.util.find_spec("nacl") is None:
        raise DkimKeyError(
            "Ed25519 signatures need PyNaCl (pip install pynacl); install it or use an RSA key"
        )
    return DkimKey("ed25519-sha256", base64.b64encode(seed), 256)


class DkimSigner:
    """Adds a ``DKIM-Signature`` (relaxed/relaxed, RFC 6376) over the body and those of ``headers`` the
    message has, as ``d=domain``, ``s=selector``. Safe to share between threads."""

    def __init__(
        self, key: DkimKey, selector: str, domain: str, headers: Sequence[str] = DEFAULT_DKIM_HEADERS
    ) -> None:
        self.key = key
        self.selector = selector
        self.domain = domain
        self.headers = tuple(headers)
        self._rsa = _rsa_private_key(key) if key.algorithm == "rsa-sha256" else None

    def sign(self, message: bytes) -> bytes:
        if self._rsa is None:
            return self._sign_with_dkimpy(message)
        return _rsa_signature(self._rsa, self.selector, self.domain, self.headers, message) + message

    def _sign_with_dkimpy(self, message: bytes) -> bytes:
        import dkim

        signer = dkim.DKIM(message, signature_algorithm=self.key.algorithm.encode(), linesep=b"\r\n")
        present = {bytes(name).lower() for name, _ in signer.headers}
        include = [name.encode() for name in self.headers if name.lower().encode() in present]
        try:
            signature = signer.sign(
                self.selector.encode(),
                self.domain.encode(),
                self.key.secret,
                canonicalize=(b"relaxed", b"relaxed"),
                include_headers=include,
            )
        except dkim.DKIMException as exc:
            raise ConfigurationFailure(f"DKIM signature failed: {exc}") from exc
        return bytes(signature) + message


@lru_cache(maxsize=8)
def _rsa_private_key(key: DkimKey) -> RSAPrivateKey:
    """The RSA key as OpenSSL holds it, parsed once."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    loaded = load_pem_private_key(key.secret, password=None)
    if not isinstance(loaded, RSAPrivateKey):
        raise DkimKeyError("not an RSA key")
    return loaded


def _relaxed_body(canon: CanonicalizationPolicy, body: bytes) -> bytes:
    """dkimpy's relaxed body canonicalisation, whose two regular expressions over the whole body (they
    took as long as the signature) are skipped when they would change nothing: no tab, no run of spaces,
    no space before a line break — as in a body encoded in base64 or quoted-printable."""
    if b"\t" in body or b"  " in body or b" \r\n" in body:
        return bytes(canon.canonicalize_body(body))
    from dkim.canonicalization import correct_empty_body, strip_trailing_lines

    return bytes(correct_empty_body(strip_trailing_lines(body)))


_SIGNATURE = b"DKIM-Signature"
_RELAXED = b"relaxed/relaxed"


def _rsa_signature(
    rsa: RSAPrivateKey, selector: str, domain_name: str, names: Sequence[str], message: bytes
) -> bytes:
    """The ``DKIM-Signature`` field (CRLF-terminated) of ``message``, as dkimpy's ``DKIM.sign`` writes it
    (the same tags, in the same order, folded alike), the RSA signature made by OpenSSL."""
    import dkim
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils
    from dkim.canonicalization import CanonicalizationPolicy

    end = message.find(b"\r\n\r\n")
    try:
        if end < 0:  # not as rendered for SMTP (bare LF, or no body): dkimpy's parser, slower, reads it
            headers, body = dkim.rfc822_parse(message)
        else:  # only the header is parsed: splitting a large body into lines took longer than the rest
            headers, _ = dkim.rfc822_parse(message[: end + 4])
            body = message[end + 4 :]
    except dkim.DKIMException as exc:
        raise ConfigurationFailure(f"DKIM signature failed: {exc}") from exc
    present = {bytes(name).lower() for name, _ in headers}
    include = [name.lower().encode() for name in names if name.lower().encode() in present]
    if b"from" not in include:
        raise ConfigurationFailure("DKIM signature failed: the message has no From field to sign")
    canon = CanonicalizationPolicy.from_c_value(_RELAXED)
    body_hash = base64.b64encode(hashlib.sha256(_relaxed_body(canon, body)).digest())
    domain = domain_name.encode()
    fields = [
        (b"v", b"1"),
        (b"a", b"rsa-sha256"),
        (b"c", _RELAXED),
        (b"d", domain),
        (b"i", b"@" + domain),
        (b"q", b"dns/txt"),
        (b"s", selector.encode()),
        (b"t", str(int(time.time())).encode()),
        (b"h", b" : ".join(include)),
        (b"bh", body_hash),
        (b"b", b"0" * 60),  # folds b= onto a line of its own, as dkimpy does
    ]
    value = dkim.fold(b"; ".join(b"=".join(f) for f in fields), namelen=len(_SIGNATURE), linesep=b"\r\n")
    digest = hashlib.sha256()
    dkim.hash_headers(
        digest,
        canon,
        canon.canonicalize_headers(headers),
        include,
        (_SIGNATURE, b" " + dkim.RE_BTAG.sub(b"\\1", value)),
        {},
    )
    signature = rsa.sign(digest.digest(), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    fields[-1] = (b"b", base64.b64encode(signature))
    value = b"; ".join(b"=".join(f) for f in fields) + b"\r\n"
    return _SIGNATURE + b": " + bytes(dkim.fold(value, namelen=len(_SIGNATURE), linesep=b"\r\n"))
