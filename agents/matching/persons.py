"""Whether two names that the match model may read as one are two payees: a person and a firm in
that person's name, or two persons of one given name, one of whose surnames begins the other's.

``RODNEY J DEAN MD`` and ``RODNEY J DEAN MD PC``, ``JANEL M SCHMIDT`` and ``JANEL M SCHMIDT INC``
are two payees: a practitioner paid in person and her practice, with a tax id each, and so are
``JULIA GARDNER`` and ``JULIA CORPORATION``. A key leaves the legal form out, so their keys are
one, or one holds the other's, and the match model reads them as one supplier; the readers
judged each such pair of the labelled set's training and development parts two. A
brand named after its founder (``JOHN DEERE``, ``JOHN DEERE CO``) has the same shape, and a name
alone cannot tell them apart, so such a pair is never matched without a clerk (``Matcher.match``
sends it to review). ``KENNETH J KING`` and ``KINGSBURY, KENNETH`` pair up as a cut or a
shortening would (``EXAMI``, ``EXAMINERS``), but a surname is not cut short of a field limit.
"""

from __future__ import annotations

from payeeflow.agents.matching.normalize import read_query
from payeeflow.agents.matching.words import PairWords

# Words a practice's legal form carries beside the form itself: PROF LLC, PROFESSIONAL CORP.
PRACTICE = frozenset({"PROF", "PROFESSIONAL"})
MAX_NAME_WORDS = 4  # first, middle, last and one more: a longer name is more than a person's


def two_payees(
    words: PairWords,
    ours: list[str],
    our_form: str | None,
    our_cut: bool,
    theirs: list[str],
    their_form: str | None,
    their_name: str,
) -> str | None:
    """Why our key and the supplier's (``their_name``'s) are two payees though their words pair
    up; None when nothing says so. ``our_cut``: our name may be cut at a field limit."""
    if person_and_firm(words, ours, our_form, theirs, their_form):
        return "a person and a firm in the person's name"
    if (
        not our_cut
        and other_families(words, ours, our_form, theirs, their_form)
        and not read_query(their_name).truncated  # a surname cut at a field limit is one
    ):
        return "two persons, one's surname the beginning of the other's"
    return None


def other_families(
    words: PairWords, ours: list[str], our_form: str | None, theirs: list[str], their_form: str | None
) -> bool:
    """Whether both keys read as persons of a given name they share, and a word of one that the
    other lacks begins a longer word of the other that the one lacks (``KING``, ``KINGSBURY``).
    Not when the longer is a given name (``JOS``, ``JOSEPH``; ``ANN``, ``ANNE``), nor when it is
    the shorter run together with another word of the shorter's name (``DEL RIO``, ``DELRIO``)."""
    if our_form is not None or their_form is not None:
        return False
    a, b = set(ours), set(theirs)
    if not (a & b & words.given) or not (_reads_as_person(words, a) and _reads_as_person(words, b)):
        return False
    for short_side, long_side in ((a, b), (b, a)):
        for short in short_side - long_side:
            for long in long_side - short_side:
                if (
                    len(short) >= 3
                    and len(long) > len(short)
                    and long.startswith(short)
                    and long not in words.given
                    and not any(short + other == long for other in short_side)
                ):
                    return True
    return False


def person_and_firm(
    words: PairWords, ours: list[str], our_form: str | None, theirs: list[str], their_form: str | None
) -> bool:
    """Whether one key, without a legal form, reads as one person's name, and the other is
    that name's words, or some of them (credentials and their order aside), with a legal form:
    ``TIM PETERSON INC`` and ``PETERSON, TIM G``, ``JULIA CORPORATION`` and ``JULIA GARDNER``
    (the readers judged all 11 pairs of the training and development parts of that shape two
    payees). Names joined by AND are partners' (``LYNN JACKSON SHULTZ & LEBRUN PC``), not one
    person's."""
    if (our_form is None) == (their_form is None) or "AND" in ours or "AND" in theirs:
        return False
    firm, person = (ours, theirs) if our_form is not None else (theirs, ours)
    strip = words.credentials | PRACTICE
    name = {w for w in person if w not in strip}
    firm_name = {w for w in firm if w not in strip}
    return bool(firm_name) and firm_name <= name and _reads_as_person(words, name)


def _reads_as_person(words: PairWords, name: set[str]) -> bool:
    """A first name and a surname, perhaps with initials or a middle name: words of letters
    that no list of firms' words knows (``SCHMIDT``, ``DOHRER``)."""
    return (
        len(name) <= MAX_NAME_WORDS
        and sum(len(w) > 1 for w in name) >= 2
        and any(w in words.given for w in name)
        and all(w.isalpha() and w not in words.trade for w in name)
    )
