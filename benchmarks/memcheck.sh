#!/usr/bin/env bash
# Memory checks of fdcore's compiled kernels (issue 9, item 3): AddressSanitizer and valgrind memcheck.
#
# Usage:  bash benchmarks/memcheck.sh            (from anywhere; checks the repository's committed HEAD)
#   MEMCHECK_VALGRIND=0   skip the valgrind pass            MEMCHECK_KEEP=1   keep the work directory
#   MEMCHECK_REPO=path    another git repository to clone    MEMCHECK_WORK=dir  use this work directory
#
# Nothing in the repository is built or touched: it is cloned (committed HEAD only; uncommitted edits
# are not checked) into a temporary directory with its own virtualenv (--system-site-packages, so the
# already installed numpy/scipy/numba/cffi/Cython/pytest are used and nothing is downloaded when they
# are present). Passes:
#   1. ASan build: every extension compiled with -fsanitize=address (ASan runtime linked; OpenMP
#      required, FDCORE_OPENMP=1); a positive control (a C callback that reads x[n], one past the
#      work copy fdcore hands it) must be caught in the compiled kernels; then the whole tests/ suite runs under
#      ASan (python preloads libasan + libstdc++, PYTHONMALLOC=malloc so every Python object is
#      ASan-tracked too, reports of every process, subprocesses included, go to log files), except
#      tests/test_leaks.py, whose tracemalloc thresholds assume the default allocator: it runs apart
#      under that allocator, in every pass (see ALLOCATOR_SENSITIVE below). The C
#      callbacks the tests compile (tests/csrc/fd_callbacks.c) are instrumented as well, through a
#      gcc/cc wrapper put first on PATH.
#   2. LeakSanitizer: the compiled-callback tests (test_compiled, test_concurrency, test_sparse,
#      test_hessian, test_gradient, test_leaks) with detect_leaks=1. Python, numpy and llvmlite leak
#      by design at exit (megabytes), so the pass fails only on leak records that have a frame in
#      fdcore's code; tracemalloc, which tests/test_leaks.py uses, cannot see fdcore's raw malloc()s.
#      (Records are attributed by allocation stack with ASan's fast unwinder: fdcore's own malloc()s
#      always show an fdcore frame; a leaked NumPy array allocated from fdcore code may not, and is
#      test_leaks.py's business.) Checked with mutants: dropping a free(w) from two_point_gradient_c
#      passes tests/test_leaks.py and fails this pass; a work copy one double short fails all four.
#   3. ASan + FDCORE_DEBUG_CYTHON=1 (boundscheck/wraparound/initializedcheck on) build: the whole
#      tests/ suite again (an out-of-range memoryview index raises IndexError and fails a test).
#   4. valgrind memcheck (if valgrind is installed) on an ordinary build (-O3 from setup.py, plus -g):
#      a short script driving every compiled-kernel path (built-in Cython capsules with and without
#      user_data, ctypes and cffi callbacks with user_data, a callback returning an error status, one
#      told the wrong m, NaN/inf results, sparse Jacobian, 1 and 2 OpenMP threads) and the same with
#      Python callables; PYTHONMALLOC=malloc. A positive control (the x[n] read) must be reported.
#      Suppressed as not fdcore's: glibc's ld.so word-wise strncmp while expanding $ORIGIN rpaths,
#      and CPython 3.11's uninitialised-digit reads in int objects (every origin is _PyLong_New /
#      _PyLong_FromByteArray / PyLong_FromString in libpython; `python -c pass` shows them too).
#      OpenMP: memcheck serialises threads and reported nothing from libgomp here; races are
#      helgrind/TSan territory, not this script's.
#
# Time on the 2-core machine: about 9.5 minutes (three builds of 30-45 s, two ASan runs of the whole
# suite of ~3 min each, the leak pass ~1 min, valgrind ~1 min).
#
# A clean result ends with (test counts grow with the suite):
#   asan:           4328 passed, 1 warning in 144.50s (0:02:24) + test_leaks.py (default allocator): 28 passed in 25.32s; 0 ASan reports (positive control caught)
#   lsan:           651 passed in 13.96s + test_leaks.py (default allocator): 28 passed in 24.12s; 0 ASan reports; 1903 leak records at exit (5446475 bytes: Python/numpy/llvmlite), 0 with an fdcore frame
#   asan+debug:     4328 passed, 1 warning in 113.42s (0:01:53) + test_leaks.py (default allocator): 28 passed in 23.41s; 0 ASan reports
#   valgrind:       workload done; ERROR SUMMARY: 0 errors; 0 leak records with an fdcore frame (positive control caught)
#   memcheck: CLEAN
# and exit status 0 (1: something was found, the work directory is kept and its logs named; 2: the
# setup itself failed). The -O1 in CFLAGS is moot: setup.py appends -O3, which wins; ASan still checks
# every memory access the optimised code makes.
set -euo pipefail

