"""Privacy: partners see, and erase, what is stored about them."""

from __future__ import annotations

from typing import ClassVar

from bot.core.feature import Router
from handlers.kit.context import Context
from handlers.kit.feature import FeatureBase
from handlers.privacy import chat


class Privacy(FeatureBase):
    name: ClassVar[str] = "privacy"

    def routes(self, router: Router[Context]) -> None:
        router.command("mydata", "dataku", help_key="help_mydata")(chat.my_data)
        router.command("deletedata", "hapusdata", help_key="help_deletedata")(chat.delete_data)
        router.button(chat.PrivacyButton)(chat.on_button)


FEATURE = Privacy()
