"""The Faust application: topics, the generic stage loop, dead letters and the worker entry."""
