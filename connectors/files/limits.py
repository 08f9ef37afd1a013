"""How large a payee file may be once read, and a workbook's zip opened within it.

A 600 KB workbook whose shared strings inflate to 600 MB once held an upload past 60 s and grew
the API by 4 to 6 GB. So a workbook's zip is judged by its central directory before anything is
inflated (its members' count, compression method, inflated sizes and each member's ratio), then
read through ``BoundedZip``: each member in 64 KiB steps (``zipfile`` stops a member at the size
the directory declared and checks its CRC), all of them together counted against the same cap,
since a directory can lie. Its XML is parsed by openpyxl through ``defusedxml`` (no entities).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from payeeflow.config import Settings
from payeeflow.errors import InputError, TooLarge

MAX_MEMBERS = 10_000  # an .xlsx has tens; each member's entry costs memory before any check
RATIO_GRACE = 100 * 1024  # members smaller than this inflated are not judged by ratio (as POI)
STEP = 1 << 16  # bytes inflated at a time
METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}  # what Excel writes; bzip2 and lzma
# inflate a whole read at once, unbounded


@dataclass(frozen=True)
class FileLimits:
    """The caps a payee file is read within (``file_max_*`` settings, whose defaults are these)."""

    max_inflated_bytes: int = Settings.model_fields["file_max_inflated_bytes"].default
    max_compression_ratio: float = Settings.model_fields["file_max_compression_ratio"].default
    max_field_bytes: int = Settings.model_fields["file_max_field_bytes"].default

    @classmethod
    def from_settings(cls, settings: Settings) -> FileLimits:
        return cls(
            settings.file_max_inflated_bytes,
            settings.file_max_compression_ratio,
            settings.file_max_field_bytes,
        )


def check_archive(path: Path, limits: FileLimits) -> None:
    """Refuse a zip whose directory promises too much, before a byte of it is inflated."""
    with path.open("rb") as fh:
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]  # the count, before ZipFile lists all
    if end is None:
        raise InputError(f"{path}: not a readable Excel workbook (not a zip file)")
    if end[zipfile._ECD_ENTRIES_TOTAL] > MAX_MEMBERS:  # type: ignore[attr-defined]
        raise InputError(f"{path}: a workbook of more than {MAX_MEMBERS:,} parts is refused")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
    inflated = sum(m.file_size for m in members)
    if inflated > limits.max_inflated_bytes:
        raise TooLarge(
            f"{path}: the workbook inflates to {inflated:,} bytes, more than the "
            f"{limits.max_inflated_bytes:,} allowed (PAYEEFLOW_FILE_MAX_INFLATED_BYTES)"
        )
    for member in members:
        if member.compress_type not in METHODS:
            raise InputError(f"{path}: {member.filename} is compressed with method {member.compress_type}")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_GRACE and ratio > limits.max_compression_ratio:
            raise InputError(
                f"{path}: {member.filename} inflates {ratio:,.0f} times (a zip bomb?), more than the "
                f"{limits.max_compression_ratio:,.0f} allowed (PAYEEFLOW_FILE_MAX_COMPRESSION_RATIO)"
            )


class BoundedZip(zipfile.ZipFile):
    """A checked zip read within the inflated cap, in small steps, whatever its headers say."""

    def __init__(self, path: Path, limits: FileLimits) -> None:
        super().__init__(path)
        self.path = path
        self.limit = limits.max_inflated_bytes
        self.inflated = 0

    def open(self, name: Any, mode: Any = "r", pwd: bytes | None = None, **kwargs: Any) -> IO[bytes]:
        return _Member(super().open(name, mode, pwd, **kwargs), self)  # type: ignore[return-value]

    def read(self, name: Any, pwd: bytes | None = None) -> bytes:
        with self.open(name, pwd=pwd) as member:
            return member.read()

    def count(self, size: int) -> None:
        self.inflated += size
        if self.inflated > self.limit:
            raise TooLarge(
                f"{self.path}: the workbook inflated past {self.limit:,} bytes "
                "(PAYEEFLOW_FILE_MAX_INFLATED_BYTES), more than its directory said"
            )


class _Member:
    """One member being read: at most ``STEP`` bytes inflated per call, each counted."""

    def __init__(self, member: IO[bytes], archive: BoundedZip) -> None:
        self.member = member
        self.archive = archive

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(STEP), b""))
        data = self.member.read(min(size, STEP))
        self.archive.count(len(data))
        return data

    def close(self) -> None:
        self.member.close()

    def __enter__(self) -> _Member:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
