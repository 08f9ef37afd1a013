"""Type stubs for the compiled ``agents.classification.native`` (source: ``native/src``)."""

class Signals:
    """What a name shows, in words a person reads."""

    legal_form: str | None
    government: str | None
    business_word: str | None
    known_company: bool
    first_name: bool
    surname: bool
    person: list[str]
    digits: bool

class Featurizer:
    def __init__(
        self,
        *,
        first_names: list[tuple[str, float]],
        surnames: list[tuple[str, float]],
        legal: list[str],
        business: list[str],
        titles: list[str],
        generations: list[str],
        professions: list[str],
        known_companies: list[str],
        government: list[tuple[str, bool]],
    ) -> None: ...
    def features(self, name: str, tokens: tuple[str, ...]) -> tuple[list[str], Signals]: ...

class Scorer:
    def __init__(
        self,
        featurizer: Featurizer,
        weights: list[tuple[str, list[float]]],
        bias: list[float],
        temperature: float,
        shape: list[str],
    ) -> None: ...
    def probabilities(self, name: str, tokens: tuple[str, ...]) -> tuple[list[float], Signals, bool]: ...

def align(
    query: list[str],
    query_weights: list[float],
    candidate: list[str],
    weights: list[float],
    truncated: bool,
    weak_floor: float,
    out_of_order: float,
    other_number: float,
) -> float: ...
