"""What the project knows of civic names, as training examples: the organisations a public word
leads astray and the public bodies that hold no "city", "county" or "state".

DESIGN.md files every organisation that is not a public body as BUSINESS, non-profits included,
whatever civic word they carry (``GAYVILLE VOLUNTEER FIRE DEPT``, ``SOUTH DAKOTA ASSOCIATION OF
COUNTIES``, ``CHEYENNE RIVER YOUTH PROJECT``); a public body is GOVERNMENT however a clerk shortens
it (``MEADE CO WEED & PEST``, ``FAIRVIEW TWNSHIP``, ``BADLANDS NATIONAL PARK``). Real AP files
hold many of both and the registrant lists the model otherwise learns from hold neither, so the
model meets them here, filled with real places and names.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from payeeflow.shared_data import rows

# Non-profits, associations and firms whose names hold a public word: BUSINESS.
CIVIC_ORGANISATIONS = (
    "{city} VOLUNTEER FIRE DEPT", "{city} VOLUNTEER FIRE DEPARTMENT", "{city} VOL FIRE DEPT", "{city} VFD",
    "{city} COMMUNITY FIRE DEPT", "{city} AMBULANCE ASSOCIATION", "{city} RESCUE SQUAD",
    "{city} AREA COMMUNITY FOUNDATION", "{city} COMMUNITY FOUNDATION", "{city} AREA COMMUNITY FOUND",
    "{city} AREA CHAMBER OF COMMERCE", "{state} CHAMBER OF COMMERCE", "{city} CONVENTION & VISITORS BUREAU",
    "{state} ASSOCIATION OF COUNTIES", "{state} ASSN OF COUNTIES", "NATIONAL ASSOCIATION OF COUNTIES",
    "{state} MUNICIPAL LEAGUE", "{state} SHERIFFS ASSOCIATION", "{state} ASSOCIATION OF SCHOOL BOARDS",
    "{state} COUNTY TREASURERS ASSN", "{state} COURT ADMINISTRATORS ASSOC", "{state} ASSESSORS ASSOCIATION",
    "{region} CHAPTER {state} ASSESSOR ASSOCIATION", "NATIONAL COUNCIL OF STATE BOARDS OF NURSING",
    "NATIONAL {last} ASSOCIATION", "{state} {last} COUNCIL", "{last} CENTER FOR INDEPENDENCE",
    "{state} PUBLIC HEALTH ASSOCIATION", "{state} ACADEMY OF SCIENCE", "{state} ACADEMY OF SCIENCES",
    "{state} HISTORICAL SOCIETY", "{city} HISTORICAL SOCIETY", "{city} CHILDRENS MUSEUM",
    "{city} SCIENCE CENTER", "{city} ART MUSEUM", "{city} SYMPHONY ORCHESTRA", "{city} ARTS COUNCIL",
    "{city} AREA ARTS COUNCIL", "{city} ZOO", "{city} YOUTH PROJECT", "{city} AREA CASA PROGRAM",
    "{county} COUNTY CASA", "{n} CIRCUIT COURT CASA PROGRAM", "{city} RESCUE MISSION",
    "{city} COMMUNITY ACTION AGENCY", "{city} COMMUNITY ACTION PARTNERSHIP", "{city} COMMUNITY SERVICES",
    "{last} COMMUNITY SERVICES", "{city} AREA COMMUNITY DEVELOPMENT CORP", "{city} COMMUNITY DEV CO",
    "{city} HABITAT FOR HUMANITY", "BOYS & GIRLS CLUB OF {city}", "{city} FAMILY YMCA", "{city} FOOD BANK",
    "{city} CENTER FOR INDEPENDENT LIVING", "{city} POLICE PROTECTIVE LEAGUE",
    "{city} POLICE OFFICERS ASSOCIATION", "{city} POLICE ATHLETIC LEAGUE", "{city} COMMUNITY POLICE COUNCIL",
    "{city} PARK COMMUNITY PATROL", "{city} PARK CONSERVANCY", "{city} WATERSHED COUNCIL",
    "{city} NEIGHBORHOOD ASSOCIATION", "{state} ELECTRIC COOPERATIVE", "{city} RURAL ELECTRIC ASSOCIATION",
    "{state} PUBLIC SERVICE COMPANY", "{state} POWER COMPANY", "{last} GOVERNMENT SOLUTIONS",
    "{last} COMMERCIAL & GOVERNMENT PRODUCTS", "{last} EDUCATION & GOVERNMENT SALES",
    "{last} PUBLIC SAFETY CONSULTANTS", "{last} DATA PROCESSING DIVISION", "{city} PARK SERVICE STATIONS",
    "{city} PARK MANAGEMENT", "{last} WATER & INFRASTRUCTURE", "{city} ELECTION SERVICES",
    "{city} COUNTY VETERINARY SERVICE", "{county} COUNTY ABSTRACT CO", "{county} COUNTY TITLE COMPANY",
    "ALCOHOL AND DRUG SERVICES OF {county} COUNTY", "{city} AQUATIC AND HEALTH CENTER",
    "{city} FAMILY PLANNING", "{last} HEALTH FAMILY PLANNING", "{state} AUTOMOBILE DEALERS ASSN",
    "UNIVERSITY OF {last}", "{last} UNIVERSITY", "{last} COLLEGE", "UNIVERSITY OF {city} MERCY",
    "{state} COUNCIL OF CHURCHES", "{city} SENIOR CITIZENS CLUB", "{state} {union} UNION",
    "{city} LIONS CLUB", "{city} ROTARY CLUB", "AMERICAN LEGION POST {n}", "VFW POST {n}",
    "{city} FAIR ASSOCIATION", "{city_named} {trade}", "{city_named} {trade} {form}", "{call} TV {n}",
    "{call}-TV", "{call} RADIO", "{call}-FM", "{call} AM {n}0", "DRS {last}-{last2}", "DRS {last} & {last2}",
    "{last} {last2} {last3}", "{state} ASSN OF COUNTY COMMISSIONERS", "UNITED STATES {trade} CONFERENCE",
    "{region} {trade} CONFERENCE", "PUBLIC SERVICE CO OF {state}", "{state} PUBLIC SERVICE CO",
    "{state} GAS & ELECTRIC", "{state} POWER & LIGHT", "{direction} {state} POWER", "{acronym} HR",
    "{acronym} AR", "{acronym} ACCOUNTS RECEIVABLE", "{acronym} BILLING DEPT", "{spanish_trade} {spanish}",
    "{spanish_trade} {spanish}", "{spanish_trade} LA {spanish}", "{spanish_trade} EL {spanish}",
    "CASA DEL {spanish}", "CASA {spanish}", "EL {spanish} {spanish_trade}", "LA {spanish} {trade}",
    "{spanish_trade} {spanish} {form}", "{spanish_trade} Y {spanish_trade}", "{county} COUNTY FAIR BOARD",
    "{city} RODEO ASSOCIATION",
    "{city} COMM ARTS COUNCIL", "{last} COMM SOLUTIONS", "{city} COMM DEVELOPMENT CORP",
    "{direction} TELECOMM CO-OP", "{region} RIVER TELECOMM COOPERATIVE", "{city} ECONOMIC DEVELOPMENT CORP",
    "{city} AREA ECONOMIC DEVELOPMENT", "{last} SPORT & SPINE REHAB",
)  # fmt: skip
# Public bodies named without "city", "county" or "state", or shortened: GOVERNMENT.
PUBLIC_BODIES = (
    "{county} COUNTY REG OF DEEDS", "{county} COUNTY REGISTER OF DEEDS", "{county} REGISTER OF DEEDS",
    "{county} CO REG OF DEEDS", "{county} CO WEED & PEST", "{county} COUNTY WEED & PEST",
    "{county} COUNTY WEED AND PEST", "{county} WEED BOARD", "{county} COUNTY HOSPITAL",
    "{county} CONSERVATION DISTRICT", "{county} COUNTY EXTENSION", "{city} TWNSHIP", "{city} TWONSHIP",
    "{city} TWSP", "{city} TOWNSHIP BOARD", "{last} NATIONAL PARK", "{city} NATIONAL FOREST",
    "{city} NATIONAL WILDLIFE REFUGE", "U S POSTAL SERVICE", "U. S. POSTAL SERVICE", "POSTMASTER {city}",
    "{city} POST OFFICE", "{city} INDIAN COLONY", "{city} INDIAN HEALTH SERVICE",
    "{direction} {state} UNIVERSITY", "REGENTS OF THE UNIVERSITY OF {state}",
    "REGENTS OF THE UNIV OF {state}", "UNIV OF {state}", "{state} DIVISION OF MOTOR VEHICLES",
    "{state} MOTOR VEHICLE DIVISION", "{state} DMV", "US FISH AND WILDLIFE SERVICE", "US FISH & WILDLIFE",
    "US GEOLOGICAL SURVEY", "USGS", "US ARMY CORPS OF ENGINEERS", "FCC LICENSING",
    "FEDERAL COMMUNICATIONS COMMISSION", "BUREAU OF LAND MANAGEMENT", "BUREAU OF INDIAN AFFAIRS",
    "NATIONAL PARK SERVICE", "US FOREST SERVICE", "CLERK OF COURTS", "{county} CLERK OF COURT",
    "{county} CLERK OF COURTS", "{city} MUNICIPAL COURT", "{n}TH DISTRICT COURT", "{n}TH CIRCUIT COURT",
    "{state} SUPREME COURT", "{state} STATE HOSPITAL", "{direction} STATE HOSPITAL",
    "{state} STATE PENITENTIARY", "{state} BOARD OF NURSING", "{state} BOARD OF PHARMACY",
    "{state} STATE BOARD OF ACCOUNTANCY", "{city} SCHOOL DISTRICT {n}-{m}", "{city} SCHOOL DIST {n}",
    "{state} TECHNICAL COLLEGE", "{city} AREA TECHNICAL COLLEGE", "{city} TECHNICAL INSTITUTE",
    "{county} COUNTY GENERAL FUND", "{county} COUNTY TREASURY", "{state} DEPT OF LABOR",
    "{state} GAME FISH AND PARKS", "{state} HIGHWAY PATROL", "{city} FIRE & RESCUE",
    "{city} HOUSING COMMISSION", "{city} PUBLIC UTILITIES COMMISSION", "{city} REDEVELOPMENT AGENCY",
    "STATE DISBURSEMENT UNIT", "{state} STATE DISBURSEMENT UNIT", "{city} FIRE PROTECTION DISTRICT",
    "{city} FIRE PROT DIST", "{city} RURAL FIRE DISTRICT", "{county} COUNTY EMERGENCY SERVICES DISTRICT",
    "{state} LOTTERY", "{state} RETIREMENT SYSTEM", "{state} ATTORNEY GENERAL", "{county} STATES ATTORNEY",
    "{city} BUILDING AUTHORITY", "{region} AIR QUALITY MANAGEMENT DISTRICT",
    "THE TRUSTEES OF {state} STATE UNIVERSITY", "{state} DEPT OF HEALTH AND HUMAN SERVICES",
)  # fmt: skip
# What a word that decides a type says, for the reason a clerk reads: (the type it speaks for, what
# it names).
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
# Spanish trade words and everyday nouns: CASA DEL SABOR, TAQUERIA EL SOL are businesses, where
# JOSE GARCIA is a person.
SPANISH_TRADES = (
    "TAQUERIA", "PANADERIA", "RESTAURANTE", "MERCADO", "CARNICERIA", "LAVANDERIA", "TIENDA", "SUPERMERCADO",
    "FLORERIA", "DISTRIBUIDORA", "CONSTRUCCIONES", "SERVICIOS", "TALLER", "PALETERIA", "JOYERIA", "ZAPATERIA",
    "FARMACIA", "CLINICA", "COCINA", "CANTINA", "ABARROTES", "MARISCOS", "PESCADERIA", "TORTILLERIA",
)  # fmt: skip
SPANISH_WORDS = (
    "SABOR", "SOL", "MAR", "REY", "NORTE", "SUR", "CIELO", "ORO", "TORO", "AGUILA", "PALMA", "ESTRELLA",
    "AMIGOS", "CAMPO", "RANCHO", "JARDIN", "FUEGO", "LUNA", "PUEBLO", "TIERRA", "MAGUEY", "NOPAL",
    "GUADALAJARA", "JALISCO", "MICHOACAN", "OAXACA", "SINALOA", "TAPATIO", "CHARRO", "BUEN GUSTO", "FAMILIA",
)  # fmt: skip
REGIONS = ("NORTHEASTERN", "SOUTHEASTERN", "NORTHWESTERN", "SOUTHWESTERN", "CENTRAL", "WESTERN", "EASTERN")
DIRECTIONS = ("NORTHERN", "SOUTHERN", "EASTERN", "WESTERN", "CENTRAL", "NORTHWEST", "SOUTHWEST", "NORTHEAST")
UNIONS = ("EDUCATION", "TEACHERS", "NURSES", "FARMERS", "STATE EMPLOYEES")


def civic_names(
    data: Path, rng: random.Random, count: int, templates: tuple[str, ...], trades: tuple[str, ...]
) -> Iterator[str]:
    """``count`` names of ``templates`` filled with real places, surnames and ``trades``; a
    third cut as a state's 30-character field cuts them (``SOUTH DAKOTA ASSN OF COUNTY``)."""
    places = [
        (r["city"].upper(), r["county"].upper(), r["state_name"].upper())
        for r in rows(data / "us_cities.csv")
    ]
    named = sorted({city for city, _, _ in places if city.endswith(" CITY")})  # RAPID CITY PLUMBING
    lasts = [r["surname"] for r in rows(data / "us_surnames_census1990.csv") if int(r["rank"]) <= 5000]
    for _ in range(count):
        city, county, state = rng.choice(places)
        name = rng.choice(templates).format(
            city=city,
            county=county,
            state=state,
            city_named=rng.choice(named),
            trade=rng.choice(trades),
            form=rng.choice(("INC", "LLC", "CO", "CORP")),
            call=rng.choice("KW") + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)),
            last=rng.choice(lasts),
            last2=rng.choice(lasts),
            last3=rng.choice(lasts),
            region=rng.choice(REGIONS),
            acronym="".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVW") for _ in range(rng.randint(2, 5))),
            spanish=rng.choice(SPANISH_WORDS),
            spanish_trade=rng.choice(SPANISH_TRADES),
            direction=rng.choice(DIRECTIONS),
            union=rng.choice(UNIONS),
            n=rng.randint(1, 99),
            m=rng.randint(1, 9),
        )
        yield name[:30].rstrip() if len(name) > 30 and rng.random() < 0.33 else name
