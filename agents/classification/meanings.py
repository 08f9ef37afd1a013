"""What a word that decides a payee's type says, for the reason a clerk reads (``logic._reason``):
``'SURVEY'`` names a federal or state agency, ``'VFD'`` volunteers. DESIGN.md files non-profits,
churches and co-operatives as businesses, whatever civic word they carry."""

from __future__ import annotations

_SAID = (
    ("BUSINESS", "names an association (a non-profit, filed as a business)",
     "ASSOCIATION ASSN ASSOC SOCIETY COUNCIL LEAGUE ALLIANCE CLUB CHAPTER"),
    ("BUSINESS", "names a charity or a church (filed as a business)",
     "FOUNDATION FOUND CHARITY MISSION MINISTRIES CHURCH PROJECT FELLOWSHIP"),
    ("BUSINESS", "names a museum or a learned body (filed as a business)",
     "MUSEUM ZOO SYMPHONY ACADEMY INSTITUTE"),
    ("BUSINESS", "names volunteers (a non-profit, not a public body)", "VOLUNTEER VFD"),
    ("BUSINESS", "names a member-owned co-operative", "COOPERATIVE COOP"),
    ("GOVERNMENT", "names a township", "TWP TWSP TWNSHIP TOWNSHIP"),
    ("GOVERNMENT", "names a public office", "DEEDS PROBATE TREASURER SHERIFF ASSESSOR AUDITOR"),
    ("GOVERNMENT", "names a federal or state agency", "SURVEY USGS WILDLIFE FORESTRY LICENSING"),
    ("GOVERNMENT", "names the postal service", "POSTAL POSTMASTER"),
    ("GOVERNMENT", "names a public university or college", "REGENTS UNIV UNIVERSITY COLLEGE"),
    ("GOVERNMENT", "names a county's weed and pest or conservation board", "WEED PEST CONSERVATION"),
)  # fmt: skip
MEANINGS = {(word, kind): meaning for kind, meaning, words in _SAID for word in words.split()}
