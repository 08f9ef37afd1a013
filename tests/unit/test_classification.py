import pytest

from agents.classification import Classifier


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SMITH, JOHN A", "INDIVIDUAL"),
        ("John & Mary Smith", "INDIVIDUAL"),
        ("DR. ROBERT JONES JR", "INDIVIDUAL"),
        ("J SMITH", "INDIVIDUAL"),
        ("Jose Garcia", "INDIVIDUAL"),
        ("JANE DOE DDS PC", "BUSINESS"),
        ("KELLY SERVICES", "BUSINESS"),
        ("ROBERT HALF", "BUSINESS"),
        ("ACME PLUMBING LLC", "BUSINESS"),
        ("Smith-Jones Consulting", "BUSINESS"),
        ("Town of Middleton", "GOVERNMENT"),
        ("Randolph County", "GOVERNMENT"),
        ("HARRIS COUNTY ISD", "GOVERNMENT"),
        ("Dept of Revenue", "GOVERNMENT"),
        ("COUNTY LINE PLUMBING LLC", "BUSINESS"),
    ],
)
def test_payee_type(classifier: Classifier, name: str, expected: str) -> None:
    assert classifier.classify(name)["payee_type"] == expected


def test_result_carries_confidence_reason_and_sic(classifier: Classifier) -> None:
    result = classifier.classify("ACME PLUMBING LLC")
    assert 0.9 <= result["confidence"] <= 1
    assert "LLC" in result["reason"]
    assert result["sic_code"] == "1711"
    assert result["sic_description"]


def test_individuals_get_no_sic_and_government_gets_public_administration(classifier: Classifier) -> None:
    assert classifier.classify("Jose Garcia")["sic_code"] is None
    assert classifier.classify("Dept of Revenue")["sic_code"] == "9311"
    assert classifier.classify("City of Springfield")["sic_code"].startswith("9")


def test_gibberish_is_unknown_with_low_confidence(classifier: Classifier) -> None:
    result = classifier.classify("XQZV BLRPT")
    assert result["payee_type"] == "UNKNOWN"
    assert result["confidence"] < 0.5
