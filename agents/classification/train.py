"""Builds the classifier's lexicon from the shared data, deterministically (``payeeflow model train``).

The output is a gzip'd JSON file with sorted keys and a zero mtime, so the same data always gives
the same bytes. Everything the classifier knows comes from here; nothing is fetched at run time.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wordfreq import top_n_list

from payeeflow.agents.classification.artifacts import LEXICON_FILE
from payeeflow.agents.text import canonical, canonical_tokens, clean
from payeeflow.shared_data import may_be_a_person, rows

Keep = Callable[[str], bool]

# Words that mark an organisation whatever else the name holds; the statistical list below adds
# the tokens that are frequent in company names and rare as person names.
BUSINESS_WORDS = """SERVICES SERVICE SOLUTIONS CONSULTING CONSULTANTS GROUP HOLDINGS ENTERPRISES
INDUSTRIES ASSOCIATES PARTNERS COMPANY SUPPLY SUPPLIES SYSTEMS TECHNOLOGIES TECHNOLOGY MANAGEMENT
INTERNATIONAL NATIONAL GLOBAL AMERICAN AMERICA CONSTRUCTION CONTRACTORS CONTRACTING ENGINEERING
MANUFACTURING DISTRIBUTION DISTRIBUTORS PRODUCTS EQUIPMENT ELECTRIC ELECTRICAL PLUMBING HEATING
ROOFING LANDSCAPING CLEANING JANITORIAL RESTAURANT CAFE GRILL PIZZA BAKERY DELI MARKET FOODS FOOD
STORE SHOP SALON SPA AUTO AUTOMOTIVE MOTORS REPAIR TRANSPORT TRANSPORTATION TRUCKING LOGISTICS
FREIGHT EXPRESS CAPITAL INVESTMENTS PROPERTIES REALTY REAL ESTATE DEVELOPMENT HOMES BUILDERS
MEDICAL HEALTH HEALTHCARE DENTAL CLINIC PHARMACY HOSPITAL LABORATORIES LAB STUDIO STUDIOS MEDIA
MARKETING ADVERTISING DESIGN PRINTING SOFTWARE DATA NETWORKS COMMUNICATIONS WIRELESS ENERGY OIL
GAS POWER WATER ENVIRONMENTAL SECURITY STAFFING INSURANCE AGENCY FINANCIAL LAW LEGAL ATTORNEYS
ACCOUNTING CPAS PHOTOGRAPHY EVENTS CATERING RENTAL RENTALS LEASING SALES TRADING IMPORTS EXPORTS
WHOLESALE RETAIL OUTLET CENTER CENTRE WORKS FARM FARMS RANCH VENTURES PARTNERSHIP TRUST FOUNDATION
ASSOCIATION SOCIETY INSTITUTE ACADEMY SCHOOL UNIVERSITY COLLEGE CHURCH MINISTRIES CLUB HOTEL INN
MOTEL LOUNGE BAR TAVERN PUB BREWING BREWERY WINERY LIQUOR LIQUORS BEAUTY BARBER FITNESS GYM
PETROLEUM CHEMICAL STEEL METAL METALS GLASS PAPER PACKAGING PLASTICS TOOLS MACHINE MACHINERY
INC LLC CORP LTD LP LLP PLLC PC PA CO CORPORATION INCORPORATED LIMITED DBA""".split()

GOVERNMENT_PHRASES = """CITY OF|COUNTY OF|STATE OF|TOWN OF|VILLAGE OF|TOWNSHIP OF|BOROUGH OF|
COMMONWEALTH OF|PARISH OF|COUNTY|TOWNSHIP|MUNICIPALITY|MUNICIPAL|UNITED STATES|US DEPARTMENT|
DEPARTMENT OF|OFFICE OF THE|BUREAU OF|DIVISION OF|BOARD OF|COMMISSION|AUTHORITY|SCHOOL DISTRICT|
INDEPENDENT SCHOOL DISTRICT|ISD|USD|CUSD|PUBLIC SCHOOLS|SCHOOL BOARD|BOARD OF EDUCATION|
WATER DISTRICT|FIRE DISTRICT|SANITATION DISTRICT|SANITARY DISTRICT|PARK DISTRICT|LIBRARY DISTRICT|
UTILITY DISTRICT|HOSPITAL DISTRICT|IRRIGATION DISTRICT|CONSERVATION DISTRICT|TRANSIT DISTRICT|
SPECIAL DISTRICT|TREASURER|TAX COLLECTOR|ASSESSOR|COMPTROLLER|SHERIFF|POLICE DEPARTMENT|
FIRE DEPARTMENT|CLERK OF|COUNTY CLERK|CIRCUIT COURT|DISTRICT COURT|SUPERIOR COURT|MUNICIPAL COURT|
SECRETARY OF STATE|INTERNAL REVENUE SERVICE|IRS|DEPARTMENT OF REVENUE|FRANCHISE TAX BOARD|
STATE UNIVERSITY|STATE HIGHWAY|STATE POLICE|HIGHWAY PATROL|PUBLIC WORKS|HOUSING AUTHORITY|
TRANSIT AUTHORITY|PORT AUTHORITY|GOVERNMENT|FEDERAL|TRIBE|TRIBAL|NATION OF|CHILD SUPPORT|ADMINISTRATION|
LEGISLATURE|JUDICIARY|PORT OF|CORRECTIONS|PROSECUTING ATTORNEY|BOARD OF ALDERMEN|RECORDER OF DEEDS|
PROTECTION AGENCY|REGISTER OF DEEDS|PROBATE COURT|CORONER|ATTORNEY GENERAL|STATE ATTORNEY""".replace(
    "\n", ""
).split("|")

# SIC codes for government bodies, by the phrase that names them (public administration, 91xx-97xx).
GOVERNMENT_SIC = {
    "TAX": "9311",
    "REVENUE": "9311",
    "TREASURER": "9311",
    "TREASURY": "9311",
    "ASSESSOR": "9311",
    "COMPTROLLER": "9311",
    "COURT": "9211",
    "CLERK": "9211",
    "POLICE": "9221",
    "SHERIFF": "9221",
    "FIRE": "9224",
    "CORRECTIONS": "9223",
    "SCHOOL": "9411",
    "EDUCATION": "9411",
    "HEALTH": "9431",
    "HOUSING": "9531",
    "TRANSIT": "9621",
    "HIGHWAY": "9621",
    "TRANSPORTATION": "9621",
    "WATER": "9511",
    "SANITATION": "9511",
    "ENVIRONMENTAL": "9511",
    "PARK": "9512",
    "LABOR": "9651",
    "AGRICULTURE": "9641",
    "VETERANS": "9451",
    "DEFENSE": "9711",
    "POSTAL": "9311",
    "CHILD SUPPORT": "9441",
    "HUMAN SERVICES": "9441",
    "SOCIAL SERVICES": "9441",
}
# Phrases AP payee names carry, with their code in the 1987 SIC manual (sic_codes.csv); matched
# longest first, before the word lexicon derived from the descriptions.
SIC_PHRASES = {
    "FEDERAL CREDIT UNION": "6061",
    "CREDIT UNION": "6062",
    "NATIONAL BANK": "6021",
    "NATIONAL ASSOCIATION": "6021",
    "STATE BANK": "6022",
    "BANK": "6022",
    "BANK AND TRUST": "6022",
    "SAVINGS BANK": "6036",
    "SAVINGS AND LOAN": "6035",
    "FEDERAL SAVINGS": "6035",
    "TRUST COMPANY": "6091",
    "MORTGAGE": "6162",
    "INSURANCE AGENCY": "6411",
    "INSURANCE": "6411",
    "REALTY": "6531",
    "REAL ESTATE": "6531",
    "PROPERTY MANAGEMENT": "6531",
    "TITLE COMPANY": "6541",
    "PLUMBING": "1711",
    "HVAC": "1711",
    "HEATING AND AIR": "1711",
    "AIR CONDITIONING": "1711",
    "ELECTRIC": "1731",
    "ELECTRICAL": "1731",
    "ELECTRICAL CONTRACTORS": "1731",
    "ROOFING": "1761",
    "PAINTING": "1721",
    "CONCRETE": "1771",
    "FLOORING": "1752",
    "FENCE": "1799",
    "EXCAVATING": "1794",
    "GENERAL CONTRACTOR": "1542",
    "CONSTRUCTION": "1542",
    "HOME BUILDERS": "1521",
    "LANDSCAPING": "0781",
    "LAWN": "0782",
    "TREE SERVICE": "0783",
    "TRUCKING": "4212",
    "FREIGHT": "4731",
    "LOGISTICS": "4731",
    "COURIER": "4215",
    "MOVING": "4214",
    "TOWING": "7549",
    "AUTO REPAIR": "7538",
    "AUTO BODY": "7532",
    "TIRE": "7534",
    "CAR WASH": "7542",
    "PRINTING": "2752",
    "SIGNS": "3993",
    "CATERING": "5812",
    "RESTAURANT": "5812",
    "PIZZA": "5812",
    "GRILL": "5812",
    "CAFE": "5812",
    "DELI": "5812",
    "BAR": "5813",
    "TAVERN": "5813",
    "BAKERY": "5461",
    "GROCERY": "5411",
    "MARKET": "5411",
    "LIQUOR": "5921",
    "PHARMACY": "5912",
    "DRUG STORE": "5912",
    "FLORIST": "5992",
    "HARDWARE": "5251",
    "LUMBER": "5211",
    "FURNITURE": "5712",
    "JEWELRY": "5944",
    "OFFICE SUPPLY": "5112",
    "MEDICAL SUPPLY": "5047",
    "DENTAL": "8021",
    "DENTIST": "8021",
    "DDS": "8021",
    "DMD": "8021",
    "MEDICAL GROUP": "8011",
    "PHYSICIANS": "8011",
    "MD": "8011",
    "CLINIC": "8011",
    "CHIROPRACTIC": "8041",
    "OPTOMETRY": "8042",
    "PHYSICAL THERAPY": "8049",
    "HOME HEALTH": "8082",
    "HOSPITAL": "8062",
    "NURSING HOME": "8051",
    "VETERINARY": "0742",
    "ANIMAL HOSPITAL": "0742",
    "LAW OFFICE": "8111",
    "LAW FIRM": "8111",
    "LAW GROUP": "8111",
    "ATTORNEYS": "8111",
    "ATTORNEY": "8111",
    "ESQ": "8111",
    "LLP": "8111",
    "ACCOUNTING": "8721",
    "CPA": "8721",
    "CPAS": "8721",
    "BOOKKEEPING": "8721",
    "TAX SERVICE": "7291",
    "CONSULTING": "8742",
    "ENGINEERING": "8711",
    "ARCHITECTS": "8712",
    "SURVEYING": "8713",
    "STAFFING": "7363",
    "TEMPORARY HELP": "7363",
    "EMPLOYMENT AGENCY": "7361",
    "JANITORIAL": "7349",
    "CLEANING": "7349",
    "PEST CONTROL": "7342",
    "SECURITY SERVICES": "7381",
    "SECURITY": "7381",
    "ALARM": "7382",
    "FUNERAL": "7261",
    "SALON": "7231",
    "BARBER": "7241",
    "FITNESS": "7991",
    "PHOTOGRAPHY": "7221",
    "TRAVEL": "4724",
    "HOTEL": "7011",
    "INN": "7011",
    "MOTEL": "7011",
    "IT SOLUTIONS": "7373",
    "IT SERVICES": "7373",
    "SOFTWARE": "7372",
    "COMPUTER": "7373",
    "WEB DESIGN": "7371",
    "DATA": "7374",
    "TELECOM": "4813",
    "COMMUNICATIONS": "4813",
    "WIRELESS": "4812",
    "MARKETING": "8743",
    "ADVERTISING": "7311",
    "STAFFING SERVICES": "7363",
    "EQUIPMENT RENTAL": "7359",
    "RENTALS": "7359",
    "STORAGE": "4225",
    "WASTE": "4953",
    "RECYCLING": "4953",
    "UTILITIES": "4939",
    "ENERGY": "4911",
    "SOLAR": "1711",
    "OIL": "1311",
    "GAS STATION": "5541",
    "CHURCH": "8661",
    "SCHOOL": "8211",
    "ACADEMY": "8211",
    "UNIVERSITY": "8221",
    "COLLEGE": "8221",
    "DAYCARE": "8351",
    "CHILD CARE": "8351",
    "FOUNDATION": "8399",
    "ASSOCIATION": "8699",
}
_SIC_STOPWORDS = set(
    "AND OR OF THE FOR NEC EXCEPT NOT ETC IN TO BY ON WITH OTHER RELATED PRODUCTS SERVICES "
    "GENERAL MISCELLANEOUS INCLUDING SUPPLY SUPPLIES".split()  # SUPPLY alone is no water utility
)


def _first_names(data: Path) -> dict[str, float]:
    births: Counter[str] = Counter()
    for row in rows(data / "us_first_names_ssa.csv"):
        births[clean(row["first_name"])] += int(row["births_1960_2005"] or 0)
    total = sum(births.values())
    names = {name: round(count / total * 1e6, 1) for name, count in births.items() if count >= 300}
    for row in rows(data / "us_first_names_census1990.csv"):
        names.setdefault(clean(row["first_name"]), round(float(row["freq_pct"]) * 1e4, 1))
    return names


def _surnames(data: Path) -> dict[str, float]:
    return {
        clean(row["surname"]): round(float(row["freq_pct"]) * 1e4, 1)
        for row in rows(data / "us_surnames_census1990.csv")
        if int(row["rank"]) <= 60000
    }


# Foreign legal forms common on US payee files (SEC registrants: AXA SA, PHADIA AB, OUTOKUMPU OY,
# GRUPO SIMEC SAB DE CV); the other short foreign forms (AS, IS, KY…) are English words or state codes
# far more often than legal forms.
FOREIGN_LEGAL = {
    "SA",
    "SAB",
    "CV",
    "AB",
    "OY",
    "SE",
    "ASA",
    "TBK",
    "GMBH",
    "PLC",
    "AG",
    "BV",
    "NV",
    "SRL",
    "SARL",
    "LTDA",
    "PTY",
    "PTYLTD",
    "SPA",
    "KGAA",
    "OYJ",
    "SAS",
    "BVBA",
    "SPZOO",
    "SRO",
    "KFT",
    "OOO",
    "PTE",
    "BHD",
}
US_PROFESSIONAL = {"PA", "PC", "PLLC", "LLLP", "PLC", "APC", "APLC", "LC"}
_NOT_BUSINESS = set("AND FOR THE OF ALL FIRST GREAT BIG NEW OLD TOP BEST".split())


def legal_suffixes(data: Path) -> list[str]:
    found = set(FOREIGN_LEGAL | US_PROFESSIONAL)
    for row in rows(data / "business_legal_suffixes_cleanco.csv"):
        if row["group_value"].startswith("United States"):
            suffix = clean(row["suffix"])
            if suffix and suffix not in {"AND CO", "AND COMPANY"}:
                found.add(suffix.replace(" ", ""))
    return sorted(found)


def _company_word_counts(
    data: Path, first: dict[str, float], last: dict[str, float], keep: Keep
) -> Counter[str]:
    """In how many real company names each token is, for tokens that are rare as person names."""
    df: Counter[str] = Counter()
    for row in rows(data / "company_names_combined.csv"):
        if keep(row["name"]):
            df.update(set(canonical_tokens(row["name"])))
    person_like = {tok for tok, share in first.items() if share >= 5} | {
        tok for tok, share in last.items() if share >= 3
    }
    return Counter(
        {
            tok: n
            for tok, n in df.items()
            if len(tok) > 2 and tok not in person_like and tok not in _NOT_BUSINESS
        }
    )


def _statistical_business_words(counts: Counter[str]) -> list[str]:
    """Tokens frequent in real company names (40 or more) and rare as person names."""
    return sorted(tok for tok, n in counts.items() if n >= 40)


ENGLISH_WORDS = 30000  # the most frequent English words (wordfreq) the vocabulary holds


def _trade_vocabulary(
    counts: Counter[str], data: Path, first: dict[str, float], last: dict[str, float]
) -> list[str]:
    """Words a company name may hold that a person's name seldom does (MUSIC, DAIRY, ARCHITECTS;
    not LEWKO, not BISHOP): in five or more real company names, in the SIC and NAICS titles, or a
    trade word, less common names; or one of the commonest English words (wordfreq, pinned), less
    names as common as an English word (YOUNG, HUNTER); each in singular and plural."""
    trade = {tok for tok, n in counts.items() if n >= 5}
    for phrase in TRADES:
        trade.update(canonical_tokens(phrase))
    for row in rows(data / "sic_codes.csv"):
        for column in ("description", "industry_group_desc", "major_group_desc"):
            trade.update(canonical_tokens(row[column]))
    for row in rows(data / "naics_2022_codes.csv"):
        trade.update(canonical_tokens(row["title"]))
    english = {w.upper() for w in top_n_list("en", ENGLISH_WORDS) if w.isascii() and w.isalpha()}

    def names(share: float) -> set[str]:
        return {tok for tok, s in first.items() if s >= share} | {
            tok for tok, s in last.items() if s >= share
        }

    words = (_with_plurals(trade) - names(3)) | (_with_plurals(english) - names(50))
    return sorted(w for w in words if len(w) > 3 and w not in _SIC_STOPWORDS)


def _with_plurals(words: set[str]) -> set[str]:
    return (
        words | {w + "S" for w in words if not w.endswith("S")} | {w[:-1] for w in words if w.endswith("S")}
    )


def _sic_lexicon(data: Path) -> dict[str, list[str]]:
    """Word -> [code, description]: the most specific SIC code whose description uses the word."""
    best: dict[str, tuple[int, str, str]] = {}
    for row in rows(data / "sic_codes.csv"):
        code, desc = row["sic_code"], row["description"]
        if code.startswith("9") or code.endswith("00"):
            continue
        words = [w for w in canonical_tokens(desc) if w not in _SIC_STOPWORDS and len(w) > 3]
        for word in words:
            rank = len(words)
            if word not in best or rank < best[word][0]:
                best[word] = (rank, code, desc)
    return {word: [code, desc] for word, (_, code, desc) in sorted(best.items())}


def _sic_descriptions(data: Path) -> dict[str, str]:
    return {row["sic_code"]: row["description"] for row in rows(data / "sic_codes.csv")}


def _known_company_cores(data: Path, legal: set[str], keep: Keep) -> list[str]:
    """Multi-word names of real companies without their legal form (brands like ROBERT HALF).

    Chicago licence names are taken only when they carry a legal form, since that list also holds
    sole proprietors' own names.
    """
    cores = set()
    for row in rows(data / "company_names_combined.csv"):
        if not keep(row["name"]):
            continue
        tokens = canonical_tokens(row["name"])
        has_form = any(tok in legal for tok in tokens)
        if may_be_a_person(row) and not has_form:
            continue
        core = [tok for tok in tokens if tok not in legal and tok != "THE"]
        if len(core) >= 2:
            cores.add(" ".join(core))
    return sorted(cores)


def _government_names(data: Path, keep: Keep) -> list[str]:
    agencies = list(rows(data / "us_federal_agencies.csv"))
    names = {canonical(row["agency"]) for row in agencies if keep(row["agency"])}
    names |= {canonical(row["sub_agency"]) for row in agencies if keep(row["sub_agency"])}
    return sorted(n for n in names if len(n.split()) >= 2)


def _places(data: Path) -> list[str]:
    """Every town and city of the gazetteer, alone and followed by its state's code or name."""
    places: set[str] = set()
    for row in rows(data / "us_cities.csv"):
        city = canonical(row["city"])
        places |= {city, f"{city} {canonical(row['state_code'])}", f"{city} {canonical(row['state_name'])}"}
    return sorted(places - {""})


