"""Prefect wiring and the command line. `pipeline` composes the stages in plain Python;
`ingest` wraps it in Prefect tasks and the `ingest_inbox` flow; `cli` is `selfeval`."""
