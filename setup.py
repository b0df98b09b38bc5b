"""Build the Cython kernels.

Environment switches (read at build time):

FDCORE_OPENMP        auto (default): use OpenMP if a probe program compiles and links;
                     0: build without OpenMP; 1: require OpenMP (the build fails without it).
FDCORE_DEBUG_CYTHON  1: compile with bounds and initialisation checks on (for debugging kernels);
                     also keeps the symbols (no stripping).
FDCORE_WERROR        1: warnings are errors, Cython's and the C compiler's on fdcore's extensions
                     (gcc/clang: -Werror; see WERROR_ARGS). For CI: the build must stay warning-free.
FDCORE_STRIP         auto (default): on Linux, link the extensions with -s (no symbol table, no
                     debug info: 1.4 MB instead of 8.4 MB) unless FDCORE_DEBUG_CYTHON=1 or CFLAGS
                     asks for -g (as benchmarks/memcheck.sh does); 0: never strip; 1: strip (Linux).
FDCORE_BUILD_JOBS    N: compile N extensions in parallel (as build_ext -j N; pip and python -m build
                     reach build_ext only through the environment). Default: one per core.

Flags are -O3 and nothing that changes floating-point semantics: no -ffast-math (it would reorder
the representable-step computation ``(x + h) - x``) and no -march=native (wheels must run elsewhere).
"""

import os
import shlex
import shutil
import sys
import tempfile
import textwrap

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

KERNEL_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
}
DEBUG = os.environ.get("FDCORE_DEBUG_CYTHON") == "1"
if DEBUG:
    KERNEL_DIRECTIVES.update(boundscheck=True, wraparound=True, initializedcheck=True)


def _switch(name, default, allowed):
    value = os.environ.get(name, default).lower()
    if value not in allowed:
        raise SystemExit(f"{name} must be {', '.join(allowed[:-1])} or {allowed[-1]}, not {value!r}")
    return value


WERROR = _switch("FDCORE_WERROR", "0", ("0", "1")) == "1"

# gcc/clang -Werror for fdcore's extensions (their C is Cython's output plus fdcore's .h shims). No
# warning needs exempting: gcc 12 (-O3 -Wall -fopenmp, CPython's Linux CFLAGS) and clang 14 with
# libomp (adding -Wunreachable-code, as CPython's macOS CFLAGS do) build them warning-free (gcc also
# with FDCORE_DEBUG_CYTHON=1). A warning that a future Cython or compiler raises in generated code that
# fdcore's .pyx cannot avoid gets its -Wno-... here, with the reason.
WERROR_ARGS = ["-Werror"]

OPENMP_PROBE = textwrap.dedent(
    """
    #include <omp.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        return n > 0 ? 0 : 1;
    }
    """
)