START=$SECONDS
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${MEMCHECK_REPO:-$(git -C "$HERE" rev-parse --show-toplevel)}
WORK=${MEMCHECK_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/fdcore-memcheck.XXXXXX")}
SRC=$WORK/src
VENV=$WORK/venv
PY=$VENV/bin/python
FAILED=()
SUMMARY=()

log() { printf '[memcheck %4ds] %s\n' "$((SECONDS - START))" "$*"; }
die() { log "SETUP FAILED: $*"; log "work directory kept: $WORK"; exit 2; }
trap 'die "command failed at line $LINENO"' ERR

command -v gcc >/dev/null || die "gcc not found"
SYS_PY=${PYTHON:-python3}
LIBASAN=$(gcc -print-file-name=libasan.so)
LIBSTDCXX=$(gcc -print-file-name=libstdc++.so)
[ -e "$LIBASAN" ] || die "gcc has no libasan.so (Debian: apt-get install libasan8 or gcc)"
# libstdc++ is preloaded with libasan: otherwise ASan cannot intercept __cxa_throw in C++ extensions
# loaded later (matplotlib's ft2font aborts with "CHECK failed: ... real___cxa_throw").
PRELOAD="$LIBASAN $LIBSTDCXX"
log "repo $REPO ($(git -C "$REPO" rev-parse --short HEAD)); work dir $WORK"
log "$(gcc --version | head -1); $("$SYS_PY" --version); valgrind: $(valgrind --version 2>/dev/null || echo none)"

# --- clone, venv ---------------------------------------------------------------------------------
git clone -q "$REPO" "$SRC"
"$SYS_PY" -m venv --system-site-packages "$VENV"
# The venv's bundled setuptools (65.x) would shadow the system one and rejects pyproject's SPDX
# license string; drop it and take the build requirements from the system site (or PyPI if absent).
"$PY" -m pip uninstall -y -q setuptools >/dev/null 2>&1 || true
"$PY" - "$SRC/pyproject.toml" > "$WORK/requirements.txt" <<'EOF'
import sys, tomllib
meta = tomllib.load(open(sys.argv[1], "rb"))
print("\n".join(meta["build-system"]["requires"] + meta["project"]["optional-dependencies"]["test"]))
EOF
"$PY" -m pip install -q --disable-pip-version-check -r "$WORK/requirements.txt"

# gcc/cc wrappers: the C callbacks that tests compile get ASan too; the compiler itself runs without
# the preloaded runtime.
mkdir -p "$WORK/ccwrap"
for cc in gcc cc; do
    printf '#!/bin/sh\nexec env -u LD_PRELOAD %s -fsanitize=address -fno-omit-frame-pointer -g "$@"\n' \
        "$(command -v gcc)" > "$WORK/ccwrap/$cc"
    chmod +x "$WORK/ccwrap/$cc"
done

# build NAME [VAR=value ...]: a fresh build of the clone (git clean: Cython regenerates the C, so the
# directives of this build apply) installed non-editably into the venv.
build() {
    local name=$1; shift
    log "build $name: $*"
    git -C "$SRC" clean -xfdq
    (cd "$SRC" && env FDCORE_OPENMP=1 "$@" "$PY" -m pip install -v --disable-pip-version-check \
        --no-build-isolation --no-deps --no-cache-dir --force-reinstall . > "$WORK/build-$name.log" 2>&1) \
        || die "build $name failed, see $WORK/build-$name.log"
}

# check_install WANT_ASAN: fdcore imports from the venv (not the clone), with OpenMP, and every .so is
# (or is not) instrumented.
check_install() {
    local want_asan=$1 so n
    local pkg
    pkg=$(cd "$WORK" && env LD_PRELOAD="$( [ "$want_asan" = 1 ] && echo "$PRELOAD")" ASAN_OPTIONS=detect_leaks=0 \
        "$PY" -c "import fdcore, fdcore.evaluators.build_info as b, os; assert b.OPENMP; print(os.path.dirname(fdcore.__file__))")
    case $pkg in "$VENV"/*) ;; *) die "fdcore imported from $pkg, not from the venv";; esac
    for so in $(find "$pkg" -name '*.so'); do
        n=$(nm -D "$so" | grep -c '__asan_' || true)
        if [ "$want_asan" = 1 ] && { [ "$n" -eq 0 ] || ! ldd "$so" | grep libasan >/dev/null; }; then
            die "$so is not instrumented"
        fi
        if [ "$want_asan" = 0 ] && [ "$n" -ne 0 ]; then die "$so is instrumented (valgrind needs a plain build)"; fi
    done
    log "  installed in $pkg: $(find "$pkg" -name '*.so' | wc -l) extensions, ASan=$want_asan, OpenMP on"
}

# --- files the passes use ------------------------------------------------------------------------
cat > "$WORK/oob.c" <<'EOF'
/* Positive control: reads one double past the end of the x that fdcore passes (its work copy). */
double read_past_end(int n, double *x, void *user_data) { (void)user_data; return x[0] + x[n]; }
EOF
cat > "$WORK/control.py" <<'EOF'
import ctypes, sys
import numpy as np
import fdcore
f = ctypes.CDLL(sys.argv[1]).read_past_end
f.restype, f.argtypes = ctypes.c_double, [ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_void_p]
fdcore.gradient(f, np.ones(40), num_threads=2)
EOF
cat > "$WORK/python.supp" <<'EOF'
{
   glibc-ld.so-strncmp-word-reads-in-rpath-expansion
   Memcheck:Addr8
   fun:strncmp
   fun:is_dst
}
{
   cpython-3.11-int-digits-cond
   Memcheck:Cond
   obj:*/libpython3*.so*
}
{
   cpython-3.11-int-digits-value8
   Memcheck:Value8
   obj:*/libpython3*.so*
}
EOF
cat > "$WORK/count_fdcore_leaks.py" <<'EOF'
"""Leak records (LeakSanitizer or valgrind) with a frame in fdcore's code: prints 'total fdcore'."""
import re, sys
# fdcore/<layer>/x.c (ASan source paths), .../fdcore/<layer>/x.cpython-*.so, __pyx_*_6fdcore_* symbols,
# (x.c:N) (valgrind)
FDCORE = re.compile(r"fdcore/(evaluators|numerics|problems)/|6fdcore_|\((compiled|python_callable|combine|threads|arrays|coloring)\.c:")
total = hits = 0
for path in sys.argv[1:]:
    text = open(path, errors="replace").read()
    text = re.sub(r"(?m)^==\d+== ?", "", text)
    for rec in re.split(r"\n\s*\n", text):
        if re.search(r"(Direct|Indirect) leak of|are (definitely|indirectly) lost", rec):
            total += 1
            if FDCORE.search(rec):
                hits += 1
                print(rec, file=sys.stderr)
print(total, hits)
EOF
cat > "$WORK/vg_workload.py" <<'EOF'
"""A small workload for valgrind: every compiled-kernel path once, then the Python-callable path."""
import ctypes
import sys
import warnings

import cffi
import numpy as np
import scipy.sparse as sp

import fdcore

warnings.simplefilter("ignore", RuntimeWarning)  # the NaN/inf cases warn by design
lib = ctypes.CDLL(sys.argv[1])
DP = ctypes.POINTER(ctypes.c_double)
ffi = cffi.FFI()
ffi.cdef("double rosen_cubic(int, double *, void *); int vec_cubic(int, double *, int, double *, void *);")
cffi_lib = ffi.dlopen(sys.argv[1])


def scalar(name):
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = ctypes.c_double, [ctypes.c_int, DP, ctypes.c_void_p]
    return fn


def vector(name):
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_int, DP, ctypes.c_int, DP, ctypes.c_void_p]
    return fn


def check(label, got, want, tol):
    got = got.toarray() if sp.issparse(got) else np.asarray(got)
    err = float(np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want)))))
    assert err <= tol, f"{label}: relative error {err:.2e} > {tol:.0e}"
    print(f"ok  {label}")


