"""Admins make coaches; every coach command refuses partners politely."""

from __future__ import annotations

import pytest

from bot.app import CoachBot
from tests.fixtures.chat import Chat
from tests.fixtures.coaching import onboarded

COACH_COMMANDS = ["/addcoach 42", "/removecoach 42", "/coaches", "/cohort", "/webinar",
                  "/webinars", "/broadcast", "/broadcasts"]
COACH_BUTTONS = ["cb1:st:1", "cb1:x:1", "cb1:now", "cw1:att:1", "cw1:x:1", "cw1:xy:1",
                 "cw1:go", "cn1:1"]


async def test_the_admin_from_the_configuration_makes_rina_a_coach(admin: Chat,
                                                                   bot: CoachBot) -> None:
    await admin.send("/addcoach coach-1 Rina")
    assert "Rina is now a coach" in admin.text
    rina = Chat(bot, user="coach-1", language_hint="en")
    await rina.send("/language en")
    await rina.send("/coaches")
    assert "Rina (console:coach-1)" in rina.text and "console:admin-1" in rina.text
    await admin.send("/removecoach coach-1")
    assert "no longer a coach" in admin.text
    await rina.send("/webinar")
    assert "for coaches only" in rina.text


@pytest.mark.parametrize("command", COACH_COMMANDS)
async def test_a_partner_is_refused_every_coach_command(bot: CoachBot, command: str) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await sari.send(command)
    assert sari.text == "Sorry, that command is for coaches only 🙏"


@pytest.mark.parametrize("payload", COACH_BUTTONS)
async def test_a_partner_pressing_a_forged_coach_button_is_refused(bot: CoachBot,
                                                                   payload: str) -> None:
    sari = await onboarded(bot, "sari", "Sari")
    await sari.press_payload(payload)
    assert sari.text == "Sorry, that command is for coaches only 🙏"


async def test_a_coach_cannot_make_coaches_only_an_admin_can(coach: Chat) -> None:
    await coach.send("/addcoach 777")
    assert "only admins can manage coaches" in coach.text
    await coach.send("/removecoach admin-1")
    assert "only admins" in coach.text


async def test_addcoach_without_a_usable_id_explains_how(admin: Chat) -> None:
    await admin.send("/addcoach")
    assert "/addcoach 123456789" in admin.text
    await admin.send("/addcoach fax:123")
    assert "/addcoach 123456789" in admin.text
    await admin.send("/removecoach nobody-here")
    assert "don't know console:nobody-here" in admin.text


async def test_an_admin_stays_admin_when_removed_as_coach(admin: Chat) -> None:
    await admin.send("/removecoach admin-1")
    assert "is an admin" in admin.text
