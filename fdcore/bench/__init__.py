"""``python -m fdcore bench``: the benchmark suites and the peers they are measured against.

runner   the command: core suites (gradient, jacobian, hessian, accurate, overhead), the run, output
core     rows, counters, timing             peers   the peer implementations, each optional
one module per further suite: accuracy, compiled, vectorized, workers, checking, sparse, compat
report, goals, plots   tables and Markdown, the performance goals, --plot

Nothing outside fdcore.bench imports it; it uses the public API.
"""
