"""A local server speaking the card network's bulk-search shape (RESEARCH.md), that checks every
request's OAuth 1.0a signature and body hash against the client's public key, and can be slow,
fail with 429, 500 or 503, answer malformed JSON, lose a job, keep jobs PENDING until released,
or accept a job and stall before saying so.

``submissions`` counts every accepted bulk search with the references it held: a test reads
there whether a job was submitted twice.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import threading
import urllib.parse
import uuid
from collections import deque
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from oauth1.oauth import OAuth

from tests.fakes.local import LocalServer

_PARAM = re.compile(r'(\w+)="([^"]*)"')


def answer_for(name: str) -> dict[str, Any]:
    """The network's record for a merchant name: names with a legal form are merchants taking
    purchase cards (level 3, HIGH), others are not found."""
    if re.search(r"\b(INC|LLC|CORP|CO)\.?$", name.upper()):
        digest = hashlib.sha1(name.upper().encode()).hexdigest()[:10]
        return {
            "matched": True,
            "confidenceLevel": "HIGH",
            "merchantId": f"M{digest}",
            "matchedName": name.upper(),
            "mcc": "5085",
            "mccGroup": "Industrial Supplies",
            "purchaseCardLevel": 3,
        }
    return {"matched": False, "confidenceLevel": None}


class FakeCardNetwork(LocalServer):
    def __init__(self, key_dir: Path) -> None:
        super().__init__()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_file = key_dir / "card-network-key.pem"
        self.key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.public_key = key.public_key()
        self.pending_polls = 0  # polls a job answers PENDING before COMPLETED
        self.hold = False  # every job PENDING until release()
        self.stall = 0.0  # seconds a submission, once accepted, waits before its 202 is sent
        self.stalling = 0  # submissions recorded whose stall has not ended
        self.jobs: dict[str, dict[str, Any]] = {}
        self.submissions: list[list[str]] = []
        self.refused_signatures = 0
        self.lock = threading.Lock()
        self.app.post("/track/search/bulk-searches")(self.submit)
        self.app.get("/track/search/bulk-searches/{job_id}")(self.status)
        self.app.get("/track/search/bulk-searches/{job_id}/results")(self.results)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/track/search"

    def reset(self, *steps: str, pending_polls: int = 0, hold: bool = False) -> None:
        with self.lock:
            self.script = deque(steps)
            self.pending_polls, self.hold, self.stall = pending_polls, hold, 0.0
            self.jobs.clear()
            self.submissions.clear()
            self.refused_signatures = 0

    def read_all_sent(self) -> bool:
        """Whether every request sent here has been read and its client has hung up: no connection
        open, and each request still running a submission recorded and stalling."""
        state = self.server.server_state
        return not state.connections and len(state.tasks) == self.stalling

    def release(self) -> None:
        self.hold = False

    def lose(self, job_id: str) -> None:
        with self.lock:
            self.jobs.pop(job_id, None)

    async def _checked(self, request: Request) -> tuple[bytes, Response | None]:
        """The body, or the answer to give instead: a scripted failure or a refused signature."""
        body = await request.body()
        if not self._signed(request, body):
            self.refused_signatures += 1
            return body, JSONResponse({"Errors": {"Error": [{"ReasonCode": "UNAUTHORIZED"}]}}, 401)
        return body, await self.scripted(lambda status: {"Errors": {"Error": [{"ReasonCode": str(status)}]}})

    def _signed(self, request: Request, body: bytes) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("OAuth "):
            return False
        params = {k: urllib.parse.unquote(v) for k, v in _PARAM.findall(header)}
        signature = params.pop("oauth_signature", "")
        expected_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if (
            params.get("oauth_body_hash") != expected_hash
            or params.get("oauth_signature_method") != "RSA-SHA256"
        ):
            return False
        base = OAuth.get_base_string(str(request.url), request.method, params)
        try:
            self.public_key.verify(
                base64.b64decode(signature), base.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:
            return False
        return True

    async def submit(self, request: Request) -> Response:
        body, refused = await self._checked(request)
        if refused is not None:
            return refused
        searches = json.loads(body)["searches"]
        job_id = uuid.uuid4().hex
        with self.lock:
            self.jobs[job_id] = {"searches": searches, "polls": 0}
            self.submissions.append([s["referenceId"] for s in searches])
        if self.stall:
            self.stalling += 1
            try:
                await asyncio.sleep(self.stall)
            finally:
                self.stalling -= 1
        return JSONResponse({"id": job_id, "status": "PENDING"}, 202)

    async def _job(self, job_id: str, request: Request) -> dict[str, Any] | Response:
        """The job a request asks about, or the answer to give instead."""
        _, refused = await self._checked(request)
        if refused is not None:
            return refused
        job = self.jobs.get(job_id)
        if job is None:
            return JSONResponse({"Errors": {"Error": [{"ReasonCode": "NOT_FOUND"}]}}, 404)
        return job

    async def status(self, job_id: str, request: Request) -> Response:
        job = await self._job(job_id, request)
        if isinstance(job, Response):
            return job
        job["polls"] += 1
        done = not self.hold and job["polls"] > self.pending_polls
        return JSONResponse({"id": job_id, "status": "COMPLETED" if done else "PENDING"})

    async def results(self, job_id: str, request: Request) -> Response:
        job = await self._job(job_id, request)
        if isinstance(job, Response):
            return job
        data = [
            {"referenceId": s["referenceId"], "record": answer_for(s["merchantName"])}
            for s in job["searches"]
        ]
        return JSONResponse({"data": data})
