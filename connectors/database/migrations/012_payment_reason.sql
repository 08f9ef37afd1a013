-- The payment recommendation's confidence and reason (enrichment), in the payee's row and in each
-- batch's snapshot of it (which also keeps the providers still to answer).
ALTER TABLE payees
    ADD COLUMN payment_confidence double precision,
    ADD COLUMN payment_reason text;
ALTER TABLE batch_payees
    ADD COLUMN payment_confidence double precision,
    ADD COLUMN payment_reason text,
    ADD COLUMN providers_pending text[];
