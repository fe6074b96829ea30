"""flowrelease benchmarks: how fast and how cheaply a release completes, against the peers' way, in one run.

`python -m benchmarks` runs three scenarios against the Genesys Cloud emulator and prints a table (and
writes a JSON file for later comparison):

- `single`: one promotion whose publish takes T seconds, run by the engine and by two fixed-interval poll
  baselines (`benchmarks.baselines`) against the same emulator; every figure is also given as a ratio.
- `fleet`: 100 and 1,000 FlowReleases against one emulated org with a known rate limit.
- `startup`: wall time and peak RSS of `flowrelease --help` and `flowrelease sync`, against `python -c pass`.

Benchmarks are not tests: they never fail on a number. `tests/benchmarks` runs each scenario once at a tiny
size so they cannot rot.
"""
