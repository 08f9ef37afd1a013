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

class Network:
    """The supplier network as matching searches it (``native/src/postings.rs``)."""

    def __init__(
        self, *, max_posting: int, near_weight: float, boost_from: float, prefix_limit: int
    ) -> None: ...
    def __len__(self) -> int: ...
    def add(self, tokens: list[str], state: str, city: str, zip: str, form: str) -> int: ...
    def retire(self, row: int) -> None: ...
    def alive(self, row: int) -> bool: ...
    def idf(self, token: str) -> float: ...
    def candidates(self, tokens: list[str], truncated: bool, limit: int) -> list[int]: ...
    def score(
        self,
        tokens: list[str],
        truncated: bool,
        rows: list[int],
        exact: bool,
        *,
        state: str,
        zip: str,
        city: str,
        form: str | None,
        rules: tuple[float, float, float],
    ) -> tuple[list[tuple[float, int]], float | None]: ...
