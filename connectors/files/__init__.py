"""Payee files: read row by row within their limits (``rows``, ``limits``), their columns mapped
to payee fields (``columns``), a payee id's rows told apart (``identities``), and produced to
``payees.raw`` as one batch (``ingest``)."""
