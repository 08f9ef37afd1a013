-- What a clerk needs to act on a match: whether to review it, why, and the best candidates with
-- the evidence that decided (from the match stage's `review` and `candidates`).
ALTER TABLE payees ADD COLUMN needs_review boolean NOT NULL DEFAULT false;
ALTER TABLE payees ADD COLUMN review_reason text NOT NULL DEFAULT '';
ALTER TABLE payees ADD COLUMN match_candidates jsonb NOT NULL DEFAULT '[]';
CREATE INDEX payees_needs_review_idx ON payees (payee_id) WHERE needs_review;
