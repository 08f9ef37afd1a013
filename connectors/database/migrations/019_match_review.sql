-- A match a clerk should confirm (match_type 'review'): the supplier to confirm first. The
-- candidates with their probability and evidence are match_candidates, as before.
ALTER TABLE payees ADD COLUMN candidate_id text;
ALTER TABLE batch_payees ADD COLUMN candidate_id text;
