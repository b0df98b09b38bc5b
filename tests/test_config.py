"""fdcore.show_config and the public namespace."""

import io
import os
import re
import subprocess
import sys

import fdcore


def test_show_config_prints_version_openmp_and_threads(capsys):
    assert fdcore.show_config() is None
    text = capsys.readouterr().out
    assert re.search(rf"^fdcore\s+{re.escape(fdcore.__version__)}$", text, re.M)
    m = re.search(r"^openmp\s+(True|False)$", text, re.M)
    assert m
    threads = re.search(r"^threads\s+(\d+)$", text, re.M)
    assert threads and int(threads.group(1)) >= 1
    if m.group(1) == "False":
        assert int(threads.group(1)) == 1
    assert re.search(r"^compile args\s+\S", text, re.M)
    assert re.search(r"^numpy\s+\S", text, re.M)


def test_show_config_to_a_file(capsys):
    buf = io.StringIO()
    fdcore.show_config(file=buf)
    assert capsys.readouterr().out == ""
    assert buf.getvalue().startswith("fdcore ")
    assert "openmp" in buf.getvalue() and "threads" in buf.getvalue()


def test_version_string():
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)*", fdcore.__version__)


def test_public_names():
    for name in fdcore.__all__:
        assert hasattr(fdcore, name), name
    expected = {"gradient", "jacobian", "hessian", "jvp", "directional_derivative", "derivative",
                "linearize", "classify_critical_point", "show_config", "get_problem", "Problem",
                "PROBLEM_NAMES", "Linearization", "CriticalPoint", "__version__"}
    assert expected <= set(fdcore.__all__)


def _config_text(env=None):
    # -P: do not put the working directory (possibly the uncompiled source tree) on sys.path.
    run = subprocess.run([sys.executable, "-P", "-c", "import fdcore; fdcore.show_config()"],
                         capture_output=True, text=True, check=True, env=env)
    return run.stdout


def test_threads_follow_omp_num_threads():
    env = dict(os.environ, OMP_NUM_THREADS="3")
    text = _config_text(env)
    openmp = re.search(r"^openmp\s+(True|False)$", text, re.M).group(1) == "True"
    threads = int(re.search(r"^threads\s+(\d+)$", text, re.M).group(1))
    assert threads == (3 if openmp else 1)


def test_openmp_flag_matches_build_flags(capsys):
    fdcore.show_config()
    text = capsys.readouterr().out
    openmp = re.search(r"^openmp\s+(True|False)$", text, re.M).group(1) == "True"
    compile_args = re.search(r"^compile args\s+(.*)$", text, re.M).group(1)
    assert openmp == bool(re.search(r"[-/]f?openmp", compile_args))
