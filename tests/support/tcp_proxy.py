"""A TCP proxy on loopback that a test can cut: every connection through it reset at once, as a network
drop does to a browser's WebSockets (Chromium's offline emulation leaves WebSockets open)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class TcpProxy:
    """``with TcpProxy(target_port) as proxy:`` — connect to ``proxy.port``; ``proxy.drop()`` resets every
    connection open through it (new ones are accepted again at once)."""

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.target_port = host, target_port
        self.port = 0
        self.drops = 0
        self._loop = asyncio.new_event_loop()
        self._links: set[Any] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, self.host, 0), self._loop
        ).result(10)
        self.port = int(server.sockets[0].getsockname()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()

        async def stop() -> None:  # the pipes' tasks end before the loop does
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.close()
            return
        link = (writer, up_writer)
        self._links.add(link)
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._links.discard(link)

    def drop(self) -> int:
        """Reset every open connection (both ends); how many were cut."""

        def cut() -> int:
            links = list(self._links)
            for client, upstream in links:
                client.transport.abort()
                upstream.transport.abort()
            self._links.clear()
            return len(links)

        done = threading.Event()
        count: list[int] = []
        self._loop.call_soon_threadsafe(lambda: (count.append(cut()), done.set()))
        done.wait(5)
        self.drops += 1
        return count[0] if count else 0
