-- The rows a batch's file held, a payee repeated on many payments counted each time: a
-- payment-level export of 54,354 rows is a batch of its 2,251 distinct payees.
ALTER TABLE batches ADD COLUMN rows bigint NOT NULL DEFAULT 0;
