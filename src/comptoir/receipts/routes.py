"""receipts: HTTP API (thin: parse, call the service, map errors)."""

from __future__ import annotations

from fastapi import APIRouter

from comptoir.core.api import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/receipts", tags=["receipts"], responses=PROBLEM_RESPONSES)
