"""The clerk's page in a real browser (Debian's chromium, driven by Playwright) against the API
as a service, the worker and the sink: sign in, upload, watch the batch, download, search, open
a payee, work the review queue (correct a payee, which leaves the queue), all under the page's
content-security policy without one violation. Screenshots go to ``.stack/test/screenshots``."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from payeeflow.api import keys
from payeeflow.config import Settings
from payeeflow.localstack.process import apt_install
from tests.conftest import EXAMPLES, ROOT
from tests.integration.conftest import Services, api_service, prefixed_copy

SCREENSHOTS = ROOT / ".stack" / "test" / "screenshots"


@pytest.fixture(scope="module")
def api_url(settings: Settings, running: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with api_service(settings, tmp_path_factory.mktemp("ui") / "api.log") as url:
        yield url


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    if not shutil.which("chromium"):
        apt_install(["chromium"], "Chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 860})
        yield context.new_page()
        browser.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_a_clerk_works_a_batch_through_the_page(
    settings: Settings, api_url: str, page: Page, tmp_path: Path
) -> None:
    _, secret = keys.create(settings.dsn, "ui test", ["read", "ingest", "review"], "1000/second")
    payees = prefixed_copy(EXAMPLES / "payees.csv", tmp_path / "payees.csv", settings.topic_prefix + "ui-")

    violations: list[str] = []  # what the content-security policy blocked, and uncaught errors
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))
    served = page.goto(f"{api_url}/ui/")
    assert served is not None and "script-src 'self';" in served.headers["content-security-policy"]
    page.fill("#key", "pf_wrong_key")
    page.click("#sign-in-form button")
    expect(page.locator("#sign-in-error")).to_contain_text("refused")
    shot(page, "1-sign-in-refused")
    page.fill("#key", secret)
    page.click("#sign-in-form button")
    expect(page.locator("#work")).to_be_visible()

    page.set_input_files("#file", str(payees))
    page.click("#upload-form button")
    expect(page.locator("#batch-status")).to_have_text("complete_with_errors", timeout=120_000)
    expect(page.locator("#batch-counts")).to_contain_text("1000")  # stored
    shot(page, "2-batch-complete")
    with page.expect_download() as download:
        page.click("#download")
    exported = tmp_path / "results.csv"
    download.value.save_as(exported)
    with exported.open(newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 1003  # every payee of the batch, stored or not

    page.click("nav button[data-tab=search]")
    page.fill("#search-name", "spa emilia")  # a sample payee the sample network holds
    page.select_option("#search-type", "BUSINESS")
    page.click("#search-form button")
    matched = page.locator("#results tbody tr").filter(has=page.locator("td:nth-child(6)", has_text="exact"))
    expect(matched.first).to_be_visible()
    matched.first.click()
    expect(page.locator("#payee")).to_be_visible()
    expect(page.locator("#candidates tbody tr").first).to_be_visible()
    expect(page.locator("#payee-facts")).to_contain_text("BUSINESS")
    shot(page, "3-payee")
    page.click("#close-payee")

    page.click("nav button[data-tab=review]")
    flagged = page.locator("#queue tbody tr")
    expect(flagged.first).to_be_visible()
    expect(flagged.first.locator("td.flag")).not_to_be_empty()
    shot(page, "4-review-queue")

    first = flagged.first
    payee_id = first.get_attribute("data-payee-id")
    first.click()
    expect(page.locator("#payee")).to_be_visible()
    page.select_option("#correct-type", "BUSINESS")
    page.select_option("#correct-supplier", "none")
    page.fill("#correct-note", "checked with AP")
    page.click("#correct-form button[type=submit]")
    expect(page.locator("#payee-facts")).to_contain_text("by ui test", timeout=30_000)
    expect(page.locator("#payee-facts")).to_contain_text("checked with AP")
    expect(page.locator("#withdraw")).to_be_visible()
    shot(page, "5-corrected")
    page.click("#close-payee")
    expect(page.locator(f'#queue tbody tr[data-payee-id="{payee_id}"]')).to_have_count(0, timeout=30_000)
    assert violations == []