def expect(label, exc, fn):
    try:
        fn()
    except exc as e:
        print(f"ok  {label}: {type(e).__name__}: {e}")
    else:
        raise AssertionError(f"{label}: no {exc.__name__}")


MODES = {"central": {}, "forward": {"method": "forward"}, "backward": {"method": "backward"},
         "order4": {"order": 4}, "richardson": {"richardson": True}, "adaptive": {"step": "adaptive"}}

# Built-in problems as Cython capsules (dense_quadratic carries user_data), 1 and 2 OpenMP threads.
for name, n in [("rosenbrock", 50), ("extended_powell", 40), ("dense_quadratic", 30)]:
    p = fdcore.get_problem(name, n)
    g_exact = p.derivative(p.x0)
    for threads in (1, 2):
        for mode, opts in MODES.items():
            check(f"{name} gradient {mode} threads={threads}",
                  fdcore.gradient(p.compiled, p.x0, num_threads=threads, **opts), g_exact, 1e-4)
    check(f"{name} hessian central threads=2", fdcore.hessian(p.compiled, p.x0, num_threads=2),
          fdcore.hessian(p.f, p.x0), 1e-5)
    check(f"{name} hessian forward threads=2", fdcore.hessian(p.compiled, p.x0, method="forward", num_threads=2),
          fdcore.hessian(p.f, p.x0, method="forward"), 1e-3)
