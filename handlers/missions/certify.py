"""Earning a certificate: passing the final quiz and the missions the pack marks required.
A periodic job issues it and sends the PDF and PNG through the outbox; anyone with the code
can check it (`coachbot cert verify`), a coach can revoke it."""

from __future__ import annotations

import logging

from bot.core import OutFile, Reply
from bot.storage.repos import PartnerRecord
from content.loader import Pack
from handlers.missions.certificate import CertText, date_words, new_code, pdf, png
from handlers.missions.repo import CertificateRepo, CertRecord
from scheduler.scope import Scope

log = logging.getLogger(__name__)


def cert_text(scope: Scope, partner: PartnerRecord, pack: Pack, cert: CertRecord) -> CertText:
    lang = partner.language

    def t(key: str, **values: object) -> str:
        return scope.t(pack, lang, key, **values)

    return CertText(t("cert_heading"), t("cert_given_to"), t("cert_completed"), cert.name,
                    pack.meta.title.get(lang),
                    date_words(cert.issued_at.date(), lang),
                    t("cert_code_line", code=cert.code))


def files(text: CertText, code: str) -> tuple[OutFile, OutFile]:
    stem = f"sertifikat-{code}"
    return (OutFile(f"{stem}.pdf", pdf(text), "application/pdf"),
            OutFile(f"{stem}.png", png(text), "image/png"))


async def issue_due(scope: Scope) -> int:
    """Issues the certificates earned since the last run; each goes out with a warm word."""
    certs = scope.repo(CertificateRepo)
    found = await certs.candidates()
    required = {pack.id: [m.id for m in pack.missions.values() if m.required]
                for pack in scope.library.packs.values()}
    approved = await certs.approved([pid for pid, _ in found],
                                    sorted({m for ids in required.values() for m in ids}))
    issued = 0
    for pid, pack_id in found:
        pack = scope.library.packs.get(pack_id)
        if pack is None or not all((pid, m) in approved for m in required[pack.id]):
            continue
        partner = await scope.repos.partners.by_id(pid)
        if partner is None:
            continue
        name = partner.name or partner.external_id
        cert = await certs.issue(pid, pack.id, name, new_code(), scope.now)
        text = cert_text(scope, partner, pack, cert)
        message = scope.t(pack, partner.language, "cert_sent", name=name, code=cert.code,
                          program=pack.meta.title.get(partner.language))
        await scope.outbox.add(channel=partner.channel, chat_id=partner.chat_id,
                               kind="certificate",
                               reply=Reply(message, files=files(text, cert.code)),
                               due_at=scope.now, dedupe_key=f"cert:{cert.code}",
                               now=scope.now, partner_id=pid)
        log.info("certificate %s issued", cert.code, extra={"partner_id": pid})
        issued += 1
    return issued


async def sync(scope: Scope) -> None:
    await issue_due(scope)
