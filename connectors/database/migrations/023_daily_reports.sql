-- The daily report as `payeeflow report --store` made it (one a UTC day, made again: replaced), so a
-- past day's figures survive retention deleting the rows they were counted from.
CREATE TABLE daily_reports (
    day        date PRIMARY KEY,
    report     jsonb NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now()
);
