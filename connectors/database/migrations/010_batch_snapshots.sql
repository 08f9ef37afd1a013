-- A batch keeps its rows as they were when it stored them: each stored member holds the payee's
-- answers from the version this batch carried, so a later batch (or a correction) carrying the
-- same payee changes nothing of an earlier batch's counts and exports.
ALTER TABLE batch_payees
    ADD COLUMN version bigint,
    ADD COLUMN name text,
    ADD COLUMN address text,
    ADD COLUMN city text,
    ADD COLUMN state text,
    ADD COLUMN zip text,
    ADD COLUMN excluded boolean,
    ADD COLUMN exclusion_keyword text,
    ADD COLUMN exclusion_category text,
    ADD COLUMN payee_type text,
    ADD COLUMN confidence double precision,
    ADD COLUMN sic_code text,
    ADD COLUMN sic_description text,
    ADD COLUMN reason text,
    ADD COLUMN supplier_id text,
    ADD COLUMN supplier_name text,
    ADD COLUMN match_score double precision,
    ADD COLUMN match_type text,
    ADD COLUMN address_line text,
    ADD COLUMN address_city text,
    ADD COLUMN address_state text,
    ADD COLUMN address_zip text,
    ADD COLUMN address_status text,
    ADD COLUMN card_acceptance text,
    ADD COLUMN payment_method text,
    ADD COLUMN needs_review boolean,
    ADD COLUMN review_reason text;
-- members stored before this migration: the payee's row is the best snapshot there is
UPDATE batch_payees m SET
    version = p.version, name = p.name, address = p.address, city = p.city, state = p.state, zip = p.zip,
    excluded = p.excluded, exclusion_keyword = p.exclusion_keyword,
    exclusion_category = p.exclusion_category, payee_type = p.payee_type, confidence = p.confidence,
    sic_code = p.sic_code, sic_description = p.sic_description, reason = p.reason,
    supplier_id = p.supplier_id, supplier_name = p.supplier_name, match_score = p.match_score,
    match_type = p.match_type, address_line = p.address_line, address_city = p.address_city,
    address_state = p.address_state, address_zip = p.address_zip, address_status = p.address_status,
    card_acceptance = p.card_acceptance, payment_method = p.payment_method,
    needs_review = p.needs_review, review_reason = p.review_reason
  FROM payees p
 WHERE p.payee_id = m.payee_id AND m.outcome = 'stored';
