"""Network match: the best supplier of the network for a payee, or none."""

from payeeflow.agents.matching.index import SupplierIndex
from payeeflow.agents.matching.logic import Matcher

__all__ = ["Matcher", "SupplierIndex"]
