-- An upload being ingested is touched every few seconds by the API process ingesting it; one left
-- untouched for a minute was orphaned (that process ended) and its batch reads "failed".
ALTER TABLE uploads ADD COLUMN alive_at timestamptz NOT NULL DEFAULT now();