# Trade words of small firms, which generated businesses use and the trade vocabulary holds.
TRADES = (
    "PLUMBING",
    "ROOFING",
    "ELECTRIC",
    "LANDSCAPING",
    "CONSTRUCTION",
    "CONSULTING",
    "TRUCKING",
    "JANITORIAL",
    "AUTO REPAIR",
    "DENTAL",
    "MEDICAL GROUP",
    "SUPPLY",
    "PRINTING",
    "CATERING",
    "STAFFING",
    "LAW OFFICE",
    "ACCOUNTING",
    "HVAC",
    "PEST CONTROL",
    "FLOORING",
    "PAINTING",
    "CONCRETE",
    "SECURITY",
    "ENGINEERING",
    "MARKETING",
    "LOGISTICS",
    "FENCE",
    "GLASS",
    "TIRE",
    "RENTALS",
    "SIGNS",
    "BAKERY",
    "DELI",
    "PIZZA",
    "TAVERN",
    "FLORIST",
    "PHOTOGRAPHY",
    "DESIGN",
    "REALTY",
    "INSURANCE AGENCY",
    "TOWING",
    "WELDING",
    "MACHINE SHOP",
    "CLEANERS",
    "SALON",
    "IT SOLUTIONS",
    "IT SERVICES",
    "WEB SERVICES",
    "WEB DESIGN",
    "COMMUNICATIONS",
    "TECHNOLOGIES",
    "DATA SYSTEMS",
    "NETWORKS",
    "SOFTWARE",
    "TELECOM",
    "WIRELESS",
    "HOME IMPROVEMENT",
    "HOME CENTER",
    "OFFICE SOLUTIONS",
    "BUSINESS SERVICES",
    "HEALTH SERVICES",
    "HOME HEALTH",
    "FUNERAL HOME",
    "FUNERAL PARLORS",
    "VETERINARY CLINIC",
    "ANIMAL HOSPITAL",
    "PHARMACY",
    "DRUG STORE",
    "MARKET",
    "GROCERY",
    "HARDWARE",
    "LUMBER",
    "FARM SUPPLY",
    "FEED AND SEED",
    "MOTORS",
    "AUTO PARTS",
    "DEPOT",
    "OUTFITTERS",
    "BOUTIQUE",
    "STUDIO",
    "MEDIA",
    "PRODUCTIONS",
    "EVENTS",
    "TRAVEL",
    "TOURS",
    "TRANSPORT",
    "EXPRESS",
    "COURIER",
    "MOVING AND STORAGE",
    "STORAGE",
    "ENVIRONMENTAL",
    "ENERGY",
    "SOLAR",
    "POWER SYSTEMS",
    "CONTROLS",
    "INDUSTRIES",
    "MANUFACTURING",
    "FABRICATION",
    "TOOL AND DIE",
    "PACKAGING",
    "LAND SERVICES",
    "LAND SURVEYING",
    "TITLE COMPANY",
    "PROPERTY MANAGEMENT",
    "HOLDINGS",
    "PARTNERS",
    "VENTURES",
    "ENTERPRISES",
    "GROUP",
    "WORKS",
    "SUPPLY HOUSE",
    "DISTRIBUTORS",
    # trades that read like a surname or a public function: CRAWFORD FUEL, SMITH WATER TREATMENT
    "FUEL", "FUELS", "OIL", "PROPANE", "PEDIATRICS", "ORTHODONTICS", "CHIROPRACTIC", "OPTOMETRY",
    "DERMATOLOGY", "CABINETS", "MILLWORK", "FIRE PROTECTION", "WATER TREATMENT", "TAX SERVICE",
    "TAX SERVICES", "BOOKKEEPING", "LEGAL SERVICES", "MASONRY", "PAVING", "EXCAVATING", "SEPTIC",
    "LOCKSMITH", "UPHOLSTERY", "COLLISION", "BODY SHOP", "TILE", "CARPET", "DRYWALL", "INSULATION",
    "GUTTERS", "IRRIGATION", "TREE SERVICE", "LAWN CARE", "POOLS", "TUTORING", "DAYCARE", "FITNESS",
    "BARBER SHOP", "JEWELERS", "AUCTIONS", "APPRAISALS", "INSPECTIONS", "COUNSELING", "THERAPY",
    "HOME CARE", "AMBULANCE", "RECYCLING", "DISPOSAL", "SANITATION", "WATER WELL", "SAFETY",
)  # fmt: skip


