"""A coach answers a partner's data-access request from the terminal."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def test_a_partner_is_exported_as_json_and_an_unknown_one_is_refused(env: Path) -> None:
    csv = env / "roster.csv"
    csv.write_text("channel,external_id,chat_id,name,language,timezone,cohort\n"
                   "telegram,1001,1001,Sari,id,WITA,batch1\n", encoding="utf-8")
    assert runner.invoke(app, ["partners", "import", str(csv)]).exit_code == 0

    result = runner.invoke(app, ["partners", "export", "telegram:1001"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["profile"]["name"] == "Sari" and data["profile"]["id"] == "1001"
    assert "learning" in data
    missing = runner.invoke(app, ["partners", "export", "telegram:4242"])
    assert missing.exit_code == 2 and "no partner" in missing.output
