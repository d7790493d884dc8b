"""The baseline: a bare FastAPI app with one small JSON endpoint (no auth, no middleware, no database)."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/bare")
async def bare() -> dict[str, object]:
    return {"key_id": "key_000000000000", "channel": "web", "scopes": ["*:read"], "customer_id": None}