v = fdcore.get_problem("broyden_tridiagonal", 60)
for threads in (1, 2):
    for mode, opts in MODES.items():
        check(f"broyden_tridiagonal jacobian {mode} threads={threads}",
              fdcore.jacobian(v.compiled, v.x0, num_threads=threads, **opts), v.derivative(v.x0), 1e-4)
pattern = sp.diags_array([np.ones(59), np.ones(60), np.ones(59)], offsets=[-1, 0, 1], shape=(60, 60), dtype=bool)
check("broyden_tridiagonal sparse jacobian (compiled)", fdcore.jacobian(v.compiled, v.x0, sparsity=pattern, num_threads=2),
      v.derivative(v.x0), 1e-6)
check("broyden_tridiagonal sparse jacobian (python)", fdcore.jacobian(v.f, v.x0, sparsity=pattern),
      v.derivative(v.x0), 1e-6)
r60 = fdcore.get_problem("rosenbrock", 60)
check("rosenbrock sparse hessian (python)", fdcore.hessian(r60.f, np.full(60, 0.5), sparsity=pattern),
      fdcore.hessian(r60.f, np.full(60, 0.5)), 1e-6)

# ctypes and cffi callbacks from tests/csrc/fd_callbacks.c, with user_data (a NumPy array) and without.
n = 48
x = np.linspace(-0.9, 0.9, n)
c = np.linspace(0.5, 1.5, n)
p = fdcore.get_problem("rosenbrock", n)
r20 = fdcore.get_problem("rosenbrock", 20)
for threads in (1, 2):
    g0 = fdcore.gradient(scalar("rosen_cubic"), x, num_threads=threads)
    check(f"ctypes rosen_cubic gradient threads={threads}", g0, p.derivative(x), 1e-5)
    g1 = fdcore.gradient(fdcore.Callback(scalar("rosen_cubic"), c), x, num_threads=threads)
    check(f"ctypes rosen_cubic+user_data gradient threads={threads}", g1, p.derivative(x) + 3 * c * x**2, 1e-5)
    g2 = fdcore.gradient(fdcore.Callback(cffi_lib.rosen_cubic, ffi.from_buffer("double[]", c)), x, num_threads=threads)
    check(f"cffi rosen_cubic+user_data gradient threads={threads}", g2, p.derivative(x) + 3 * c * x**2, 1e-5)
    H = fdcore.hessian(fdcore.Callback(scalar("rosen_cubic"), c), x[:20], num_threads=threads)
    H_py = fdcore.hessian(lambda y: r20.f(y) + np.sum(c[:20] * y**3), x[:20])
    check(f"ctypes rosen_cubic+user_data hessian threads={threads}", H, H_py, 1e-5)
    J_py = fdcore.jacobian(lambda y: np.append(c * y**3 + np.append(y[:-1] * y[1:], 0.0) - 2 * y, np.sum(y * y)), x)
    J = fdcore.jacobian(fdcore.Callback(vector("vec_cubic"), c, m=n + 1), x, num_threads=threads)
    check(f"ctypes vec_cubic+user_data jacobian threads={threads}", J, J_py, 1e-7)
    J = fdcore.jacobian(fdcore.Callback(cffi_lib.vec_cubic, ffi.from_buffer("double[]", c), m=n + 1), x,
                        num_threads=threads, richardson=True)
    check(f"cffi vec_cubic+user_data jacobian richardson threads={threads}", J, J_py, 1e-6)
    # A callback returning a non-zero status, and one told the wrong m (it returns 1).
    expect(f"status 7 threads={threads}", RuntimeError,
           lambda: fdcore.jacobian(fdcore.Callback(vector("vec_fail_at_3"), x, m=n + 1), x, num_threads=threads))
    expect(f"status 7/9 richardson threads={threads}", RuntimeError,
           lambda: fdcore.jacobian(fdcore.Callback(vector("vec_fail_at_3_and_40"), x, m=n + 1), x,
                                   num_threads=threads, richardson=True))
    expect(f"wrong m threads={threads}", RuntimeError,
           lambda: fdcore.jacobian(fdcore.Callback(vector("vec_cubic"), m=n), x, num_threads=threads))
    # NaN / inf results: flagged, not crashing.
    g = fdcore.gradient(fdcore.Callback(scalar("scalar_nan"), x), x, num_threads=threads)
    assert np.flatnonzero(~np.isfinite(g)).tolist() == [2, 7], g
    print(f"ok  scalar NaN/inf threads={threads}")
    J = fdcore.jacobian(fdcore.Callback(vector("vec_nan"), x, m=n + 1), x, num_threads=threads)
    assert not np.all(np.isfinite(J))
    print(f"ok  vector NaN/inf threads={threads}: {int(np.sum(~np.isfinite(J)))} non-finite entries")
    fdcore.jvp(fdcore.Callback(vector("vec_cubic"), c, m=n + 1), x, np.ones(n), num_threads=threads)
    fdcore.directional_derivative(scalar("rosen_cubic"), x, np.ones(n), num_threads=threads)
    print(f"ok  jvp / directional_derivative threads={threads}")

