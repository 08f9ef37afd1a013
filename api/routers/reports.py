"""``/reports/daily/{date}``: one UTC day's report (``connectors/database/reports.py`` says what each
figure counts), as ``payeeflow report --store`` kept it, or else counted now; JSON, or CSV by
``?format=csv`` or ``Accept: text/csv``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BeforeValidator

from payeeflow.api.deps import ConnDep
from payeeflow.api.security import REFUSALS, require
from payeeflow.connectors.database.reports import DailyReport, parse_day, served_async, to_csv

router = APIRouter(prefix="/reports", tags=["reports"], dependencies=[require("read")], responses=REFUSALS)
CSV = "text/csv"
JSON = "application/json"


Day = Annotated[
    dt.date,
    BeforeValidator(parse_day),  # YYYY-MM-DD only; its ValueError is the 422's message
    Path(description="The UTC day, YYYY-MM-DD", examples=["2024-05-01"]),
]


def wants_csv(accept: str) -> bool:
    """Whether an ``Accept`` header prefers CSV to JSON (by its q-values; a tie, or neither named,
    is JSON)."""
    weights = {CSV: 0.0, JSON: 0.0}
    for media_range in accept.split(","):
        kind, *params = (part.strip() for part in media_range.split(";"))
        if kind.lower() in weights:
            q = next((p.split("=", 1)[1] for p in params if p.lower().startswith("q=")), "1")
            try:
                weights[kind.lower()] = max(weights[kind.lower()], float(q))
            except ValueError:
                continue  # a malformed q: that range counts for nothing
    return weights[CSV] > weights[JSON]


@router.get(
    "/daily/{date}",
    response_model=DailyReport,
    responses={200: {"content": {CSV: {"schema": {"type": "string"}}}, "description": "The day's report"}},
)
async def daily(
    request: Request,
    conn: ConnDep,
    date: Day,
    format: Annotated[
        Literal["json", "csv"] | None, Query(description="csv: as text/csv (default: by Accept, else json)")
    ] = None,
) -> Response:
    """The day's batches, payees by type and match, review backlog, dead letters by reason and the
    slow providers' answers: kept by `payeeflow report --store`, or else counted now (a live report of
    a day retention has thinned counts what is left)."""
    report = await served_async(conn, date)
    headers = {"Vary": "Accept"}
    if format == "csv" or (format is None and wants_csv(request.headers.get("accept", ""))):
        headers["Content-Disposition"] = f'attachment; filename="report-{date.isoformat()}.csv"'
        return Response(to_csv(report), media_type=CSV, headers=headers)
    return Response(report.model_dump_json(), media_type=JSON, headers=headers)
