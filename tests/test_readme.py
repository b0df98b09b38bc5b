"""The README's optimisation example runs and prints what the README says it prints."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.S)


def test_every_python_example_runs():
    for number, block in enumerate(_blocks("python")):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, f"README python block {number}", "exec"), {})


def test_optimisation_example_prints_what_the_readme_says():
    example = next(b for b in _blocks("python") if "Newton" in b)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(example, "README optimisation example", "exec"), {})
    expected = next(b for b in _blocks("text") if "Newton:" in b)
    assert printed.getvalue().strip() == expected.strip()


def test_readme_has_exactly_two_setup_commands():
    commands = [b.strip() for b in _blocks("bash")]
    assert commands == [
        'pip install -e ".[bench]" && python -m fdcore bench --quick',
        'pip install ".[test]" && pytest -n auto',
    ]