# The same problems through the Python-callable path (the evaluators/python_callable.pyx kernels).
for name, n in [("rosenbrock", 30), ("dense_quadratic", 20)]:
    p = fdcore.get_problem(name, n)
    for mode, opts in MODES.items():
        check(f"{name} python gradient {mode}", fdcore.gradient(p.f, p.x0, **opts), p.derivative(p.x0), 1e-4)
    fdcore.hessian(p.f, p.x0)
    fdcore.hessian(p.f, p.x0, method="forward", richardson=True)
    print(f"ok  {name} python hessians")
v = fdcore.get_problem("broyden_tridiagonal", 30)
for mode, opts in MODES.items():
    check(f"broyden_tridiagonal python jacobian {mode}", fdcore.jacobian(v.f, v.x0, **opts), v.derivative(v.x0), 1e-4)
g = fdcore.gradient(lambda y: np.nan if y[3] != 0.5 else float(np.sum(y**2)), np.full(10, 0.5))
assert np.flatnonzero(np.isnan(g)).tolist() == [3], g
print("ok  python NaN")
print("workload done")
EOF

T=$SRC/tests
CORE=("$T/test_compiled.py" "$T/test_concurrency.py" "$T/test_sparse.py" "$T/test_hessian.py"
      "$T/test_gradient.py")  # + test_leaks.py, which asan_pass always runs
