"""``POST /classify``: screening and classification of one name, synchronously, same code as the agents."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request

from payeeflow.api.models import Classification, ClassifyRequest
from payeeflow.api.security import REFUSALS, require
from payeeflow.errors import RecordError

router = APIRouter(tags=["classify"], dependencies=[require("read")], responses=REFUSALS)


@router.post("/classify", response_model=Classification)
async def classify(body: ClassifyRequest, request: Request) -> dict:
    state = request.app.state
    record = {
        "payee_id": body.payee_id,
        "batch_id": "api",
        "source": "api",
        "version": 0,
        "source_ts": datetime.now(UTC),
        "payee": {"name": body.name},
    }
    try:
        record = state.pipeline.process(record)
    except RecordError as exc:
        # shaped as FastAPI's own validation errors, as the OpenAPI document says a 422 is
        problem = {"loc": ["body", "name"], "msg": exc.detail or exc.reason, "type": exc.reason}
        raise HTTPException(422, [problem]) from exc
    screening, classification = record["screening"], record["classification"]
    return {
        "excluded": screening["excluded"],
        "exclusion_keyword": screening["keyword"],
        "exclusion_category": screening["category"],
        **classification,
    }
