"""Network match: the best supplier of the network for a payee, or none."""

from agents.matching.index import SupplierIndex
from agents.matching.logic import Matcher

__all__ = ["Matcher", "SupplierIndex"]