# National brands that read like a person's name (AP files carry them without a legal form), with
# their SIC code: their words would give another (WELLS FARGO is no oil well, OLIVE GARDEN no lawn).
PERSON_LIKE_BRANDS = {
    "EDWARD JONES": "6211", "JOHN DEERE": "3523", "BOB EVANS": "5812", "WELLS FARGO": "6021",
    "OLIVE GARDEN": "5812", "PAPA JOHNS": "5812", "DAVE AND BUSTERS": "5812", "CHARLES SCHWAB": "6211",
    "KENNETH COLE": "3143", "JOHN HANCOCK": "6311", "RALPH LAUREN": "2321", "CALVIN KLEIN": "2321",
    "TOMMY HILFIGER": "2321", "MICHAEL KORS": "3171", "KATE SPADE": "3171", "MARTHA STEWART": "2721",
    "BEN AND JERRYS": "2024", "DUNKIN DONUTS": "5812", "WENDYS": "5812", "ARBYS": "5812", "MCDONALDS": "5812",
    "DOMINOS": "5812", "JIMMY JOHNS": "5812", "JACK IN THE BOX": "5812", "RUTHS CHRIS": "5812",
    "TGI FRIDAYS": "5812", "DENNYS": "5812", "CARLS JR": "5812", "LITTLE CAESARS": "5812",
    "MARIE CALLENDERS": "5812", "SHERWIN WILLIAMS": "2851", "HARLEY DAVIDSON": "3751",
    "JOHNSON AND JOHNSON": "2834", "PROCTER AND GAMBLE": "2841", "ERNST AND YOUNG": "8721",
    "ROBERT HALF": "7363", "LOWES": "5211", "MACYS": "5311", "KOHLS": "5311", "DILLARDS": "5311",
    "NORDSTROM": "5651", "JC PENNEY": "5311", "SEARS": "5311", "WALGREENS": "5912", "TRADER JOES": "5411",
    "HOBBY LOBBY": "5945", "DICKS SPORTING GOODS": "5941", "BEST BUY": "5731", "GRAINGER": "5085",
    "FERGUSON": "5074", "FASTENAL": "5072", "CINTAS": "7218", "ARAMARK": "5812", "JOHNSON CONTROLS": "3822",
    "MARRIOTT": "7011", "HILTON": "7011", "HYATT": "7011", "ENTERPRISE RENT A CAR": "7514", "AVIS": "7514",
    "HERTZ": "7514", "BANK OF AMERICA": "6021", "AMERICAN EXPRESS": "6141", "MORGAN STANLEY": "6211",
    "GOLDMAN SACHS": "6211", "MERRILL LYNCH": "6211", "RAYMOND JAMES": "6211", "CHARLES RIVER": "8731",
    "ALLEN EDMONDS": "3143", "LEVI STRAUSS": "2325", "ELI LILLY": "2834", "ABBOTT": "2834",
    "BECTON DICKINSON": "3841", "PETER PIPER PIZZA": "5812", "KELLY SERVICES": "7363",
    "DAVID WEEKLEY HOMES": "1531", "MOLLY MAID": "7349", "MR ROOTER": "1711", "ROTO ROOTER": "1711",
    "STATE FARM": "6331", "BAKER TILLY": "8721", "ARTHUR J GALLAGHER": "6411", "KPMG": "8721",
    "MARY KAY": "2844", "SAMS CLUB": "5399", "MRS FIELDS": "5461", "WILLIAMS SONOMA": "5719",
    "EDDIE BAUER": "5651", "LANE BRYANT": "5621", "HOLIDAY INN": "7011", "CRACKER BARREL": "5812",
    "JERSEY MIKES": "5812", "PAPA MURPHYS": "5812", "AUNTIE ANNES": "5461", "JOS A BANK": "5611",
    "MARSHALLS": "5651", "TJ MAXX": "5651", "ROSS DRESS FOR LESS": "5651", "SALLY BEAUTY": "5999",
    "JENNY CRAIG": "7299", "H AND R BLOCK": "7291", "JACKSON HEWITT": "7291", "LIBERTY TAX": "7291",
    "ALLSTATE": "6331", "NATIONWIDE": "6331", "THRIVENT": "6311", "PRUDENTIAL": "6311", "JOHN LEWIS": "5311",
    "DAVID YURMAN": "3911",
}  # fmt: skip


