"""Hot single-statement reads from ``async`` routes, without blocking the event loop.

On PostgreSQL a read is a round trip to another process: run on the event loop through a blocking
driver, the loop would wait, idle, while the server works, and every other request with it; through the
thread pool, each read pays a hop to a thread and back. Here each event loop keeps a few ``asyncpg``
connections: the loop awaits the answer and serves other requests meanwhile. asyncpg keeps its
connection registered with the loop and parses the server's answer in compiled code, and it prepares
each statement on the server the first time a connection runs it: measured on the nearest-availability
read with eight reads in flight, 27 µs of CPU a read against 65-78 µs through psycopg's async
connections (``bench/availability.py``). Each statement runs on its own (no transaction stays open),
so it sees what is committed when it runs.

SQLite has no round trip: a read is the process's own work on pages it has in memory, so the
synchronous kept connection (:meth:`comptoir.core.db.Database.read_rows`) serves there.

A connection that breaks is dropped and the statement tried once more on a new one (a server restart);
a statement that fails raises, and its connection serves the next read. Connections belong to the event
loop that opened them (a test client runs a loop per client); each loop's are closed with the engine
(``dispose``) or when the loop is gone. Values come back as asyncpg decodes them (JSON as text, as on
SQLite).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from sqlalchemy.engine import Engine

from comptoir.core.statements import Statement, Statements

MAX_CONNECTIONS_PER_LOOP = 8


class _LoopConnections:
    """The connections of one event loop: idle ones, how many are open, and a slot per connection it may
    hold (a reader waits for one when all are busy)."""

    def __init__(self, max_connections: int) -> None:
        self.idle: list[tuple[Any, int]] = []  # (connection, generation opened in)
        self.open = 0
        self.slots = asyncio.Semaphore(max_connections)
        self.closer: AsyncGenerator[None, None] | None = None

    async def close_with_loop(self) -> None:
        """Close these connections when the loop shuts down: ``asyncio.run`` (and uvicorn, and the test
        client's loop) closes the async generators still open before closing the loop, which runs this
        one's ``finally`` on the loop while it can still close connections."""
        if self.closer is None:
            self.closer = self._closer()
            await anext(self.closer)

    async def _closer(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            idle, self.idle = self.idle, []
            self.open -= len(idle)
            for conn, _ in idle:
                conn.terminate()


class AsyncReads:
    """``await rows(statement, params)`` on PostgreSQL through per-loop asyncpg connections."""

    def __init__(self, engine: Engine, max_connections: int = MAX_CONNECTIONS_PER_LOOP) -> None:
        import asyncpg  # PostgreSQL's async driver, loaded with a PostgreSQL engine only
        from sqlalchemy.dialects.postgresql.asyncpg import dialect

        self.asyncpg = asyncpg
        self.dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.statements = Statements(dialect())  # type: ignore[no-untyped-call]
        self.max_connections = max_connections
        self.loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopConnections] = (
            weakref.WeakKeyDictionary()
        )
        self.generation = 0  # bumped by close(): connections opened before it are not reused

    async def rows(
        self, statement: Statement, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        sql, arguments = self.statements.prepare(statement, params)
        assert isinstance(arguments, list)  # asyncpg's parameters are positional ($1, $2 …)
        mine = self._mine()
        if mine.closer is None:
            await mine.close_with_loop()
        for attempt in (1, 2):
            await mine.slots.acquire()
            try:
                conn, born = await self._take(mine)
            except BaseException:
                mine.slots.release()
                raise
            try:
                found = await conn.fetch(sql, *arguments)
            except Exception:
                if not conn.is_closed():  # the statement failed, the connection is fine
                    self._give_back(mine, conn, born)
                    raise
                self._drop(mine, conn)
                if attempt == 2:
                    raise
                continue
            except BaseException:  # cancelled mid-statement: the connection's state is unknown
                self._drop(mine, conn)
                raise
            self._give_back(mine, conn, born)
            return [tuple(record) for record in found]
        raise AssertionError("unreachable")

    def _mine(self) -> _LoopConnections:
        loop = asyncio.get_running_loop()
        mine = self.loops.get(loop)
        if mine is None:
            mine = self.loops[loop] = _LoopConnections(self.max_connections)
        return mine

    async def _take(self, mine: _LoopConnections) -> tuple[Any, int]:
        """With a slot held: an idle connection of this loop, else a new one; with the generation it
        was opened in. Only this loop's thread touches its connections."""
        while mine.idle:
            conn, born = mine.idle.pop()
            if born == self.generation and not conn.is_closed():
                return conn, born
            conn.terminate()  # opened before the engine was disposed of, or closed by the server
            mine.open -= 1
        born = self.generation
        conn = await self.asyncpg.connect(self.dsn)
        mine.open += 1
        return conn, born

    def _give_back(self, mine: _LoopConnections, conn: Any, born: int) -> None:
        if born != self.generation or conn.is_closed():
            self._drop(mine, conn)
            return
        mine.idle.append((conn, born))
        mine.slots.release()

    @staticmethod
    def _drop(mine: _LoopConnections, conn: Any) -> None:
        conn.terminate()
        mine.open -= 1
        mine.slots.release()

    def close(self) -> None:
        """Retire every connection: idle ones are closed (by their loop's own thread while it runs, else
        at once), busy ones when their read is done, and none opened before is used again."""
        self.generation += 1
        for loop, mine in list(self.loops.items()):
            if loop.is_closed():
                # Its connections cannot be closed through a loop that is gone: dropped, their
                # sockets close when they are collected.
                mine.idle, mine.open = [], 0
            elif loop.is_running():
                loop.call_soon_threadsafe(self._retire, mine)
            else:
                self._retire(mine)

    def _retire(self, mine: _LoopConnections) -> None:
        keep = []
        for conn, born in mine.idle:
            if born == self.generation:
                keep.append((conn, born))
            else:
                conn.terminate()
                mine.open -= 1
        mine.idle = keep

    def on_dispose(self, _engine: Engine) -> None:
        """The engine's ``engine_disposed`` event."""
        self.close()