# tests/test_leaks.py measures growth with tracemalloc against thresholds set for CPython's default
# allocator; under PYTHONMALLOC=malloc its 'jacobian sparse' case grows ~125 KB over 500 calls, inside
# numpy (scipy's csc column slicing, `view.flags.writeable = False`), saturating at ~220 KB after
# ~6000 calls: bounded, not a leak, and the same happens without ASan. So every pass runs it apart,
# under the default allocator; everything else runs with PYTHONMALLOC=malloc.
ALLOCATOR_SENSITIVE=$T/test_leaks.py

# asan_pytest NAME ASAN_OPTIONS PYTHONMALLOC ARGS...: pytest from $WORK (so the installed, instrumented
# fdcore is imported, never the clone's sources) with every process's reports in $WORK/NAME/asan.<pid>;
# PYTHONMALLOC empty: the default allocator.
asan_pytest() {
    local name=$1 opts=$2 pymalloc=$3 rc; shift 3
    rm -rf "${WORK:?}/$name"; mkdir -p "$WORK/$name"
    (cd "$WORK" && env -u PYTHONMALLOC PATH="$WORK/ccwrap:$PATH" ${pymalloc:+PYTHONMALLOC=$pymalloc} \
        LD_PRELOAD="$PRELOAD" ASAN_OPTIONS="$opts:log_path=$WORK/$name/asan" \
        "$PY" -m pytest -q -p no:cacheprovider --basetemp="$WORK/$name/tmp" "$@" > "$WORK/$name.log" 2>&1) \
        && rc=0 || rc=$?
    PASSED=$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$WORK/$name.log" | tail -1 | tr -d '=' | xargs || true)
    PASSED=${PASSED:-"pytest gave no summary (aborted, rc=$rc)"}
    return $rc
}
# asan_pass NAME ASAN_OPTIONS TESTS...: TESTS less test_leaks.py with PYTHONMALLOC=malloc (logs NAME),
# then test_leaks.py with the default allocator (logs NAME-leaks); sets RC, PASSED and REPORTS.
asan_pass() {
    local name=$1 opts=$2 rc1 rc2 p1; shift 2
    asan_pytest "$name" "$opts" malloc "$@" --ignore="$ALLOCATOR_SENSITIVE" && rc1=0 || rc1=$?
    p1=$PASSED
    asan_pytest "$name-leaks" "$opts" "" "$ALLOCATOR_SENSITIVE" && rc2=0 || rc2=$?
    PASSED="$p1 + test_leaks.py (default allocator): $PASSED"
    RC=$((rc1 > rc2 ? rc1 : rc2))
    REPORTS=$(cat "$WORK/$name"/asan.* "$WORK/$name-leaks"/asan.* 2>/dev/null \
        | grep -cE 'ERROR: AddressSanitizer|CHECK failed|runtime error' || true)
}

