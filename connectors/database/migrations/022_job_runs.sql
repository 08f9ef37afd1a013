-- The scheduled jobs' runs (supplier sync, retention, report): one row each, with what it counted.
-- The sink exports the last run of each job as metrics, since a CronJob's pod is gone before any
-- Prometheus scrape; `payeeflow retention` keeps this table bounded like the others.
CREATE TABLE job_runs (
    run_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job          text NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    outcome      text NOT NULL CHECK (outcome IN ('ok', 'failed')),
    counts       jsonb NOT NULL DEFAULT '{}',
    error        text
);
CREATE INDEX job_runs_job_idx ON job_runs (job, finished_at DESC);
