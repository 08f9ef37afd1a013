-- What `payeeflow retention` (connectors/database/retention.py) needs to delete in short steps.
-- A finished batch's per-payee rows go after some days; its counts as they were then stay on its
-- manifest (`final_counts`, the same JSON GET /batches/{id} counts live), so the batch still answers.
ALTER TABLE batches ADD COLUMN results_deleted_at timestamptz, ADD COLUMN final_counts jsonb;
-- Dead letters go by failure time, or by replay time once replayed: each walked in its index's order.
CREATE INDEX dead_letters_failed_at_idx ON dead_letters (failed_at, id);
CREATE INDEX dead_letters_replayed_at_idx ON dead_letters (replayed_at, id) WHERE replayed_at IS NOT NULL;
-- When a name change was logged: the sink forgets the log after 5 minutes, but a deployment whose
-- sink was down keeps it, and retention deletes what is older than a setting. now() is stable, so
-- adding the column rewrites nothing (rows already there read this migration's time), and the sink's
-- inserts pay no index for it: retention walks the log in its order on disk (not oldest first once
-- new changes reuse the space of deleted ones; every chunk still takes only old rows).
ALTER TABLE payee_name_changes ADD COLUMN changed_at timestamptz NOT NULL DEFAULT now();
