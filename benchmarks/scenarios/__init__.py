"""The benchmark scenarios: `single` (one promotion vs baselines), `fleet` (many releases, one org),
`startup` (process start cost). Each `run_*` returns a JSON-ready dict; `benchmarks.table` renders it."""
