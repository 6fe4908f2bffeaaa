"""The Telegram benchmark's baselines: an echo bot per library, written as its docs write one.

Development only: the bot never runs these, so they live beside the benchmark and not under
bot/channels. Each function imports its own library when called, so an echo process loads
only the library it measures.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Awaitable, Callable

EchoBot = Callable[..., Awaitable[None]]


async def aiogram_echo_bot(token: str, api_base: str, stop: asyncio.Event,
                           polling_timeout: int = 1, webhook: bool = False) -> None:
    """An aiogram echo bot as its docs write one (Dispatcher; polling, or a webhook behind
    aiogram's own aiohttp request handler), until `stop` is set."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        """Sends the partner's text back."""
        await message.answer(message.text or "…")

    if webhook:
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
        from aiohttp import web

        secret = secrets.token_urlsafe(16)
        app = web.Application()
        SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(
            app, path="/hook")
        setup_application(app, dp, bot=bot)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token=secret)
        await stop.wait()
        await runner.cleanup()
        return
    polling = asyncio.create_task(dp.start_polling(bot, polling_timeout=polling_timeout,
                                                   handle_signals=False, close_bot_session=True))
    await stop.wait()
    await dp.stop_polling()
    await polling


async def ptb_echo_bot(token: str, api_base: str, stop: asyncio.Event,
                       polling_timeout: int = 1, webhook: bool = False) -> None:
    """A PTB echo bot as its examples write one (Application; polling, or PTB's own webhook
    server), until `stop` is set.

    `concurrent_updates(True)` so the baseline serves partners in parallel, as ours does.
    """
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    base = api_base.rstrip("/")
    app = (Application.builder().token(token).base_url(f"{base}/bot")
           .base_file_url(f"{base}/file/bot").concurrent_updates(True).build())

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Sends the partner's text back."""
        if update.message is not None:
            await update.message.reply_text(update.message.text or "…")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        assert app.updater is not None
        if webhook:
            with socket.socket() as probe:  # PTB's server needs a port number up front
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            await app.updater.start_webhook(
                listen="127.0.0.1", port=port, url_path="hook",
                webhook_url=f"http://127.0.0.1:{port}/hook",
                secret_token=secrets.token_urlsafe(16))
        else:
            await app.updater.start_polling(poll_interval=0, timeout=polling_timeout)
        await app.start()
        await stop.wait()
        await app.updater.stop()
        await app.stop()


# by the driver name COACHBOT_TELEGRAM_DRIVER takes, so each is compared with its own library
ECHO_BOTS: dict[str, EchoBot] = {"aiogram": aiogram_echo_bot, "ptb": ptb_echo_bot}
