"""``python -m fdcore bench``: the benchmark suites and the peers they are measured against.

runner   the command: core suites (gradient, jacobian, hessian, accurate, overhead), the run, output
core     rows, counters, timing             peers   the peer implementations, each optional
one module per further suite: accuracy, compiled, vectorized, workers, checking, sparse, compat
report, goals, plots   tables and Markdown, the performance goals, --plot
function `bench --function MODULE:FUNC`: every method on the user's own f, ranked (rank_methods)

Nothing outside fdcore.bench imports it; it uses the public API. Its public names, for users'
scripts: `rank_methods`, `MethodRank`, `format_ranking`, `plot_ranking`.
"""

from fdcore.bench.function import MethodRank, format_ranking, plot_ranking, rank_methods

__all__ = ["MethodRank", "format_ranking", "plot_ranking", "rank_methods"]