# --- 1. ASan build: positive control, whole test suite -------------------------------------------
build asan CC="gcc -fsanitize=address -fno-omit-frame-pointer" CFLAGS="-O1 -g" LDFLAGS="-fsanitize=address"
check_install 1
env -u LD_PRELOAD gcc -fsanitize=address -fno-omit-frame-pointer -O1 -g -fPIC -shared "$WORK/oob.c" -o "$WORK/liboob_asan.so"
rm -rf "$WORK/control"; mkdir -p "$WORK/control"
(cd "$WORK" && env PYTHONMALLOC=malloc LD_PRELOAD="$PRELOAD" ASAN_OPTIONS="detect_leaks=0:log_path=$WORK/control/asan" \
    "$PY" control.py "$WORK/liboob_asan.so" > "$WORK/control.log" 2>&1) || true
if cat "$WORK/control"/asan.* 2>/dev/null | grep 'heap-buffer-overflow' >/dev/null \
   && cat "$WORK/control"/asan.* | grep -E 'two_point_(gradient|jacobian)_c' >/dev/null; then
    CONTROL="positive control caught"
    log "  positive control: heap-buffer-overflow reported in the compiled two-point kernel (as it must be)"
else
    CONTROL="POSITIVE CONTROL NOT CAUGHT"; FAILED+=("asan positive control (see $WORK/control.log)")
fi
log "run asan: tests/ under ASan (detect_leaks=0)"
ASAN_OPTS="detect_leaks=0:detect_stack_use_after_return=1:strict_string_checks=1"
asan_pass asan "$ASAN_OPTS" "$T"
SUMMARY+=("asan:           $PASSED; $REPORTS ASan reports ($CONTROL)")
log "  ${SUMMARY[-1]}"
{ [ "$RC" -eq 0 ] && [ "$REPORTS" -eq 0 ]; } || FAILED+=("asan (pytest rc=$RC, $REPORTS reports: $WORK/asan*.log, $WORK/asan*/)")

# --- 2. LeakSanitizer on the compiled-callback tests ---------------------------------------------
log "run lsan: the compiled-callback tests with detect_leaks=1"
asan_pass lsan "detect_leaks=1:exitcode=0" "${CORE[@]}"
read -r leaks fdleaks < <("$PY" "$WORK/count_fdcore_leaks.py" "$WORK"/lsan*/asan.* 2>"$WORK/lsan-fdcore.txt")
bytes=$(cat "$WORK"/lsan*/asan.* 2>/dev/null | { grep -o 'SUMMARY: AddressSanitizer: [0-9]* byte' || true; } | awk '{s += $3} END {print s + 0}')
SUMMARY+=("lsan:           $PASSED; $REPORTS ASan reports; $leaks leak records at exit ($bytes bytes: Python/numpy/llvmlite), $fdleaks with an fdcore frame")
log "  ${SUMMARY[-1]}"
{ [ "$RC" -eq 0 ] && [ "$REPORTS" -eq 0 ] && [ "$fdleaks" -eq 0 ]; } \
    || FAILED+=("lsan (pytest rc=$RC, $REPORTS ASan reports, $fdleaks fdcore leaks: $WORK/lsan-fdcore.txt)")

# --- 3. ASan + Cython bounds checks --------------------------------------------------------------
build asan-debug FDCORE_DEBUG_CYTHON=1 CC="gcc -fsanitize=address -fno-omit-frame-pointer" CFLAGS="-O1 -g" \
    LDFLAGS="-fsanitize=address"
