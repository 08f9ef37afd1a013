"""The slow paid providers the enrichment stage may ask (the card network's bulk search, address
validation; the LLM of classification shares their guards): their HTTP clients behind feature
flags, the guards around every call (``guards``), and the workflow that runs their jobs beside the
stages (``workflow``: submit, poll, apply, a record's next version)."""