def build_lexicon(data: Path, keep: Keep = lambda name: True) -> dict[str, Any]:
    """The lexicon from the shared data; ``keep`` says which organisation names it may learn from
    (training builds it from its own side of the entity split only)."""
    first, last = _first_names(data), _surnames(data)
    legal = legal_suffixes(data)
    counts = _company_word_counts(data, first, last, keep)
    return {
        "version": 1,
        "first_names": first,
        "surnames": last,
        "legal_suffixes": legal,
        "known_companies": sorted(
            set(_known_company_cores(data, set(legal), keep)) | set(PERSON_LIKE_BRANDS)
        ),
        "business_words": sorted(set(BUSINESS_WORDS) | set(_statistical_business_words(counts))),
        "trade_words": _trade_vocabulary(counts, data, first, last),
        "places": _places(data),
        "government_phrases": sorted(set(GOVERNMENT_PHRASES) | set(_government_names(data, keep))),
        "government_sic": GOVERNMENT_SIC,
        "sic_lexicon": _sic_lexicon(data),
        "sic_phrases": {**SIC_PHRASES, **PERSON_LIKE_BRANDS},
        "sic_descriptions": _sic_descriptions(data),
    }


def write_lexicon(lexicon: dict[str, Any], path: Path = LEXICON_FILE) -> None:
    payload = json.dumps(lexicon, sort_keys=True, separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(payload)
