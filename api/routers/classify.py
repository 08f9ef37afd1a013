"""``POST /classify``: screening and classification of one name, synchronously, same code as the agents."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from payeeflow.api.models import Classification, ClassifyRequest
from payeeflow.errors import RecordError

router = APIRouter(tags=["classify"])


@router.post("/classify", response_model=Classification)
async def classify(body: ClassifyRequest, request: Request) -> dict:
    state = request.app.state
    record = {"payee_id": body.payee_id, "payee": {"name": body.name}}
    try:
        record = state.pipeline.process(record)
    except RecordError as exc:
        raise HTTPException(422, f"{exc.reason}: {exc.detail}") from exc
    screening, classification = record["screening"], record["classification"]
    return {
        "excluded": screening["excluded"],
        "exclusion_keyword": screening["keyword"],
        "exclusion_category": screening["category"],
        **classification,
    }
