"""The FastAPI reader: payee lookups and search, batch progress, health and metrics."""