check_install 1
checks=$(grep -c 'RaiseBufferIndexError' "$SRC/fdcore/evaluators/compiled.c" || true)
[ "$checks" -gt 0 ] || die "FDCORE_DEBUG_CYTHON=1 build has no bounds checks in evaluators/compiled.c"
log "  evaluators/compiled.c has $checks bounds-check sites"
log "run asan-debug: tests/ under ASan with Cython bounds checks"
asan_pass asan-debug "$ASAN_OPTS" "$T"
SUMMARY+=("asan+debug:     $PASSED; $REPORTS ASan reports")
log "  ${SUMMARY[-1]}"
{ [ "$RC" -eq 0 ] && [ "$REPORTS" -eq 0 ]; } || FAILED+=("asan+debug (pytest rc=$RC, $REPORTS reports: $WORK/asan-debug*.log)")

# --- 4. valgrind memcheck ------------------------------------------------------------------------
if [ "${MEMCHECK_VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
    build plain CFLAGS="-g"
    check_install 0
    gcc -O1 -g -fPIC -shared -pthread "$SRC/tests/csrc/fd_callbacks.c" -o "$WORK/libfd_callbacks.so" -lm
    gcc -O1 -g -fPIC -shared "$WORK/oob.c" -o "$WORK/liboob.so"
    VG=(valgrind --tool=memcheck --suppressions="$WORK/python.supp" --num-callers=30)
    (cd "$WORK" && PYTHONMALLOC=malloc "${VG[@]}" --log-file="$WORK/valgrind-control.log" \
        "$PY" control.py "$WORK/liboob.so" > /dev/null 2>&1) || true
    if grep -A3 'Invalid read of size 8' "$WORK/valgrind-control.log" | grep -E 'two_point_(gradient|jacobian)_c' >/dev/null; then
        VCONTROL="positive control caught"
    else
        VCONTROL="POSITIVE CONTROL NOT CAUGHT"; FAILED+=("valgrind positive control ($WORK/valgrind-control.log)")
    fi
    log "run valgrind: the workload script under memcheck ($VCONTROL)"
    (cd "$WORK" && PYTHONMALLOC=malloc "${VG[@]}" --track-origins=yes --error-exitcode=99 \
        --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=none \
        --log-file="$WORK/valgrind.log" "$PY" vg_workload.py "$WORK/libfd_callbacks.so" > "$WORK/valgrind-out.log" 2>&1) \
        && rc=0 || rc=$?
    read -r leaks fdleaks < <("$PY" "$WORK/count_fdcore_leaks.py" "$WORK/valgrind.log" 2>"$WORK/valgrind-fdcore.txt")
    errs=$(grep -o 'ERROR SUMMARY: [0-9]* errors' "$WORK/valgrind.log" | tail -1 || true)
    SUMMARY+=("valgrind:       $(tail -1 "$WORK/valgrind-out.log"); ${errs:-no ERROR SUMMARY}; $fdleaks leak records with an fdcore frame ($VCONTROL)")
    log "  ${SUMMARY[-1]} [$(grep -c '^ok' "$WORK/valgrind-out.log" || true) checks; $leaks definite/indirect leak records at exit, none in fdcore: CPython and numpy import-time]"
    { [ "$rc" -eq 0 ] && [ "$fdleaks" -eq 0 ]; } \
        || FAILED+=("valgrind (rc=$rc: $WORK/valgrind.log, $WORK/valgrind-out.log)")
else
    SUMMARY+=("valgrind:       skipped (MEMCHECK_VALGRIND=0 or valgrind not installed)")
fi

# --- summary -------------------------------------------------------------------------------------
trap - ERR
log "done in $((SECONDS - START)) s"
printf '%s\n' "${SUMMARY[@]}"
if [ ${#FAILED[@]} -eq 0 ]; then
    echo "memcheck: CLEAN"
    [ "${MEMCHECK_KEEP:-0}" = 1 ] && echo "work directory kept: $WORK" || rm -rf "$WORK"
    exit 0
fi
printf 'memcheck: FOUND: %s\n' "${FAILED[@]}"
echo "work directory kept: $WORK"
exit 1
