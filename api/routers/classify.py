"""``POST /classify``: screening and classification of one name, synchronously, same code as the agents."""

from __future__ import annotations

from fastapi import APIRouter, Request

from payeeflow.api.models import Classification, ClassifyRequest
from payeeflow.api.routers.intake import record_from
from payeeflow.api.security import REFUSALS, require

router = APIRouter(tags=["classify"], dependencies=[require("read")], responses=REFUSALS)


@router.post("/classify", response_model=Classification)
async def classify(body: ClassifyRequest, request: Request) -> dict:
    state = request.app.state
    record = record_from({"name": body.name, "payee_id": body.payee_id}, "api", "api", state.settings)
    record = state.pipeline.process(record)
    screening, classification = record["screening"], record["classification"]
    return {
        "excluded": screening["excluded"],
        "exclusion_keyword": screening["keyword"],
        "exclusion_category": screening["category"],
        **classification,
    }
