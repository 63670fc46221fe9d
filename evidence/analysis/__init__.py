"""The analysis layer: the isolated worker process, the jobs it runs, and the pipeline that
analyses a preserved original and records what it gives."""
