import pytest

from agents.exclusion import Screener
from agents.exclusion.logic import KEYWORDS_FILE, read_keywords


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
