"""E-mail: DKIM-signed over a real SMTP server and into files, a fixed Message-ID kept across retries,
one-click unsubscribe header fields, and what the server's refusals mean (hard bounce or retry)."""

from __future__ import annotations

import email
import shutil
import smtplib
import subprocess
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import dkim
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pydantic import ValidationError

from comptoir.core.mail import (
    DkimSigner,
    FileMailer,
    Mail,
    SmtpMailer,
    compose,
    load_dkim_key,
    mailer_from_settings,
    render,
    smtp_failure,
    unsubscribe_headers,
)
from comptoir.core.messaging import (
    ConfigurationFailure,
    MessageRefused,
    PermanentFailure,
    TransientFailure,
)
from comptoir.core.settings import Settings
from tests.support.processes import free_port

SENDER = "Boutique Lumière <news@shop.example.fr>"
SELECTOR = "s2026"
UNSUBSCRIBE = "https://shop.example.fr/v1/engagement/unsubscribe/" + "tok_" + "0123456789abcdef" * 6


def openssl(*args: str) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command makes the test keys")
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A 2048-bit RSA key made by dkimpy's helpers, and the TXT record publishing it."""
    from dkim import dknewkey

    if not Path(dknewkey.OPENSSL_BINARY).exists():
        pytest.skip(f"dkimpy's key helpers run {dknewkey.OPENSSL_BINARY}")
    folder = tmp_path_factory.mktemp("dkim")
    dknewkey.GenRSAKeys(str(folder / "private.pem"), verbose=False)
    dknewkey.ExtractRSADnsPublicKey(str(folder / "private.pem"), str(folder / "dns.txt"), verbose=False)
    return folder / "private.pem", (folder / "dns.txt").read_bytes()


def dns_for(record: bytes, domain: str = "shop.example.fr") -> Any:
    """What DNS answers for ``s2026._domainkey.<domain>``, and nothing else."""

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == f"{SELECTOR}._domainkey.{domain}.".encode() else None

    return lookup


def dkim_settings(key: Path, **extra: Any) -> Settings:
    return Settings(mail_from=SENDER, dkim_private_key_file=key, dkim_selector=SELECTOR, **extra)


def newsletter(**extra: Any) -> Mail:
    return Mail(
        to="Claire Martin <claire.martin@example.fr>",
        subject="Les nouveautés de mars — jusqu'à -30 %",
        text="Bonjour Claire,\n\nDécouvrez nos nouveautés.\n",
        html="<p>Bonjour Claire,</p><p>Découvrez nos nouveautés.</p>",
        headers=unsubscribe_headers(UNSUBSCRIBE, mailto="unsubscribe@shop.example.fr"),
        **extra,
    )


def signature_tags(message: bytes) -> dict[str, str]:
    parsed = email.message_from_bytes(message, policy=policy.default)
    value = "".join(str(parsed["DKIM-Signature"]).split())
    return dict(tag.split("=", 1) for tag in value.split(";") if tag)


