"""Run ``comptoir <args>`` with a pause inside every checkout, once its stock is held and before the order
is written: the test watches for the pause file, then kills the server in the middle of the transaction.

    python -m tests.support.paused_checkout <pause-file> serve --port 8123 --no-dispatcher

The pause writes the process id into ``<pause-file>`` (atomically: the file appears with its content)
and waits while the file exists, at most a minute. Only a one-process server keeps the pause (several
workers would be fresh interpreters).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def pause_at(target: Path, *, longest: float = 60.0) -> Callable[[], None]:
    def pause() -> None:
        written = target.with_name(target.name + ".tmp")
        written.write_text(str(os.getpid()))
        written.replace(target)
        deadline = time.monotonic() + longest
        while time.monotonic() < deadline and target.exists():
            time.sleep(0.05)

    return pause


def main(argv: Sequence[str]) -> None:
    from comptoir.cli import main as comptoir
    from comptoir.orders import checkout

    target, *args = argv
    checkout.STOCK_HELD_HOOKS.append(pause_at(Path(target)))
    sys.argv = ["comptoir", *args]
    comptoir()


if __name__ == "__main__":
    main(sys.argv[1:])
