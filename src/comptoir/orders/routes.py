"""orders: HTTP API (thin: parse, call the service, map errors)."""

from __future__ import annotations

from fastapi import APIRouter

from comptoir.core.api import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=PROBLEM_RESPONSES)
