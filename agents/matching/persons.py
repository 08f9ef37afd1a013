"""Whether two names are a person and a firm in that person's name.

``RODNEY J DEAN MD`` and ``RODNEY J DEAN MD PC``, ``JANEL M SCHMIDT`` and ``JANEL M SCHMIDT INC``
are two payees: a practitioner paid in person and her practice, with a tax id each, and so are
``JULIA GARDNER`` and ``JULIA CORPORATION``. A key leaves the legal form out, so their keys are
one, or one holds the other's, and the match model reads them as one supplier; the readers
judged each such pair of the labelled set's training and development parts two. A
brand named after its founder (``JOHN DEERE``, ``JOHN DEERE CO``) has the same shape, and a name
alone cannot tell them apart, so such a pair is never matched without a clerk (``Matcher.match``
sends it to review).
"""

from __future__ import annotations

from payeeflow.agents.matching.words import PairWords

# Words a practice's legal form carries beside the form itself: PROF LLC, PROFESSIONAL CORP.
PRACTICE = frozenset({"PROF", "PROFESSIONAL"})
MAX_NAME_WORDS = 4  # first, middle, last and one more: a longer name is more than a person's


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
