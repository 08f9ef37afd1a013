import os
import time
from pathlib import Path

import pytest

from payeeflow.agents.exclusion import Screener
from payeeflow.agents.exclusion.logic import KEYWORDS_FILE, ReloadingScreener, read_keywords


@pytest.mark.parametrize(
    ("name", "keyword", "category"),
    [
        ("I.R.S.", "IRS", "tax_authority"),
        ("Internal Revenue Svc", "INTERNAL REVENUE SERVICE", "tax_authority"),
        ("Dept. of Revenue", "DEPARTMENT OF REVENUE", "tax_authority"),
        ("NYS Child Support Processing Ctr", "CHILD SUPPORT", "court_garnishment"),
        ("Wells Fargo Bank, N.A.", "WELLS FARGO", "bank"),
        ("ADP, Inc.", "ADP", "payroll_benefits"),
        ("Intercompany Transfer - Ohio", "INTERCOMPANY", "internal_transfer"),
    ],
)
def test_excludes_keyword_with_its_category(
    screener: Screener, name: str, keyword: str, category: str
) -> None:
    result = screener.screen("p", name)
    assert result == {"excluded": True, "keyword": keyword, "category": category, "allow_listed": False}


@pytest.mark.parametrize("name", ["TAXI CAB CO", "ACME PLUMBING LLC", "JOHN LEVY", "Banksy Art Studio"])
def test_does_not_exclude_on_a_word_inside_another(screener: Screener, name: str) -> None:
    assert screener.screen("p", name)["excluded"] is False


def test_most_specific_keyword_wins(screener: Screener) -> None:
    assert screener.screen("p", "Federal Credit Union of Ohio")["keyword"] == "FEDERAL CREDIT UNION"


def test_allow_list_overrides_a_hit_by_id_or_name() -> None:
    keywords = [("BANK", "bank")]
    by_id = Screener.from_keywords(keywords, allow_ids=["p7"])
    assert by_id.screen("p7", "Bank Street Cafe") == {
        "excluded": False,
        "keyword": "BANK",
        "category": "bank",
        "allow_listed": True,
    }
    assert by_id.screen("p8", "Bank Street Cafe")["excluded"] is True
    by_name = Screener.from_keywords(keywords, allow_names=["bank street cafe"])
    assert by_name.screen("p9", "BANK STREET CAFE")["allow_listed"] is True


def test_keyword_file_is_versioned_and_categorised() -> None:
    assert KEYWORDS_FILE.read_text().startswith("# version:")
    keywords = read_keywords(KEYWORDS_FILE)
    assert len(keywords) >= 400
    assert all(category for _, category in keywords)


@pytest.mark.parametrize(
    "name",
    [
        "CU Denver Bakery",
        "JOHN LIEN",
        "Rita Gomez",
        "Empower Fitness LLC",
        "Dividend Capital LLC",
        "Plaid Pantry #12",
        "Upstart Marketing",
        "Judgment Day Records",
        "Collections Boutique LLC",
    ],
)
def test_broad_lists_leave_ordinary_payees_alone(screener: Screener, name: str) -> None:
    assert screener.screen("p", name)["excluded"] is False, screener.screen("p", name)


def test_the_list_is_at_least_as_broad_as_the_old_systems() -> None:
    categories = {category for _, category in read_keywords(KEYWORDS_FILE)}
    assert len(read_keywords(KEYWORDS_FILE)) >= 593
    assert {
        "tax_authority",
        "government",
        "bank",
        "lender",
        "card_payment_processor",
        "payroll_benefits",
        "court_garnishment",
        "internal_transfer",
    } <= categories


def test_lists_reload_when_their_files_change(tmp_path: Path) -> None:
    keywords = tmp_path / "keywords.csv"
    keywords.write_text("# version: 1\nkeyword,category\nACME,internal_transfer\n")
    allow = tmp_path / "allow.csv"
    allow.write_text("payee_id,name\n,ACME WIDGETS\n")
    screener = ReloadingScreener(keywords, allow, every=0)
    assert screener.current().screen("p", "ACME TOOLS")["excluded"] is True
    assert screener.current().screen("p", "ACME WIDGETS")["allow_listed"] is True
    keywords.write_text("# version: 2\nkeyword,category\nZENITH,bank\n")
    os.utime(keywords, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert screener.current().screen("p", "ACME TOOLS")["excluded"] is False
    assert screener.current().screen("p", "ZENITH LLC")["category"] == "bank"
