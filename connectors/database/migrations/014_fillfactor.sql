-- Room on each page for a row's next version: a slow provider's answer (the card network's)
-- updates a stored payee and its batch snapshot without touching an indexed column, which
-- PostgreSQL then writes as a heap-only tuple (no index entry, the trigram one included).
ALTER TABLE payees SET (fillfactor = 85);
ALTER TABLE batch_payees SET (fillfactor = 85);
