"""Payee type (INDIVIDUAL / BUSINESS / GOVERNMENT / UNKNOWN) with confidence, reason and SIC code.

The classifier is ``logic.Classifier``; the package itself imports nothing, so that reading the
trained files (``artifacts``) costs no model code.
"""
