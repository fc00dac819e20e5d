"""The central aggregator: ingest from gates, storage, sync down, search and the console."""
