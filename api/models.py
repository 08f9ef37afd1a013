"""Response models: the OpenAPI contract of the reader."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PayeeType = Literal["INDIVIDUAL", "BUSINESS", "GOVERNMENT", "UNKNOWN"]
MatchType = Literal["exact", "strong", "review", "none", "weak"]  # weak: no longer written
CorrectedType = Literal["INDIVIDUAL", "BUSINESS", "GOVERNMENT"]


class Classification(BaseModel):
    excluded: bool
    exclusion_keyword: str | None
    exclusion_category: str | None
    payee_type: PayeeType
    confidence: float
    reason: str
    sic_code: str | None
    sic_description: str | None


class MatchCandidate(BaseModel):
    supplier_id: str
    supplier_name: str
    score: float = Field(description="0..100: its probability times 100")
    probability: float = Field(
        0.0, description="0..1: how sure the match model is that it is the payee's supplier"
    )
    evidence: list[str] = Field(
        description="What counted for and against it: words paired and how, words left over, state, ZIP, "
        "city, legal form, tax id"
    )


class CorrectionOut(BaseModel):
    """A reviewer's correction: applied by the stages to every later record of the payee and of
    the same normalised name (``name_key``)."""

    payee_id: str
    name: str
    name_key: str
    payee_type: CorrectedType | None
    supplier_id: str | None
    supplier_name: str | None
    not_supplier: bool
    note: str
    reviewer: str = Field(description="The name of the API key that made it")
    corrected_at: datetime


class CorrectionPage(BaseModel):
    items: list[CorrectionOut]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")


class Payee(Classification):
    """A stored payee: the classification fields plus everything else the pipeline wrote."""

    payee_id: str
    batch_id: str
    source: str
    version: int
    source_ts: datetime
    name: str
    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    extra: dict[str, Any]
    supplier_id: str | None
    supplier_name: str | None
    match_score: float | None = Field(description="0..100: the best candidate's probability times 100")
    match_type: MatchType = Field(
        description="exact (the same name), strong (a variant), review (confirm candidate_id), none"
    )
    candidate_id: str | None = Field(None, description="The supplier a clerk should confirm, for a review")
    address_line: str | None
    address_city: str | None
    address_state: str | None
    address_zip: str | None
    address_status: str | None = Field(description="complete | corrected | inconsistent | missing")
    card_acceptance: str | None
    payment_method: str | None = Field(description="CARD | ACH | CHECK")
    payment_confidence: float | None = Field(description="0..1, the payment rules' estimate")
    payment_reason: str | None = Field(description="Why this payment method, in a clerk's words")
    providers_pending: list[str] = Field(description="Slow providers whose answer comes as a new version")
    card_network: dict[str, Any] | None = Field(
        None, description="The card network's answer (outcome, matched, confidence, merchant_id, mcc…)"
    )
    address_validation: dict[str, Any] | None = Field(
        None,
        description="Address validation's answer (outcome, address_complete, next_action, business, "
        "residential, po_box…)",
    )
    needs_review: bool = Field(description="A clerk should look at this payee")
    review_reason: str = Field(description="Why, when so: unsure type, ambiguous or unsure match")
    match_candidates: list[MatchCandidate] = Field(
        description="The best suppliers scored, best first (at most 3), with the evidence that counted"
    )
    stored_at: datetime
    updated_at: datetime
    correction: CorrectionOut | None = Field(
        None, description="The reviewer's correction in force (on one payee's page; not in searches)"
    )


class CorrectionWithdrawn(BaseModel):
    payee_id: str
    withdrawn: bool = True


class PayeePage(BaseModel):
    items: list[Payee]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")


class BatchStatus(BaseModel):
    batch_id: str
    status: Literal["receiving", "processing", "complete", "complete_with_errors", "failed"]
    error: str | None = Field(None, description="Why an uploaded file's ingest failed")
    source: str | None
    total: int | None = Field(None, description="Records the source produced (None until its manifest)")
    rejected_at_source: int
    rows: int | None = Field(
        None, description="Rows the file held, repeats of a payee included (None until its manifest)"
    )
    stored: int = Field(description="Payees of this batch stored in the payees table")
    dead_lettered: int = Field(description="Payees of this batch that ended in the dead-letter table")
    pending: int | None
    dead_letters_by_stage: dict[str, int]
    dead_letters_by_reason: dict[str, int]
    excluded: int
    by_payee_type: dict[str, int]
    by_match_type: dict[str, int]
    started_at: datetime | None
    finished_at: datetime | None
    results_deleted_at: datetime | None = Field(
        None,
        description="When retention deleted this finished batch's per-payee results: the counts are "
        "those it had then, and its results export is gone (410)",
    )


# Text the API takes: no NUL (PostgreSQL text cannot hold one), and ids of a sane length.
NO_NUL = r"^[^\x00]*$"
ID_LENGTH = 200
# What record validation (``agents.validation``) refuses, said in the schema so that a client
# knows before it sends: text without C0 controls (tab and newlines aside) or DEL; an id with
# something besides spaces; a name with a letter or digit (any script) and without newlines or
# U+FFFD. (JSON's lone surrogates, which no schema pattern can name, are refused with a 422.)
_BAD = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_BAD_IN_NAME = r"\x00-\x08\x0a-\x1f\x7f\ufffd"
TEXT = rf"^[^{_BAD}]*$"
ID = rf"^[^{_BAD}]*[^\s{_BAD}][^{_BAD}]*$"
NAME = rf"^[^{_BAD_IN_NAME}]*[\p{{L}}\p{{N}}][^{_BAD_IN_NAME}]*$"
_ID = re.compile(ID)
Name = Annotated[str, Field(max_length=300, pattern=NAME, description="A payee name; 300 characters at most")]
Text = Annotated[str | None, Field(max_length=1000, pattern=TEXT)]
STRICT = ConfigDict(extra="forbid", strict=True)  # JSON false is not a version 0


class ClassifyRequest(BaseModel):
    model_config = STRICT

    name: Name
    payee_id: str = Field("api", max_length=ID_LENGTH, pattern=ID)


class PayeeEvent(BaseModel):
    """One payee as an ERP sends it: the fields of a file row (``payeeflow ingest``'s columns)."""

    model_config = STRICT

    name: Name
    payee_id: str | None = Field(
        None,
        max_length=ID_LENGTH,
        pattern=ID,
        description="The ERP's id (not blank); without one, an id from name and address",
    )
    address: Text = None
    city: Text = None
    state: Text = None
    zip: Text = None
    version: int | None = Field(
        None, ge=0, le=2**53, description="Newer versions replace older; default: now in ms"
    )
    batch_id: str = Field("api", max_length=ID_LENGTH, pattern=ID, description="The batch it belongs to")
    extra: dict[str, Annotated[str, Field(pattern=TEXT)]] = Field(
        default_factory=dict,
        description="Other columns, kept as they are (64 KiB in all)",
        json_schema_extra={"propertyNames": {"maxLength": ID_LENGTH, "pattern": ID}},
    )

    @field_validator("extra")
    @classmethod
    def _column_names(cls, extra: dict[str, str]) -> dict[str, str]:
        """As ``propertyNames`` says (pydantic's own key constraints would say it less plainly)."""
        for name in extra:
            if len(name) > ID_LENGTH or not _ID.match(name):
                raise ValueError(f"a column name must be 1..{ID_LENGTH} printable characters, not all spaces")
        return extra

    def row(self) -> dict[str, str]:
        """The event as a file row, for ``to_record``."""
        fields: dict[str, object] = {"name": self.name, "address": self.address, "city": self.city}
        fields |= {"state": self.state, "zip": self.zip, "payee_id": self.payee_id, "version": self.version}
        return {**self.extra, **{k: "" if v is None else str(v) for k, v in fields.items()}}


class CorrectionRequest(BaseModel):
    """What a reviewer says of a payee: its type, its supplier, or that it is no supplier."""

    model_config = STRICT

    payee_type: CorrectedType | None = None
    supplier_id: str | None = Field(None, max_length=ID_LENGTH, pattern=ID)
    not_supplier: bool = False
    note: str = Field("", max_length=500, pattern=TEXT)

    @model_validator(mode="after")
    def says_something(self) -> CorrectionRequest:
        if self.not_supplier and self.supplier_id is not None:
            raise ValueError("name a supplier or say not_supplier, not both")
        if self.payee_type is None and self.supplier_id is None and not self.not_supplier:
            raise ValueError("set payee_type, supplier_id or not_supplier")
        return self


class PayeeAccepted(BaseModel):
    payee_id: str
    batch_id: str
    version: int


class UploadAccepted(BaseModel):
    batch_id: str
    status_url: str = Field(description="Where the batch's progress is read")


class Processed(BaseModel):
    """One payee through every stage, in this process: each stage's section as the topics carry it."""

    payee_id: str
    screening: dict[str, Any]
    classification: dict[str, Any]
    match: dict[str, Any] | None = Field(description="None when the API has no supplier network")
    enrichment: dict[str, Any]


class DeadLetter(BaseModel):
    """A message or file row that did not become a stored payee, decoded."""

    id: int
    stage: str = Field(
        description="ingest, exclusion, classification, matching, enrichment, sink, or feed (a compacted "
        "topic's message a worker could not read)"
    )
    reason: str
    error: str
    payee_id: str | None
    batch_id: str | None
    topic: str = Field(description="The topic read, or the file's name for an ingest reject")
    partition: int
    offset: int = Field(description="The message's offset, or the file's line for an ingest reject")
    failed_at: datetime
    replayed_at: datetime | None
    key: str | None
    payload: Any = Field(description="The record decoded from Avro, or the file row's text")
    payload_size: int | None = Field(
        None, description="Set when the letter was sent cut to fit the broker: the original's size in bytes"
    )
    payload_sha256: str | None = Field(
        None, description="Set when cut: the SHA-256 of the whole original, at topic/partition/offset"
    )


class DeadLetterPage(BaseModel):
    items: list[DeadLetter]
    next_cursor: int | None = Field(None, description="Pass as ?cursor= for the next page")


class Problem(BaseModel):
    """An error other than a validation error: what went wrong, in a sentence."""

    detail: str
