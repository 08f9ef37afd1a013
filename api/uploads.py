"""The uploads an API process holds, counted so that a flood of them is refused, not absorbed.

An upload holds a place from its first byte to the end of its ingest (its file lives that long,
and a workbook's shared strings are in memory while it is read): ``api_uploads_at_once`` places,
and ``api_upload_disk_bytes`` for their files together. Past either, the upload is a 503 with
``Retry-After``: the server is busy, the client did nothing wrong (a 429 is a key over its own
rate). Counted per API process, on its event loop's thread, so no lock is needed.
"""

from __future__ import annotations

from fastapi import HTTPException
from prometheus_client import Gauge

from payeeflow.config import Settings

HELD = Gauge("payeeflow_api_uploads", "Uploads an API process is receiving or ingesting")
ON_DISK = Gauge("payeeflow_api_upload_bytes", "Bytes of the files of an API process's uploads")
RETRY_AFTER = "5"


class Uploads:
    def __init__(self, settings: Settings) -> None:
        self.at_once = settings.api_uploads_at_once
        self.disk = settings.api_upload_disk_bytes
        self.held = 0
        self.bytes = 0

    def take(self) -> Place:
        """A place for one more upload, or a 503."""
        if self.held >= self.at_once:
            raise busy(f"{self.at_once} uploads are being received or ingested; retry shortly")
        self.held += 1
        HELD.set(self.held)
        return Place(self)


class Place:
    """One upload's place and the bytes of its file; ``release`` when the file is gone."""

    def __init__(self, uploads: Uploads) -> None:
        self.uploads = uploads
        self.bytes = 0
        self.held = True

    def grow(self, size: int) -> None:
        """Count ``size`` more bytes of the file before they are written, or refuse them."""
        if self.uploads.bytes + size > self.uploads.disk:
            raise busy("the uploads being ingested fill this server's upload space; retry shortly")
        self.bytes += size
        self.uploads.bytes += size
        ON_DISK.set(self.uploads.bytes)

    def release(self) -> None:
        if self.held:
            self.held = False
            self.uploads.held -= 1
            self.uploads.bytes -= self.bytes
            HELD.set(self.uploads.held)
            ON_DISK.set(self.uploads.bytes)


def busy(message: str) -> HTTPException:
    return HTTPException(503, message, headers={"Retry-After": RETRY_AFTER})
