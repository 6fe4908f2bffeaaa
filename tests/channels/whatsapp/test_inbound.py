"""What WhatsApp's webhook says, read into messages and statuses."""

from __future__ import annotations

from bot.channels.whatsapp.inbound import read
from bot.core import Attachment, InboundKind


def change(**value: object) -> dict[str, object]:
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", **value}}]}]}


SARI = {"profile": {"name": "Sari"}, "wa_id": "6281200000001"}


def msg(kind: str, part: dict[str, object], mid: str = "wamid.1") -> dict[str, object]:
    return {"from": "6281200000001", "id": mid, "timestamp": "1764640000", "type": kind,
            kind: part}


def test_text_with_the_profile_name() -> None:
    (m,), _ = read(change(contacts=[SARI], messages=[msg("text", {"body": "halo"})]))
    inbound = m.inbound()
    assert (inbound.kind, inbound.text, inbound.display_name) == (InboundKind.TEXT, "halo",
                                                                  "Sari")
    assert inbound.update_id == "wamid.1" and inbound.chat_id == "6281200000001"


def test_button_and_list_replies_carry_the_payload() -> None:
    (b, li), _ = read(change(messages=[
        msg("interactive", {"type": "button_reply", "button_reply": {"id": "lm:next",
                                                                     "title": "Lanjut"}}),
        msg("interactive", {"type": "list_reply", "list_reply": {"id": "tz:WITA",
                                                                 "title": "WITA"}}, "w2")]))
    assert (b.inbound().kind, b.inbound().payload) == (InboundKind.BUTTON, "lm:next")
    assert li.inbound().payload == "tz:WITA"


def test_images_and_documents_arrive_as_attachments_with_their_caption() -> None:
    (img, doc), _ = read(change(messages=[
        msg("image", {"id": "MEDIA1", "mime_type": "image/jpeg", "caption": "bukti transfer"}),
        msg("document", {"id": "MEDIA2", "mime_type": "application/pdf",
                         "filename": "ktp.pdf", "file_size": 1234}, "w2")]))
    assert img.inbound().text == "bukti transfer"
    assert img.inbound().attachments == (Attachment("photo", "MEDIA1", "", "image/jpeg"),)
    assert doc.inbound().attachments == (
        Attachment("document", "MEDIA2", "ktp.pdf", "application/pdf", 1234),)


def test_locations_contacts_and_voice_notes_are_marked_unread() -> None:
    found, _ = read(change(messages=[
        msg("location", {"latitude": -6.2, "longitude": 106.8}),
        msg("contacts", {}, "w2"), msg("audio", {"id": "A"}, "w3"),
        msg("some_future_type", {}, "w4")]))
    assert all(m.unread for m in found)


def test_statuses_with_their_error_codes_and_junk_is_skipped() -> None:
    messages, statuses = read(change(statuses=[
        {"id": "wamid.9", "status": "failed", "recipient_id": "62812", "timestamp": "1",
         "errors": [{"code": 131026, "title": "Message undeliverable"}]},
        {"id": "wamid.8", "status": "read", "recipient_id": "62812", "timestamp": "2"},
        {"status": "read"}], messages=[{"type": "text"}, "junk"]))
    assert messages == []
    assert [(s.wamid, s.status, s.error_code) for s in statuses] == [
        ("wamid.9", "failed", 131026), ("wamid.8", "read", None)]
    assert read([1, 2]) == ([], []) and read({"entry": "x"}) == ([], [])
