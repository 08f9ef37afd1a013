"""PostgreSQL: connections and migrations (``postgres``), the sink that writes the final topics
(``sink``), the name-change log (``namechanges``) and the dead letters' listing and replay
(``dlq``)."""
