"""Hot single-statement reads from ``async`` routes, without blocking the event loop.

On PostgreSQL a read is a round trip to another process: run on the event loop through a blocking
driver, the loop would wait, idle, while the server works, and every other request with it; through the
thread pool, each read pays a hop to a thread and back. Here each event loop keeps a few psycopg
``AsyncConnection`` in autocommit (each statement sees what is committed when it runs, no transaction
stays open): the loop awaits the answer and serves other requests meanwhile, and the statement is
prepared by the server after a few runs, as on a kept synchronous connection.

SQLite has no round trip: a read is the process's own work on pages it has in memory, so the
synchronous kept connection (:meth:`comptoir.core.db.Database.read_rows`) serves there.

A connection that breaks is dropped and the statement tried once more on a new one (a server restart);
a statement that fails raises, and its connection serves the next read.
Connections belong to the event loop that opened them (a test client runs a loop per client); each
loop's are closed with the engine (``dispose``) or when the loop is gone.
"""

from __future__ import annotations

import asyncio
import importlib
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine

MAX_CONNECTIONS_PER_LOOP = 8


class _LoopConnections:
    """The connections of one event loop: idle ones, how many are open, and a wait for one to free up."""

    def __init__(self) -> None:
        self.idle: list[tuple[Any, int]] = []  # (connection, generation opened in)
        self.open = 0
        self.freed = asyncio.Condition()


class AsyncReads:
    """``await rows(sql, params)`` on PostgreSQL through per-loop psycopg async connections."""

    def __init__(self, engine: Engine, max_connections: int = MAX_CONNECTIONS_PER_LOOP) -> None:
        url = engine.url.set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self.max_connections = max_connections
        self.loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopConnections] = (
            weakref.WeakKeyDictionary()
        )
        self.generation = 0  # bumped by close(): connections opened before it are not reused
        self.psycopg = importlib.import_module("psycopg")  # PostgreSQL's driver, loaded with its engine

    async def rows(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
        for attempt in (1, 2):
            conn, born = await self._acquire()
            try:
                cursor = await conn.execute(sql, params)
                found = await cursor.fetchall()
            except self.psycopg.Error:
                if not (conn.broken or conn.closed):  # the statement failed, the connection is fine
                    await self._release(conn, born)
                    raise
                await self._discard(conn)
                if attempt == 2:
                    raise
                continue
            except BaseException:  # cancelled mid-statement: the connection's state is unknown
                await self._discard(conn)
                raise
            await self._release(conn, born)
            return list(found)
        raise AssertionError("unreachable")

    def _mine(self) -> _LoopConnections:
        loop = asyncio.get_running_loop()
        mine = self.loops.get(loop)
        if mine is None:
            mine = self.loops[loop] = _LoopConnections()
        return mine

    async def _acquire(self) -> tuple[Any, int]:
        """An idle connection of this loop, a new one while fewer than the maximum are open, else the
        first one freed; with the generation it was opened in."""
        mine = self._mine()
        async with mine.freed:
            while not mine.idle and mine.open >= self.max_connections:
                await mine.freed.wait()
            if mine.idle:
                return mine.idle.pop()
            mine.open += 1
            born = self.generation
        try:
            conn = await self.psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        except BaseException:
            await self._forget(mine)
            raise
        return conn, born

    async def _release(self, conn: Any, born: int) -> None:
        if born != self.generation or conn.closed:
            await self._discard(conn)
            return
        mine = self._mine()
        async with mine.freed:
            mine.idle.append((conn, born))
            mine.freed.notify()

    async def _discard(self, conn: Any) -> None:
        try:
            await conn.close()
        finally:
            await self._forget(self._mine())

    @staticmethod
    async def _forget(mine: _LoopConnections) -> None:
        async with mine.freed:
            mine.open -= 1
            mine.freed.notify()

    def close(self) -> None:
        """Close every idle connection (on its own loop while that loop runs, else at once) and retire
        the busy ones: they are closed when their read is done."""
        self.generation += 1
        for loop, mine in list(self.loops.items()):
            idle, mine.idle = mine.idle, []
            mine.open -= len(idle)
            for conn, _ in idle:
                if loop.is_running() and not loop.is_closed():
                    asyncio.run_coroutine_threadsafe(conn.close(), loop)
                else:
                    conn.pgconn.finish()

    def on_dispose(self, _engine: Engine) -> None:
        """The engine's ``engine_disposed`` event."""
        self.close()
