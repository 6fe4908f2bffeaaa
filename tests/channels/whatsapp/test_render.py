"""How a reply looks on WhatsApp: formatting, and choices as buttons, a list or numbers."""

from __future__ import annotations

from bot.channels.whatsapp.inbound import WaMessage
from bot.channels.whatsapp.render import Labels, render, shorten, template_body, to_whatsapp
from bot.core import Button, InboundKind, Reply, rows

TO = "6281200000001"


def choices(*labels: str) -> Reply:
    return Reply("Pilih satu:", rows(*(Button(label, f"p:{i}") for i, label in
                                        enumerate(labels))))


def test_bold_and_italic_keep_whatsapp_markers_and_user_text_stays_as_typed() -> None:
    assert to_whatsapp("*Modul 1* — _santai_ saja") == "*Modul 1* — _santai_ saja"
    assert to_whatsapp("snake_case_name and 2 * 3") == "snake_case_name and 2 * 3"
    assert "<b>" not in to_whatsapp("*tebal*")


def test_up_to_three_short_choices_become_reply_buttons() -> None:
    out = render(TO, choices("Lanjut", "Ulangi", "Menu"))
    (body,) = out.bodies
    assert body["interactive"]["type"] == "button"
    assert [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]] == [
        "Lanjut", "Ulangi", "Menu"]
    assert out.menu is None


def test_a_label_too_long_for_a_button_moves_to_a_list_that_keeps_it_whole() -> None:
    long = "Saya ingin penghasilan tambahan untuk kuliah"
    out = render(TO, choices("Ya", long))
    (body,) = out.bodies
    assert body["interactive"]["type"] == "list"
    (row,) = [r for r in body["interactive"]["action"]["sections"][0]["rows"]
              if r["id"] == "p:1"]
    assert len(row["title"]) <= 24 and row["title"].endswith("…")
    assert row["description"] == long, "the whole label is still readable"


def test_four_to_ten_choices_become_a_list_with_a_label_in_the_partners_language() -> None:
    out = render(TO, choices(*[f"Zona {i}" for i in range(10)]), Labels(choose="Choose"))
    (body,) = out.bodies
    action = body["interactive"]["action"]
    assert body["interactive"]["type"] == "list" and action["button"] == "Choose"
    assert len(action["sections"][0]["rows"]) == 10


def test_more_than_ten_choices_become_numbered_text_answered_by_the_number() -> None:
    labels = [f"Kota {i}" for i in range(1, 13)]
    out = render(TO, choices(*labels), Labels(numbered_hint="Balas dengan angkanya."))
    assert all(b["type"] == "text" for b in out.bodies)
    text = out.bodies[-1]["text"]["body"]
    assert "12. Kota 12" in text and "Balas dengan angkanya" in text
    assert out.menu is not None

    answer = WaMessage(id="wamid.1", wa_id=TO, type="text", at=None, text="12")
    inbound = answer.inbound(out.menu)
    assert (inbound.kind, inbound.payload) == (InboundKind.BUTTON, "p:11")
    beyond = WaMessage(id="wamid.2", wa_id=TO, type="text", at=None, text="13")
    assert beyond.inbound(out.menu).kind is InboundKind.TEXT, "a number off the menu is text"
    assert answer.inbound(None).kind is InboundKind.TEXT, "without a menu a number is text"


def test_same_titles_after_cutting_stay_distinct() -> None:
    out = render(TO, choices(*(["Pelajari modul dasar untuk mitra baru"] * 2)))
    rows_ = out.bodies[0]["interactive"]["action"]["sections"][0]["rows"]
    assert len({r["title"] for r in rows_}) == 2


def test_long_text_before_buttons_is_split_and_the_buttons_go_with_the_last_part() -> None:
    reply = Reply("kata " * 400, rows(Button("Lanjut", "n")))
    out = render(TO, reply)
    assert [b["type"] for b in out.bodies] == ["text", "interactive"]
    assert len(out.bodies[-1]["interactive"]["body"]["text"]) <= 1024


def test_an_image_with_a_short_text_goes_with_it_as_its_caption() -> None:
    (body,) = render(TO, Reply("Lihat contohnya", image="https://x.test/a.png")).bodies
    assert body["image"] == {"link": "https://x.test/a.png", "caption": "Lihat contohnya"}


def test_shorten_cuts_at_a_word() -> None:
    assert shorten("Lanjut ke modul berikutnya", 20) == "Lanjut ke modul…"
    assert shorten("Pendek", 20) == "Pendek"


def test_template_parameters_hold_no_new_lines() -> None:
    body = template_body(TO, "pengingat", "id", ["*Webinar* besok\n\njam 10"])
    (param,) = body["template"]["components"][0]["parameters"]
    assert param["text"] == "*Webinar* besok jam 10"


def test_stop_and_berhenti_opt_out_as_the_stop_command() -> None:
    for word in ("STOP", "berhenti", " Stop "):
        msg = WaMessage(id="w", wa_id=TO, type="text", at=None, text=word).inbound()
        assert (msg.kind, msg.command) == (InboundKind.COMMAND, "stop")
    keep = WaMessage(id="w", wa_id=TO, type="text", at=None, text="jangan berhenti dulu")
    assert keep.inbound().kind is InboundKind.TEXT
