"""The rows of `python -m fdcore bench` as plain-text tables (stdout) or Markdown (--markdown).

One table per suite. The peak-memory and note columns appear only in suites that fill them.
"""

import math

# What installs each optional peer, by the first word of its label (before any "." or space): the
# bench extra has SciPy, numdifftools, statsmodels, matplotlib, jacobi, fdm and optimagic, not these.
_PEER_INSTALLS = {"jax": "pip install jax", "numba": "pip install numba",
                  "dask": "pip install 'dask[distributed]'", "torch": "pip install torch"}
_BENCH_EXTRA = "pip install '.[bench]'"


def install_hint(missing):
    """The install commands that provide the missing peers (labels), e.g. "pip install jax;
    pip install '.[bench]'"."""
    commands = {_PEER_INSTALLS.get(label.replace(".", " ").split()[0], _BENCH_EXTRA) for label in missing}
    return "; ".join(sorted(commands, key=lambda c: (c == _BENCH_EXTRA, c)))


def format_time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3f} {unit}"
    return f"{seconds / 1e-9:.1f} ns"


def format_bytes(count):
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count:.0f} B"


def _columns(rows):
    """(header, cells of a row) for one suite's rows: the optional columns only when used."""
    memory = any(not math.isnan(r.peak_bytes) for r in rows)
    notes = any(r.note for r in rows)
    header = ["problem", "n", "method", "median", "evals", "max rel err", "time/fdcore"]
    if memory:
        header.append("peak memory")
    if notes:
        header.append("note")

    def cells(r):
        out = [r.problem, str(r.n), r.method, format_time(r.median_s),
               "-" if r.nfev < 0 else str(r.nfev),
               "-" if math.isnan(r.max_rel_error) else f"{r.max_rel_error:.1e}",
               "-" if math.isnan(r.ratio_to_fdcore) else f"{r.ratio_to_fdcore:.2f}x"]
        if memory:
            out.append("-" if math.isnan(r.peak_bytes) else format_bytes(r.peak_bytes))
        if notes:
            out.append(r.note)
        return out

    return header, cells


def _by_suite(rows):
    for suite in dict.fromkeys(r.suite for r in rows):
        yield suite, [r for r in rows if r.suite == suite]


def format_table(rows, missing=()):
    """The rows as plain-text tables, one per suite."""
    lines = []
    for suite, suite_rows in _by_suite(rows):
        header, cells = _columns(suite_rows)
        table = [header] + [cells(r) for r in suite_rows]
        widths = [max(len(line[k]) for line in table) for k in range(len(header))]
        # text columns (problem, method, note) left-aligned, numbers right-aligned
        left = {0, 2, len(header) - 1} if header[-1] == "note" else {0, 2}
        lines.append(f"\n== {suite} ==")
        for i, line in enumerate(table):
            lines.append("  ".join(c.ljust(w) if k in left else c.rjust(w)
                                   for k, (c, w) in enumerate(zip(line, widths))).rstrip())
            if i == 0:
                lines.append("-" * len(lines[-1]))
    if missing:
        lines.append(f"\nnot installed (skipped): {', '.join(missing)}  ({install_hint(missing)})")
    return "\n".join(lines)


def markdown_table(header, lines, numeric=()):
    """A Markdown table; the columns whose index is in ``numeric`` are right-aligned."""
    out = ["| " + " | ".join(header) + " |", "|" + "".join("---:|" if k in numeric else "---|" for k in range(len(header)))]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in lines]
    return "\n".join(out)


def format_markdown(rows, missing, accuracy, goals, quick, accuracy_problems=None):
    """The whole report as Markdown: suite tables, the accuracy suite's tables (its per-case and
    tag-class tables need ``accuracy_problems``, the problems it ran on), the goals."""
    from fdcore.bench import accuracy as accuracy_suite  # both import this module
    from fdcore.bench import goals as goal_table

    parts = [f"## fdcore bench ({'quick' if quick else 'full'})",
             "Median time per call, evaluations of f, max-norm relative error against the analytic "
             "answer, time relative to the case's fdcore row."]
    for suite, suite_rows in _by_suite(rows):
        header, cells = _columns(suite_rows)
        numeric = [k for k, name in enumerate(header) if name not in ("problem", "method", "note")]
        parts += [f"### {suite}", markdown_table(header, [cells(r) for r in suite_rows], numeric)]
    if missing:
        parts.append(f"Not installed (skipped): {', '.join(missing)} ({install_hint(missing)}).")
    if accuracy is not None:
        parts += ["### accuracy", accuracy_suite.format_markdown(accuracy, accuracy_problems)]
    parts += ["### performance goals", goal_table.format_markdown(goals, quick)]
    return "\n\n".join(parts) + "\n"
