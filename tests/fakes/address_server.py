"""A local server speaking Google's Address Validation shape (``POST v1:validateAddress``,
RESEARCH.md): it checks the API key, and can be slow, fail with 429 or 500, or answer malformed
JSON. ``requests`` keeps every body it was sent.

Its answers: an address whose line has no digit is not deliverable (FIX, incomplete); a line
written in long forms (``STREET``, ``AVENUE``) comes back in USPS forms (``ST``, ``AVE``) with
the city and state CASS gives its ZIP; anything else is confirmed as written.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.local import LocalServer

API_KEY = "fake-google-key"
LONG_FORMS = {"STREET": "ST", "AVENUE": "AVE", "ROAD": "RD", "SUITE": "STE", "NORTH": "N", "WEST": "W"}


def answer_for(address: dict[str, Any]) -> dict[str, Any]:
    line = " ".join(address.get("addressLines") or []).upper()
    if not re.search(r"\d", line):
        verdict = {"addressComplete": False, "hasUnconfirmedComponents": True, "possibleNextAction": "FIX"}
        return {"result": {"verdict": verdict, "address": {"formattedAddress": line}}}
    usps_line = " ".join(LONG_FORMS.get(word, word) for word in line.split())
    city, state = (address.get("locality") or "").upper(), (address.get("administrativeArea") or "").upper()
    zip_code = address.get("postalCode") or ""
    return {
        "result": {
            "verdict": {
                "addressComplete": True,
                "hasUnconfirmedComponents": False,
                "possibleNextAction": "ACCEPT",
            },
            "address": {"formattedAddress": f"{usps_line}, {city}, {state} {zip_code}, USA"},
            "metadata": {
                "business": "STE" in usps_line.split(),
                "residential": False,
                "poBox": "BOX" in line,
            },
            "uspsData": {
                "standardizedAddress": {
                    "firstAddressLine": usps_line,
                    "city": city,
                    "state": state,
                    "zipCode": zip_code,
                    "zipCodeExtension": "0001",
                }
            },
        }
    }


class FakeAddressValidation(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app.post("/v1:validateAddress")(self.validate)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self, *steps: str, delay: float = 0.0, failing: bool = False) -> None:
        with self.lock:
            self.script = deque(steps)
            self.delay, self.failing = delay, failing
            self.requests.clear()

    async def validate(self, request: Request) -> Response:
        if request.headers.get("x-goog-api-key") != API_KEY:
            return JSONResponse({"error": {"code": 403, "status": "PERMISSION_DENIED"}}, 403)
        if (failure := await self.scripted(lambda status: {"error": {"code": status}})) is not None:
            return failure
        body = json.loads(await request.body())
        with self.lock:
            self.requests.append(body)
        return JSONResponse(answer_for(body["address"]))
