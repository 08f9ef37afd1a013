"""A local server speaking BigQuery's REST shape for queries (``POST …/projects/{p}/queries``,
jobs.query; ``GET …/projects/{p}/queries/{jobId}``, jobs.getQueryResults): a job that stays
incomplete (``jobComplete: false``) for ``pending`` calls, then rows as ``{"f": [{"v": …}]}``
with every scalar a string (BOOLEAN as ``"true"``, NULL as null), ``pageToken`` pages of at most
``maxResults`` rows, and Google's error body for a query it cannot run. ``requests`` keeps what
each call carried (its path, query parameters and body) for the tests.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from tests.fakes.local import LocalServer

JOB_ID = "job_fake_0001"


def cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class FakeBigQuery(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.fields: list[tuple[str, str]] = []  # (name, BigQuery type) of the query's result
        self.rows: list[tuple[Any, ...]] = []
        self.pending = 0  # calls answered jobComplete: false before the job completes
        self.refuse: str | None = None  # the error message of a query that fails
        self.app.post("/bigquery/v2/projects/{project}/queries")(self.query)
        self.app.get("/bigquery/v2/projects/{project}/queries/{job_id}")(self.results)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bigquery/v2"

    def reset(
        self,
        fields: list[tuple[str, str]],
        rows: list[tuple[Any, ...]],
        *steps: str,
        pending: int = 0,
        refuse: str | None = None,
    ) -> None:
        with self.lock:
            self.fields, self.rows, self.pending, self.refuse = fields, rows, pending, refuse
            self.script = deque(steps)
            self.requests.clear()

    def _note(self, request: Request, body: dict[str, Any] | None) -> None:
        with self.lock:
            self.requests.append(
                {"path": request.url.path, "params": dict(request.query_params), "body": body}
            )

    async def query(self, project: str, request: Request) -> Response:
        body = json.loads(await request.body())
        self._note(request, body)
        if (failure := await self.scripted(_error)) is not None:
            return failure
        if self.refuse:
            return JSONResponse(_error(400, self.refuse), 400)
        page = self._page(project, body.get("location"), 0, int(body.get("maxResults", 1000)))
        return JSONResponse({**page, "kind": "bigquery#queryResponse"})

    async def results(self, project: str, job_id: str, request: Request) -> Response:
        self._note(request, None)
        if (failure := await self.scripted(_error)) is not None:
            return failure
        if job_id != JOB_ID:
            return JSONResponse(_error(404, f"Not found: Job {project}:{job_id}"), 404)
        params = request.query_params
        start = int(params.get("pageToken") or 0)
        return JSONResponse(self._page(project, params.get("location"), start, int(params["maxResults"])))

    def _page(self, project: str, location: str | None, start: int, size: int) -> dict[str, Any]:
        reference = {"projectId": project, "jobId": JOB_ID, "location": location or "US"}
        with self.lock:
            if self.pending:
                self.pending -= 1
                return {
                    "kind": "bigquery#getQueryResultsResponse",
                    "jobReference": reference,
                    "jobComplete": False,
                }
        page: dict[str, Any] = {
            "kind": "bigquery#getQueryResultsResponse",
            "jobReference": reference,
            "jobComplete": True,
            "totalRows": str(len(self.rows)),
            "schema": {"fields": [{"name": n, "type": t, "mode": "NULLABLE"} for n, t in self.fields]},
            "rows": [{"f": [{"v": cell(v)} for v in row]} for row in self.rows[start : start + size]],
        }
        if start + size < len(self.rows):
            page["pageToken"] = str(start + size)
        return page


def _error(status: int, message: str = "backend error") -> dict[str, Any]:
    return {
        "error": {"code": status, "message": message, "errors": [{"message": message, "reason": "invalid"}]}
    }
