"""Supplier rows from a BigQuery query, over its REST API: ``jobs.query`` starts the query and
may answer with the first page; ``jobs.getQueryResults`` waits for a job not complete yet
(``jobComplete: false``) and reads the next pages by ``pageToken``. Rows come as
``{"f": [{"v": value}]}`` in the order of the answer's ``schema.fields``, every scalar as a string
(a BOOLEAN as ``"true"``): the text a supplier row is made of.

Google's own client (google-cloud-bigquery) does not install within constraints.txt: it wants
python-dateutil < 3, and pip falls back to a 2021 release on protobuf 3. So the requests are
httpx's, retried as the paid providers' are (``agents.providers.http``), and only the credentials
come from Google's library (``google-auth``, the ``bigquery`` extra): a service-account key, a
workload identity, or Application Default Credentials. Tests pass ``AnonymousCredentials``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx

from payeeflow.agents.providers.http import ProviderError, request_json
from payeeflow.config import Settings
from payeeflow.connectors.supplier_sync.errors import SourceError
from payeeflow.connectors.supplier_sync.records import pick, positions
from payeeflow.errors import InputError

SCOPES = ("https://www.googleapis.com/auth/bigquery",)
WAIT_MS = 10_000  # how long BigQuery holds a call for a job to complete (its default)


class BigQuerySource:
    label = "BigQuery"

    def __init__(self, settings: Settings, credentials: Any = None) -> None:
        """``credentials``: google-auth credentials; by default those the settings name."""
        if not settings.bigquery_project:
            raise InputError("BigQuery needs a project to run the query in: set PAYEEFLOW_BIGQUERY_PROJECT")
        self.settings = settings
        self.credentials = credentials or _credentials(settings)
        self._refresh = _google_auth().transport.requests.Request()  # a token's refresh, over requests
        self.queries = (
            f"{settings.bigquery_api_url.rstrip('/')}/projects/{quote(settings.bigquery_project)}/queries"
        )

    async def rows(self) -> AsyncIterator[tuple[Any, ...]]:
        """Each row's values in ``records.COLUMNS`` order; ``SourceError`` when BigQuery refuses,
        fails the query, or answers outside its documented shape."""
        settings = self.settings
        body: dict[str, Any] = {
            "query": settings.supplier_source_query,
            "useLegacySql": False,
            "maxResults": settings.bigquery_page_rows,
            "timeoutMs": WAIT_MS,
        }
        if settings.bigquery_location:
            body["location"] = settings.bigquery_location
        if settings.bigquery_dataset:
            body["defaultDataset"] = {
                "projectId": settings.bigquery_project,
                "datasetId": settings.bigquery_dataset,
            }
        async with httpx.AsyncClient(timeout=settings.bigquery_timeout) as http:
            page = await self._call(http, "jobs.query", "POST", self.queries, json.dumps(body))
            at: list[int | None] | None = None
            while True:
                try:
                    if not page["jobComplete"]:
                        page = await self._results(http, page, timeoutMs=WAIT_MS)
                        continue
                    if at is None:
                        at = positions([field["name"] for field in page["schema"]["fields"]])
                    rows = [[cell["v"] for cell in row["f"]] for row in page.get("rows", [])]
                except (KeyError, TypeError) as exc:
                    raise SourceError(f"supplier source (BigQuery): an answer without {exc}") from exc
                for row in rows:
                    yield pick(row, at)
                if not page.get("pageToken"):
                    return
                page = await self._results(http, page, pageToken=page["pageToken"])

    async def _results(self, http: httpx.AsyncClient, page: dict[str, Any], **params: Any) -> Any:
        """``jobs.getQueryResults`` of the job ``page`` belongs to."""
        job = page.get("jobReference") or {}
        if "jobId" not in job:
            raise SourceError("supplier source (BigQuery): an unfinished answer without its jobReference")
        params["maxResults"] = self.settings.bigquery_page_rows
        if location := job.get("location") or self.settings.bigquery_location:
            params["location"] = location
        url = httpx.URL(f"{self.queries}/{quote(job['jobId'])}", params=params)
        return await self._call(http, "jobs.getQueryResults", "GET", str(url), "")

    async def _call(self, http: httpx.AsyncClient, call: str, method: str, url: str, content: str) -> Any:
        def headers() -> dict[str, str]:
            found = {"Content-Type": "application/json"} if content else {}
            try:
                self.credentials.before_request(self._refresh, method, url, found)
            except Exception as exc:  # google-auth's refresh errors, and the transport's
                raise SourceError(f"supplier source (BigQuery): credentials: {exc}") from exc
            return found

        try:
            answer = await request_json(
                http, "bigquery", call, method, url, content, headers, self.settings.bigquery_retries
            )
        except ProviderError as exc:
            raise SourceError(f"supplier source (BigQuery): {exc}") from exc
        if not isinstance(answer, dict):
            raise SourceError(f"supplier source (BigQuery): {call} answered {type(answer).__name__}")
        return answer


def _google_auth() -> Any:
    try:
        import google.auth
        import google.auth.transport.requests
    except ImportError as exc:
        raise InputError("BigQuery needs google-auth: pip install 'payeeflow[bigquery]'") from exc
    return google.auth


def _credentials(settings: Settings) -> Any:
    auth = _google_auth()
    try:
        if settings.bigquery_credentials_file:
            found, _ = auth.load_credentials_from_file(str(settings.bigquery_credentials_file), scopes=SCOPES)
        else:
            found, _ = auth.default(scopes=SCOPES)
    except auth.exceptions.DefaultCredentialsError as exc:
        raise InputError(f"BigQuery credentials: {exc}") from exc
    return found
