"""Sources (files, suppliers) and the PostgreSQL sink."""
