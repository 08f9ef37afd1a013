"""A local server speaking the OpenAI chat-completions shape, with scripted failures.

Each request takes the next step of ``script`` (default ``ok``): ``ok`` answers a JSON object,
``429`` and ``500`` fail with the API's error body, ``slow`` sleeps past any sane timeout,
``malformed`` answers text that is not JSON, ``badshape`` JSON without the fields asked for.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.fakes.local import LocalServer


class FakeOpenAI(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.script: deque[str] = deque()
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.answer = {"payee_type": "BUSINESS", "confidence": 0.97, "reason": "a trade name"}
        self.app.post("/v1/chat/completions")(self.completions)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reset(self, *steps: str) -> None:
        self.script = deque(steps)
        self.requests.clear()
        self.max_in_flight = 0

    async def completions(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(body)
        step = self.script.popleft() if self.script else "ok"
        if step == "slow":  # the client gives up long before; not counted as in flight
            await asyncio.sleep(30)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.05)  # long enough for concurrent requests to overlap
            if step == "429":
                return JSONResponse(
                    {"error": {"message": "rate limited", "type": "rate_limit_exceeded"}},
                    status_code=429,
                    headers={"retry-after-ms": "10"},
                )
            if step == "500":
                return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
            content = {"malformed": "this is not json", "badshape": json.dumps({"kind": "?"})}.get(
                step, json.dumps(self.answer)
            )
            return JSONResponse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
            )
        finally:
            self.in_flight -= 1
