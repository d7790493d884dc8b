"""The mail queue's fast paths give what the slow ones gave: a DKIM signature made by OpenSSL is the very
signature dkimpy makes (RSA PKCS #1 v1.5 is deterministic) and verifies with the published key; a message
written by ``message_bytes`` reads as ``render(compose(...))`` reads — the same fields, parts, texts and
attachments."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path
from typing import Any

import dkim
import pytest

from comptoir.core import dkim_signing
from comptoir.core.mail import (
    Attachment,
    DkimSigner,
    Mail,
    compose,
    load_dkim_key,
    render,
    unsubscribe_headers,
)
from comptoir.core.mail_bytes import message_bytes

SENDER = "Boutique Lumière <news@shop.example.fr>"
SELECTOR = "s2026"
LONG = "une ligne bien plus longue que soixante-dix-huit caractères, qui sera donc encodée " * 2


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    from dkim import dknewkey

    if not Path(dknewkey.OPENSSL_BINARY).exists():
        pytest.skip(f"dkimpy's key helpers run {dknewkey.OPENSSL_BINARY}")
    folder = tmp_path_factory.mktemp("dkim")
    dknewkey.GenRSAKeys(str(folder / "private.pem"), verbose=False)
    dknewkey.ExtractRSADnsPublicKey(str(folder / "private.pem"), str(folder / "dns.txt"), verbose=False)
    return folder / "private.pem", (folder / "dns.txt").read_bytes()


def dns_for(record: bytes) -> Any:
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == f"{SELECTOR}._domainkey.shop.example.fr.".encode() else None

    return lookup


MAILS = [
    Mail(to="client@example.fr", subject="Ticket", text="Merci.\n", message_id="<a1@shop.example.fr>"),
    Mail(
        to="Clémence Dupont <clemence@example.fr>",
        subject="Votre rendez-vous du jeudi 10 décembre est confirmé — à bientôt, c’est un plaisir",
        text=f"Bonjour Clémence,\n\n{LONG}\n",
        html="<p>Bonjour Clémence</p>" + "<td style='padding:0'>é</td>" * 40,
        attachments=[
            Attachment("rendez-vous.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" * 20, "text/calendar")
        ],
        headers=unsubscribe_headers(
            "https://shop.example.fr/v1/unsubscribe?token=" + "t" * 120, mailto="u@shop.example.fr"
        ),
        reply_to="Service client <sav@shop.example.fr>",
        message_id="<a2@shop.example.fr>",
    ),
    Mail(
        to="x@example.fr",
        subject="x" * 90,
        text="é" * 200 + "\n" + "a\n" * 30,
        attachments=[
            Attachment("reçu n°1.pdf", b"%PDF-1.4" * 50, "application/pdf"),
            Attachment("b.bin", b"\0\1" * 40),
        ],
        message_id="<a3@shop.example.fr>",
    ),
]


def reading(raw: bytes) -> list[Any]:
    """What a mail client reads: the fields in any order (but the date and the boundaries), each part's type,
    charset, file name and decoded content."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    fields = sorted((k, str(v)) for k, v in parsed.items() if k not in ("Date", "Content-Type"))
    parts = [
        (
            p.get_content_type(),
            p.get_param("charset"),
            p.get_filename(),
            None if p.is_multipart() else p.get_content(),
        )
        for p in parsed.walk()
    ]
    assert not parsed.defects and not any(p.defects for p in parsed.walk())
    return fields + parts


@pytest.mark.parametrize("mail", MAILS, ids=["ascii", "accented", "no-html"])
def test_a_message_written_directly_reads_as_the_composed_one(mail: Mail) -> None:
    written, message_id = message_bytes(mail, SENDER)
    assert message_id == mail.message_id
    assert reading(written) == reading(render(compose(mail, SENDER)))
    assert b"\r\n" in written and b"\n" not in written.replace(b"\r\n", b"")


def test_a_message_without_its_own_id_gets_one_on_the_senders_domain() -> None:
    written, message_id = message_bytes(Mail(to="a@example.fr", subject="S", text="T"), SENDER)
    assert message_id.endswith("@shop.example.fr>")
    assert f"Message-ID: {message_id}".encode() in written


def test_a_line_break_in_a_field_is_refused_as_compose_refuses_it() -> None:
    with pytest.raises(ValueError):
        message_bytes(Mail(to="a@example.fr", subject="Hello\r\nBcc: b@example.fr", text="T"), SENDER)


@pytest.mark.parametrize("mail", MAILS, ids=["ascii", "accented", "no-html"])
def test_openssl_signs_as_dkimpy_does_and_the_signature_verifies(rsa_key, monkeypatch, mail) -> None:  # type: ignore[no-untyped-def]
    key, record = rsa_key
    monkeypatch.setattr(dkim_signing.time, "time", lambda: 1_800_000_000)
    monkeypatch.setattr(dkim.time, "time", lambda: 1_800_000_000)
    message = message_bytes(mail, SENDER)[0]
    signer = DkimSigner(load_dkim_key(key), SELECTOR, "shop.example.fr")
    signed = signer.sign(message)
    # the same DKIM-Signature field, byte for byte, as dkimpy's pure-Python RSA makes
    assert signed == signer._sign_with_dkimpy(message)
    assert dkim.verify(signed, dnsfunc=dns_for(record)) is True
    assert (
        dkim.verify(signed.replace(b"shop.example.fr>", b"shop.example.com>", 1), dnsfunc=dns_for(record))
        is False
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\r\n",
        b"a\r\n\r\n\r\n",
        b"plain line\r\nanother\r\n",
        b"tab\there\r\n",
        b"two  spaces\r\n",
        b"end \r\nx",
        b"x",
    ],
)
def test_the_relaxed_body_is_dkimpys_with_or_without_its_regular_expressions(body: bytes) -> None:
    from dkim.canonicalization import CanonicalizationPolicy

    canon = CanonicalizationPolicy.from_c_value(b"relaxed/relaxed")
    assert dkim_signing._relaxed_body(canon, body) == canon.canonicalize_body(body)
