"""Hostile uploads against ``payeeflow api`` as a service (its own process, whose memory is read
from /proc): refused with a 413 or a 422 and a JSON body, the API answering meanwhile, its peak
memory barely moved; ten uploads at once past three places: 503s with Retry-After, the rest taken."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from payeeflow.api import keys
from payeeflow.config import Settings
from tests.hostile import MiB, billion_laughs, long_field_lines, lying, zip_bomb
from tests.integration.conftest import _answers, free_port, settings_env, wait_until

AT_ONCE = 3
BOUNDED = 100  # MiB the API's peak RSS may grow by, all hostile uploads together


class Service:
    def __init__(self, url: str, pid: int, key: str) -> None:
        self.url, self.pid, self.key = url, pid, key

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": self.key}, timeout=120)

    def peak_mib(self) -> float:
        """The process's peak resident memory (VmHWM)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024

    def gauge(self, name: str) -> float:
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        return float(next(line.split()[1] for line in text.splitlines() if line.startswith(name + " ")))


@pytest.fixture(scope="module")
def service(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    port = free_port()
    env = {
        **settings_env(settings),
        "PAYEEFLOW_API_PORT": str(port),
        "PAYEEFLOW_API_UPLOADS_AT_ONCE": str(AT_ONCE),
        "PAYEEFLOW_LOG_LEVEL": "WARNING",
    }
    log = tmp_path_factory.mktemp("api") / "api.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "payeeflow", "api"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: proc.poll() is None and _answers(f"{url}/health"), timeout=60, every=0.3)
        _, secret = keys.create(settings.dsn, "hostile", ["ingest", "read"], "10000/second")
        yield Service(url, proc.pid, secret)
    finally:
        proc.terminate()
        proc.wait(20)


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(MiB):
            yield chunk


def test_hostile_workbooks_are_refused_with_the_api_undisturbed(service: Service, tmp_path: Path) -> None:
    with service.client() as client:
        client.get("/batches/warm-up")  # the first request's imports are not the uploads' memory
        before = service.peak_mib()
        for make, status, message in (
            (lambda d: zip_bomb(d, 600), 413, "the workbook inflates to 629,"),
            (lambda d: zip_bomb(d, 20), 422, "xl/sharedStrings.xml inflates 1,0"),
            (billion_laughs, 422, "the workbook's XML declares entities"),
            (lambda d: lying(d, 200), 422, "not a readable Excel workbook"),
        ):
            folder = tmp_path / str(status) / message[:8].replace(" ", "")
            folder.mkdir(parents=True)
            refused = client.post("/batches", params={"source": "hostile.xlsx"}, content=chunks(make(folder)))
            assert refused.status_code == status, refused.text
            detail = refused.json()["detail"]
            text = detail if status == 413 else detail[0]["msg"]
            assert message in text and text.startswith("hostile.xlsx: "), text  # named as the client named it
            assert client.get("/batches/no-such-batch").status_code == 404  # the database's side answers
        assert service.peak_mib() - before < BOUNDED
    assert (service.gauge("payeeflow_api_uploads"), service.gauge("payeeflow_api_upload_bytes")) == (0, 0)


def test_a_1_gb_field_is_a_413_while_the_api_answers(service: Service) -> None:
    answered: list[int] = []

    def body() -> Iterator[bytes]:
        for n, chunk in enumerate(long_field_lines(10**9, before=0)):
            if n == 500:  # half sent: the upload is being received
                answered.append(httpx.get(f"{service.url}/health", timeout=10).status_code)
            yield chunk

    before = service.peak_mib()
    with service.client() as client:
        refused = client.post("/batches", params={"source": "long.csv"}, content=body())
    assert refused.status_code == 413, refused.text
    assert refused.json() == {
        "detail": "long.csv: line 2: a row longer than 262,144 bytes (PAYEEFLOW_FILE_MAX_FIELD_BYTES); "
        "the file is refused"
    }
    assert answered == [200]
    assert service.peak_mib() - before < BOUNDED
    assert (service.gauge("payeeflow_api_uploads"), service.gauge("payeeflow_api_upload_bytes")) == (0, 0)


def test_a_body_declared_too_large_is_refused_before_it_is_read(service: Service) -> None:
    host, port = service.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:  # headers only, no body
        sock.sendall(
            b"POST /batches?source=big.csv HTTP/1.1\r\nHost: api\r\nX-API-Key: %s\r\n"
            b"Content-Length: %d\r\n\r\n" % (service.key.encode(), 1 << 40)
        )
        answer = b""
        while chunk := sock.recv(65536):  # the server answers and hangs up, the body unread
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert answer.endswith(
        b'{"detail":"the upload is larger than 1,073,741,824 bytes (PAYEEFLOW_API_UPLOAD_MAX_BYTES)"}'
    )


def test_ten_uploads_at_once_hold_three_places(service: Service, settings: Settings) -> None:
    """Three uploads hold the places (their bodies pause half sent), seven more are sent together:
    each of those is a 503 with Retry-After, while the API answers; once the three end, the
    places are free again."""
    go_on = threading.Event()

    def held(n: int) -> Iterator[bytes]:
        yield b"payee_id,name\n"
        go_on.wait(60)
        yield b"%s,ACME PLUMBING LLC\n" % f"{settings.topic_prefix}held-{n}".encode()

    def upload(content: object) -> httpx.Response:
        with service.client() as client:
            return client.post("/batches", params={"source": "ten.csv"}, content=content)  # type: ignore[arg-type]

    with ThreadPoolExecutor(10) as pool:
        holding = [pool.submit(upload, held(n)) for n in range(AT_ONCE)]
        wait_until(lambda: service.gauge("payeeflow_api_uploads") == AT_ONCE, timeout=30, every=0.1)
        refused = list(pool.map(upload, [b"payee_id,name\nx,ACME PLUMBING LLC\n"] * (10 - AT_ONCE)))
        assert httpx.get(f"{service.url}/health", timeout=10).status_code == 200
        go_on.set()
        taken = [future.result() for future in holding]
    assert [r.status_code for r in taken] == [202] * AT_ONCE
    assert [r.status_code for r in refused] == [503] * (10 - AT_ONCE)
    assert all(r.headers["Retry-After"] == "5" for r in refused)
    assert refused[0].json() == {"detail": "3 uploads are being received or ingested; retry shortly"}
    wait_until(lambda: service.gauge("payeeflow_api_uploads") == 0, timeout=60, every=0.2)  # ingested
    assert upload(b"payee_id,name\nx,ACME PLUMBING LLC\n").status_code == 202