def _openmp_flags(compiler):
    """Return (compile_args, link_args) for OpenMP, or None when it is unavailable."""
    if compiler.compiler_type == "msvc":
        candidates = [(["/openmp"], [])]
    else:
        candidates = [(["-fopenmp"], ["-fopenmp"])]
        if sys.platform == "darwin":
            # Apple's clang has no -fopenmp driver flag but compiles OpenMP through its preprocessor
            # given an OpenMP runtime: Homebrew's libomp, found through CPPFLAGS=-I<libomp>/include and
            # LDFLAGS=-L<libomp>/lib (as pyproject's [tool.cibuildwheel.macos] sets them). Without
            # libomp both candidates fail and the build goes on without OpenMP (FDCORE_OPENMP=auto).
            candidates.append((["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
    for compile_args, link_args in candidates:
        tmp = tempfile.mkdtemp(prefix="fdcore-omp-")
        try:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as fh:
                fh.write(OPENMP_PROBE)
            objects = compiler.compile([src], output_dir=tmp, extra_postargs=compile_args)
            # link_executable ignores LDFLAGS; pass them, or CFLAGS=-fsanitize=address (which the
            # compile step honours) would fail the probe and silently build without OpenMP.
            environment_ldflags = shlex.split(os.environ.get("LDFLAGS", ""))
            compiler.link_executable(objects, "probe", output_dir=tmp,
                                     extra_postargs=link_args + environment_ldflags)
            return compile_args, link_args
        except Exception:  # noqa: BLE001 - any compiler/linker failure means "no OpenMP"
            continue
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return None


def _strip(compiler):
    """Whether to link the extensions with -s (see FDCORE_STRIP)."""
    mode = _switch("FDCORE_STRIP", "auto", ("auto", "0", "1"))
    if compiler.compiler_type != "unix" or not sys.platform.startswith("linux") or mode == "0":
        return False
    asks_for_debug_info = any(arg.startswith("-g") and arg != "-g0"
                              for arg in shlex.split(os.environ.get("CFLAGS", "")))
    return mode == "1" or not (DEBUG or asks_for_debug_info)


class BuildExt(build_ext):
    """build_ext that probes for OpenMP, sets -O3 (and -Werror, -s: see the module docstring) and
    records the build in fdcore/evaluators/build_info.py."""

    def finalize_options(self):
        super().finalize_options()
        jobs = os.environ.get("FDCORE_BUILD_JOBS", "")
        if jobs and (not jobs.isdigit() or int(jobs) < 1):
            raise SystemExit(f"FDCORE_BUILD_JOBS must be a positive integer, not {jobs!r}")
        if not self.parallel:
            self.parallel = int(jobs) if jobs else (os.cpu_count() or 1)

    def run(self):
        # setuptools' run() clears self.inplace while it builds (it copies the extensions into the
        # source tree afterwards), so build_extensions cannot see --inplace: note it here.
        self._into_source_tree = bool(self.inplace) or getattr(self, "editable_mode", False)
        self._cythonize()
        super().run()

    def _cythonize(self):
        """Generate the C next to each .pyx (skipped where it is newer than its .pyx and .pxd), here
        rather than when setup.py is loaded, so that an sdist or the metadata steps do not run it."""
        if getattr(self, "numpy_version", None):  # run() again on the same command: done
            return
        import numpy as np
        from Cython.Build import cythonize
        from Cython.Compiler import Options

        if WERROR:
            # Cython's own warnings (e.g. an unreachable statement) fail cythonize. Only the .pyx
            # cythonized in this build are checked: a build from the sdist always is (it ships no .c).
            Options.warning_errors = True
        self.numpy_version = np.__version__
        generated = {e.name: e for e in cythonize(self.extensions, compiler_directives=KERNEL_DIRECTIVES,
                                                  force=self.force)}
        for ext in self.extensions:  # keep setuptools' Extension objects (finalize_options set them up)
            ext.sources, ext.depends = generated[ext.name].sources, generated[ext.name].depends
            ext.include_dirs = [np.get_include(), *ext.include_dirs]

    def build_extensions(self):
        mode = os.environ.get("FDCORE_OPENMP", "auto").lower()
        if mode not in ("auto", "0", "1"):
            raise SystemExit(f"FDCORE_OPENMP must be auto, 0 or 1, not {mode!r}")
        omp = None if mode == "0" else _openmp_flags(self.compiler)
        if mode == "1" and omp is None:
            raise SystemExit("FDCORE_OPENMP=1 but the compiler cannot build an OpenMP program")
        if self.compiler.compiler_type == "msvc":
            opt_args = ["/O2"]
        else:
            opt_args = ["-O3"]
        compile_args = opt_args + (omp[0] if omp else [])
        link_args = omp[1] if omp else []
        if WERROR and self.compiler.compiler_type == "unix":  # gcc, clang
            compile_args += WERROR_ARGS
        if _strip(self.compiler):
            link_args = link_args + ["-s"]
        for ext in self.extensions:
            ext.extra_compile_args = list(ext.extra_compile_args) + compile_args
            ext.extra_link_args = list(ext.extra_link_args) + link_args
        self._write_build_info(openmp=omp is not None, compile_args=compile_args, link_args=link_args)
        super().build_extensions()

    def _write_build_info(self, openmp, compile_args, link_args):
        info = textwrap.dedent(
            f"""\
            # Generated by setup.py at build time; not under version control.
            OPENMP = {openmp!r}
            COMPILER = {self.compiler.compiler_type!r}
            COMPILE_ARGS = {compile_args!r}
            LINK_ARGS = {link_args!r}
            CYTHON_DIRECTIVES = {KERNEL_DIRECTIVES!r}
            PYTHON = {sys.version.split()[0]!r}
            NUMPY_BUILD = {self.numpy_version!r}
            """
        )
        targets = [os.path.join(self.build_lib, "fdcore", "evaluators", "build_info.py")]
        if getattr(self, "_into_source_tree", False):  # the extension lands in fdcore/
            targets.append(os.path.join("fdcore", "evaluators", "build_info.py"))
        for path in targets:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(info)


class Sdist(sdist):
    """sdist without the build record of an in-place build (a module of the package, so setuptools
    would ship it; every build writes its own). Filtered here, not in MANIFEST.in, whose exclude
    prints a warning whenever the tree has no such file."""

    def make_release_tree(self, base_dir, files):
        build_record = os.path.join("fdcore", "evaluators", "build_info.py")
        super().make_release_tree(base_dir, [f for f in files if os.path.normpath(f) != build_record])


def _extension(name):
    return Extension(
        f"fdcore.{name}",
        [f"fdcore/{name.replace('.', '/')}.pyx"],
        include_dirs=["fdcore/evaluators"],  # the C shims the .pxd files declare (and NumPy's: BuildExt)
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION")],
    )


setup(
    ext_modules=[_extension(name) for name in ("evaluators.python_callable", "evaluators.compiled", "evaluators.combine",
                                               "evaluators.threads", "numerics.arrays", "numerics.coloring",
                                               "problems.compiled")],
    cmdclass={"build_ext": BuildExt, "sdist": Sdist},
)
