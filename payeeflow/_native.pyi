"""Type stubs for the compiled ``payeeflow._native`` (source: ``native/src``)."""

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

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
        trade: list[str],
        titles: list[str],
        generations: list[str],
        professions: list[str],
        known_companies: list[str],
        places: list[str],
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

class NameIndex:
    """Every payee's name, searchable by substring (``native/src/nameindex.rs``)."""

    @staticmethod
    def from_copy(data: bytes) -> NameIndex: ...
    def __len__(self) -> int: ...
    @property
    def tail(self) -> int: ...
    def put(self, payee_id: str, name: str) -> bool: ...
    def find(self, term: str, after: str, count: int) -> list[str] | None: ...
    def merged(self) -> NameIndex: ...

class Suppliers:
    """The supplier network as matching holds and searches it (``native/src/store.rs``,
    ``native/src/postings.rs``)."""

    def __init__(
        self,
        *,
        keys: MatchKeys,
        max_posting: int,
        near_weight: float,
        boost_from: float,
        prefix_limit: int,
        equivalents: list[tuple[str, str]],
        qualifiers: AbstractSet[str],
        entities: AbstractSet[str],
        joining: AbstractSet[str],
        forms: AbstractSet[str],
        given: AbstractSet[str],
    ) -> None: ...
    def set_model(
        self, features: int, trees: list[list[tuple[int, float, int, int, float]]], base: float
    ) -> None: ...
    def __len__(self) -> int: ...
    @property
    def row_count(self) -> int: ...
    def upsert(self, fields: list[str]) -> bool: ...
    def delete(self, supplier_id: str) -> bool: ...
    def read_csv(self, path: str, positions: list[int | None]) -> int: ...
    def packed(self, row: int) -> str | None: ...
    def alive(self, row: int) -> bool: ...
    def row_of(self, supplier_id: str) -> int | None: ...
    def exact(self, key: str) -> list[int]: ...
    def key(self, row: int) -> str | None: ...
    def by_tax(self, tax_id: str) -> int | None: ...
    def form(self, row: int) -> str | None: ...
    def candidates(self, tokens: list[str], truncated: bool, limit: int) -> list[int]: ...
    def features(
        self, tokens: list[str], rows: list[int], *, state: str, zip: str, city: str, form: str | None
    ) -> list[float]: ...
    def rank(
        self, tokens: list[str], rows: list[int], *, state: str, zip: str, city: str, form: str | None
    ) -> tuple[list[tuple[float, int]], tuple[float, bool] | None]: ...
    def pairing(
        self, tokens: list[str], row: int
    ) -> tuple[list[str], list[tuple[int, str, float] | None], list[tuple[int, str, float] | None]]: ...

def rank(supplier_id: str) -> int:
    """Where a supplier stands among rows that tie (a hash of its id)."""

class Text:
    """Clean text, canonical tokens and ERP wording, the same for every stage."""

    def __init__(self, *, abbreviations: Mapping[str, str]) -> None: ...
    def clean(self, text: str) -> str: ...
    def canonical_tokens(self, text: str) -> tuple[str, ...]: ...
    def strip_erp_noise(self, name: str) -> str: ...

class MatchKeys:
    """Match keys: the part of a name that identifies a supplier, for index and query alike."""

    def __init__(
        self,
        *,
        abbreviations: Mapping[str, str],
        legal_forms: AbstractSet[str],
        trailing_forms: AbstractSet[str],
        noise: AbstractSet[str],
        plurals: Mapping[str, str],
        form_of: Mapping[str, str],
        long_forms: list[str],
        form_prefixes: AbstractSet[str],
        begun_forms: AbstractSet[str],
        swapped_forms: AbstractSet[str],
        cut_lengths: list[int],
    ) -> None: ...
    def key(self, name: str) -> tuple[list[str], str | None]: ...
    def query(self, name: str) -> tuple[list[str], bool, str | None]: ...
    def legal_form(self, name: str) -> str | None: ...

class AddressTagger:
    """usaddress's street-line tagger over its own model's weights (``native/src/crf.rs``)."""

    def __init__(
        self,
        *,
        labels: list[str],
        state: list[tuple[str, int, float]],
        transitions: list[tuple[int, int, float]],
        directions: AbstractSet[str],
        street_names: AbstractSet[str],
    ) -> None: ...
    def parse(self, line: str) -> list[tuple[str, str]] | None: ...

class AvroSchema:
    """An Avro schema compiled to read and write records (``native/src/avro.rs``)."""

    def __init__(self, spec: Any, timestamp: Callable[[int], Any], millis: Callable[[Any], int]) -> None: ...
    def read(self, data: bytes, start: int) -> tuple[Any, int]: ...
    def write(self, value: Any, header: bytes, previous: bytes | None = None) -> bytes: ...