class Recorder:
    """An SMTP server's handler (aiosmtpd) keeping what it accepts; refusals set per stage by a test."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.rcpt_reply = "250 OK"
        self.data_reply = "250 queued as 4F2A1"
        self.quit_reply: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.received.append(envelope.content)
        return self.data_reply

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        return self.quit_reply or "221 Bye"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


# -- signed ------------------------------------------------------------------------------------------------


def test_a_message_sent_over_smtp_is_signed_and_verifies_with_the_published_key(rsa_key, smtp_server) -> None:  # type: ignore[no-untyped-def]
    key, record = rsa_key
    server, port = smtp_server
    # given DKIM configured, mail going to a real SMTP server, and a newsletter with a fixed Message-ID
    settings = dkim_settings(key, mail_url=f"smtp://127.0.0.1:{port}")
    mailer = mailer_from_settings(settings)
    assert isinstance(mailer, SmtpMailer)
    mail = newsletter(message_id="<eng.msg_0192f3c1a2b4@shop.example.fr>")
    # when it is sent
    mailer.deliver(render(compose(mail, settings.mail_from)), mail.to)
    # then the server received it signed by the sender's domain, and the signature verifies
    [received] = server.received
    assert dkim.verify(received, dnsfunc=dns_for(record)) is True
    tags = signature_tags(received)
    assert (tags["v"], tags["a"], tags["c"], tags["d"], tags["s"]) == (
        "1",
        "rsa-sha256",
        "relaxed/relaxed",
        "shop.example.fr",
        SELECTOR,
    )
    assert tags["h"].split(":") == [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "mime-version",
        "content-type",
    ]
    parsed = email.message_from_bytes(received, policy=policy.default)
    assert parsed["Message-ID"] == "<eng.msg_0192f3c1a2b4@shop.example.fr>"
    assert parsed["List-Unsubscribe"] == (
        f"<{UNSUBSCRIBE}>, <mailto:unsubscribe@shop.example.fr?subject=unsubscribe>"
    )
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (b"Subject: Les ", b"Subject: Des "),
        (b"<https://shop.example.fr/", b"<https://evil.example.com/"),
        (
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
            b"List-Unsubscribe-Post: List-Unsubscribe=Later",
        ),
        (b"Claire Martin <claire", b"Paul Martin <claire"),
    ],
    ids=["subject", "unsubscribe link", "one-click", "recipient"],
)
def test_tampering_with_a_signed_field_breaks_the_signature(rsa_key, tmp_path, before, after) -> None:  # type: ignore[no-untyped-def]
    key, record = rsa_key
    # given a signed message, verified as it left
    signed = DkimSigner(load_dkim_key(key), SELECTOR, "shop.example.fr").sign(
        render(compose(newsletter(), SENDER))
    )
    assert dkim.verify(signed, dnsfunc=dns_for(record)) is True
    # when one signed field is changed on the way, then it no longer verifies
    assert before in signed
    assert dkim.verify(signed.replace(before, after, 1), dnsfunc=dns_for(record)) is False


def test_tampering_with_the_body_breaks_the_signature_but_relaxed_whitespace_does_not(rsa_key) -> None:  # type: ignore[no-untyped-def]
    key, record = rsa_key
    signed = DkimSigner(load_dkim_key(key), SELECTOR, "shop.example.fr").sign(
        render(
            compose(Mail(to="claire.martin@example.fr", subject="Votre colis", text="Livré demain."), SENDER)
        )
    )
    # a relay re-spacing a header and the body's line ends (relaxed canonicalisation) keeps it valid
    respaced = signed.replace(b"Subject: Votre colis", b"Subject:   Votre   colis").replace(
        b"demain.\r\n", b"demain.  \r\n\r\n"
    )
    assert dkim.verify(respaced, dnsfunc=dns_for(record)) is True
    # a changed word in the body does not
    assert dkim.verify(signed.replace(b"demain", b"lundi "), dnsfunc=dns_for(record)) is False
    # nor a key other than the one published
    other = DkimSigner(load_dkim_key(key), SELECTOR, "other.example.fr").sign(
        render(compose(newsletter(), SENDER))
    )
    assert dkim.verify(other, dnsfunc=dns_for(record)) is False


def test_the_file_transport_signs_too_with_the_configured_domain_and_headers(rsa_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    key, record = rsa_key
    settings = dkim_settings(
        key,
        mail_url=f"file://{tmp_path}",
        dkim_domain="mail.shop.example.fr",
        dkim_headers="From,Subject,Message-ID,Reply-To",
    )
    mailer = mailer_from_settings(settings)
    assert isinstance(mailer, FileMailer)
    mail = Mail(to="claire.martin@example.fr", subject="Votre ticket", text="Merci de votre visite.")
    mailer.deliver(render(compose(mail, settings.mail_from)), mail.to)
    (path,) = tmp_path.glob("*.eml")
    written = path.read_bytes()
    tags = signature_tags(written)
    # the message has no Reply-To: only the configured fields it has are signed
    assert (tags["d"], tags["h"]) == ("mail.shop.example.fr", "from:subject:message-id")
    assert dkim.verify(written, dnsfunc=dns_for(record, "mail.shop.example.fr")) is True


def test_without_a_key_messages_go_out_as_before_unsigned(tmp_path) -> None:  # type: ignore[no-untyped-def]
    mailer = mailer_from_settings(Settings(mail_url=f"file://{tmp_path}", mail_from=SENDER))
    mail = Mail(to="claire.martin@example.fr", subject="Votre ticket", text="Merci.")
    message = compose(mail, SENDER)
    mailer.deliver(render(message), mail.to)
    (path,) = tmp_path.glob("*.eml")
    assert path.read_bytes() == render(message)
    assert b"DKIM-Signature" not in path.read_bytes()


# -- the key -----------------------------------------------------------------------------------------------


def test_the_key_file_is_read_once_per_path(rsa_key, tmp_path) -> None:  # type: ignore[no-untyped-def]
    key, _ = rsa_key
    copy = tmp_path / "dkim.pem"
    copy.write_bytes(key.read_bytes())
    settings = dkim_settings(copy, mail_url=f"file://{tmp_path / 'mail'}")  # read when the settings load
    loaded = load_dkim_key(copy)
    assert (loaded.algorithm, loaded.bits) == ("rsa-sha256", 2048)
    assert "BEGIN" not in repr(loaded)
    # once read, the file is not read again (a mailer made later signs with the kept key)
    copy.unlink()
    assert load_dkim_key(str(copy)) is loaded
    assert mailer_from_settings(settings).signer.key is loaded  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("content", "fault"),
    [
        (None, "cannot read"),
        (b"not a key\n", "no PEM private key"),
        (
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "encrypted",
        ),
        (b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "unreadable RSA key"),
    ],
    ids=["missing", "garbage", "encrypted", "damaged"],
)
def test_an_unusable_key_file_stops_the_start_with_a_clear_error(tmp_path, content, fault) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "dkim.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValidationError) as raised:
        dkim_settings(path)
    message = str(raised.value)
    assert "COMPTOIR_DKIM_PRIVATE_KEY_FILE" in message
    assert str(path) in message
    assert fault in message


def test_a_short_rsa_key_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    openssl("genrsa", "-out", str(tmp_path / "short.pem"), "512")
    with pytest.raises(ValidationError, match="512 bits is too short"):
        dkim_settings(tmp_path / "short.pem")


def test_an_ed25519_key_signs_and_verifies_with_its_published_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import base64
    import subprocess

    openssl("genpkey", "-algorithm", "ed25519", "-out", str(tmp_path / "ed.pem"))
    key = load_dkim_key(tmp_path / "ed.pem")
    assert (key.algorithm, key.bits) == ("ed25519-sha256", 256)
    public = subprocess.run(
        ["openssl", "pkey", "-in", str(tmp_path / "ed.pem"), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout[-32:]  # the raw key ends the DER form (RFC 8410)
    record = b"v=DKIM1; k=ed25519; p=" + base64.b64encode(public)
    signed = DkimSigner(key, SELECTOR, "shop.example.fr").sign(render(compose(newsletter(), SENDER)))
    assert signature_tags(signed)["a"] == "ed25519-sha256"
    assert dkim.verify(signed, dnsfunc=dns_for(record)) is True
    assert dkim.verify(signed.replace(b"Subject: ", b"Subject: Re: ", 1), dnsfunc=dns_for(record)) is False


def test_dkim_settings_that_would_sign_nothing_or_badly_are_refused(rsa_key) -> None:  # type: ignore[no-untyped-def]
    key, _ = rsa_key
    with pytest.raises(ValidationError, match="COMPTOIR_DKIM_SELECTOR must name"):
        Settings(dkim_private_key_file=key)
    with pytest.raises(ValidationError, match="mail would go out unsigned"):
        Settings(dkim_selector=SELECTOR)
    with pytest.raises(ValidationError, match="must include From"):
        dkim_settings(key, dkim_headers="To,Subject")
    with pytest.raises(ValidationError, match="'Received' cannot be signed"):
        dkim_settings(key, dkim_headers="From,Received")
    with pytest.raises(ValidationError, match="must be a DNS name"):
        dkim_settings(key, dkim_domain="shop example.fr")


# -- Message-ID and unsubscribe fields ---------------------------------------------------------------------


def test_a_fixed_message_id_is_kept_by_every_composition() -> None:
    mail = newsletter(message_id="eng.msg_0192f3c1a2b4@shop.example.fr")
    # the brackets are added, and each composition (each retry) carries the same one
    assert mail.message_id == "<eng.msg_0192f3c1a2b4@shop.example.fr>"
    first, retry = compose(mail, SENDER), compose(mail, SENDER)
    assert first["Message-ID"] == retry["Message-ID"] == "<eng.msg_0192f3c1a2b4@shop.example.fr>"
    # without one, each composition makes its own on the sender's domain
    plain = Mail(to="claire.martin@example.fr", subject="Votre colis", text="Expédié.")
    one, two = compose(plain, SENDER)["Message-ID"], compose(plain, SENDER)["Message-ID"]
    assert one != two
    assert one.endswith("@shop.example.fr>")


@pytest.mark.parametrize(
    "value", ["no-at-sign", "<a b@shop.fr>", "<x@shop.fr>\r\nBcc: x@evil.fr", "<@shop.fr>"]
)
def test_a_malformed_message_id_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is not a Message-ID"):
        Mail(to="claire.martin@example.fr", subject="s", text="t", message_id=value)


def test_unsubscribe_fields_take_an_https_link_and_stay_unencoded_however_long() -> None:
    with pytest.raises(ValueError, match="https://"):
        unsubscribe_headers("http://shop.example.fr/unsubscribe/tok")
    with pytest.raises(ValueError, match="percent-encode"):
        unsubscribe_headers("https://shop.example.fr/unsubscribe/a b")
    rendered = render(compose(newsletter(), SENDER))
    # the long link is folded between the two links only, never turned into encoded words
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>,\r\n <mailto:".encode() in rendered
    assert b"=?utf-8?" not in rendered.split(b"List-Unsubscribe-Post")[0].split(b"List-Unsubscribe:")[1]


# -- what the server's answers mean ------------------------------------------------------------------------


def send(port: int, mail: Mail | None = None) -> None:
    mail = mail or Mail(to="claire.martin@example.fr", subject="Votre colis", text="Expédié.")
    SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5).deliver(render(compose(mail, SENDER)), mail.to)


@pytest.mark.parametrize(
    ("stage", "reply", "failure", "status"),
    [
        (
            "rcpt",
            "550 5.1.1 <claire.martin@example.fr>: Recipient address rejected: User unknown",
            PermanentFailure,
            "5.1.1",
        ),
        ("rcpt", "553 mailbox name not allowed", PermanentFailure, None),
        ("rcpt", "450 4.2.1 Mailbox busy, try again later", TransientFailure, "4.2.1"),
        ("rcpt", "552 5.2.2 Mailbox full", TransientFailure, "5.2.2"),
        ("rcpt", "554 5.7.1 Relay access denied", MessageRefused, "5.7.1"),
        ("data", "554 5.7.1 Message rejected as spam", MessageRefused, "5.7.1"),
        ("data", "552 5.3.4 Message size exceeds fixed limit", MessageRefused, "5.3.4"),
        ("data", "550 5.1.1 User unknown", PermanentFailure, "5.1.1"),
        ("data", "451 4.3.0 Temporary local problem", TransientFailure, "4.3.0"),
    ],
)
def test_a_refusal_says_whether_the_address_bounced_or_the_send_may_be_retried(
    smtp_server, stage, reply, failure, status
) -> None:  # type: ignore[no-untyped-def]
    server, port = smtp_server
    setattr(server, f"{stage}_reply", reply)
    with pytest.raises(failure) as raised:
        send(port)
    assert type(raised.value) is failure
    assert (raised.value.code, raised.value.status) == (int(reply[:3]), status)
    assert raised.value.detail == reply
    assert server.received == []


def test_a_refused_sign_in_is_our_configuration_not_the_recipient(smtp_server) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    controller = Controller(
        Recorder(),
        hostname="127.0.0.1",
        port=port,
        auth_require_tls=False,
        authenticator=lambda *args: AuthResult(success=False, handled=False),
    )
    controller.start()
    try:
        with pytest.raises(ConfigurationFailure) as raised:
            SmtpMailer(f"smtp://shop:wrong@127.0.0.1:{port}", SENDER, timeout=5).deliver(
                render(compose(newsletter(), SENDER)), "claire.martin@example.fr"
            )
    finally:
        controller.stop()
    assert raised.value.code == 535
    assert isinstance(raised.value, TransientFailure)  # retried until an operator fixes it, no bounce


def test_an_unreachable_server_is_a_transient_failure() -> None:
    with pytest.raises(TransientFailure) as raised:
        send(free_port())  # nothing listens there
    assert type(raised.value) is TransientFailure
    assert "ConnectionRefusedError" in raised.value.detail


def test_a_message_accepted_before_a_failed_goodbye_counts_as_sent(smtp_server) -> None:  # type: ignore[no-untyped-def]
    server, port = smtp_server
    # given a server that accepts the message, then answers QUIT with an error
    server.quit_reply = "421 4.4.2 closing, bad connection"
    # when the message is sent, then no failure is raised (a retry would send it a second time)
    send(port)
    assert len(server.received) == 1


def test_smtp_errors_outside_a_session_map_as_well() -> None:
    assert type(smtp_failure(smtplib.SMTPServerDisconnected("lost"))) is TransientFailure
    assert type(smtp_failure(TimeoutError("timed out"))) is TransientFailure
    assert type(smtp_failure(smtplib.SMTPNotSupportedError("STARTTLS extension not supported"))) is (
        ConfigurationFailure
    )
    sender = smtp_failure(smtplib.SMTPSenderRefused(553, b"5.7.1 Sender address rejected", "news@shop.fr"))
    assert (type(sender), sender.status) == (ConfigurationFailure, "5.7.1")
