"""``comptoir returns …`` commands."""

from __future__ import annotations

import typer


def register_cli(app: typer.Typer, import_app: typer.Typer) -> None:
    return None
