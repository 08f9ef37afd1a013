"""A FastAPI app served on a free local port from a thread: what every fake provider runs on,
with the failures every fake can be told to give (a script of steps, a delay, failing for good)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Self

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response


class LocalServer:
    def __init__(self) -> None:
        self.app = FastAPI()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(self.app, port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.script: deque[str] = deque()  # per request: ok | 429 | 500 | 503 | malformed | slow
        self.delay = 0.0  # seconds every answer takes (slow, without blocking the server)
        self.failing = False  # every request answered 503

    async def scripted(self, error: Callable[[int], Any]) -> Response | None:
        """The failure this request is to get instead of its answer (``error(status)`` is the
        provider's error body), after the delay; None to answer it."""
        if self.delay:
            await asyncio.sleep(self.delay)
        step = self.script.popleft() if self.script else ("503" if self.failing else "ok")
        if step in ("429", "500", "503"):
            headers = {"Retry-After": "0"} if step == "429" else {}
            return JSONResponse(error(int(step)), int(step), headers=headers)
        if step == "malformed":
            return PlainTextResponse("<html>gateway</html>", 200)
        if step == "slow":
            time.sleep(3)  # blocks this server's loop, as a stalled gateway does
        return None

    def start(self) -> Self:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)
