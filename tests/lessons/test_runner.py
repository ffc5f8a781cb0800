"""`labkit run` executes real notebooks with papermill: the table, the outputs, the exit code."""

from __future__ import annotations

from pathlib import Path

import nbformat

from labkit.cli import main


def notebook(path: Path, *sources: str, parameters: str = "") -> Path:
    cells = []
    if parameters:
        cell = nbformat.v4.new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_runs_notebooks_and_reports_each(tmp_path: Path, capsys) -> None:
    (tmp_path / "marker.txt").write_text("here")
    good = notebook(
        tmp_path / "01_good.ipynb",
        "assert COUNT == 5 and isinstance(COUNT, int), COUNT",
        "assert NAME == '007', NAME",
        "assert open('marker.txt').read() == 'here'  # cwd is the notebook's folder",
        parameters="COUNT: int = 1  # how many\nNAME: str = 'x'",
    )
    bad = notebook(tmp_path / "02_bad.ipynb", "raise ValueError('the lesson broke')")
    out_dir = tmp_path / "build"
    code = main(
        ["run", str(good), str(bad), "-p", "COUNT", "5", "-r", "NAME", "007",
         "--output-dir", str(out_dir)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 1
    rows = {line.split()[0]: line.split() for line in printed.splitlines() if ".ipynb " in line}
    assert rows[str(good)][1] == "passed" and rows[str(bad)][1] == "FAILED"
    assert float(rows[str(good)][2]) > 0
    assert "ValueError: the lesson broke" in printed
    assert "1 passed, 1 failed" in printed
    executed = nbformat.read(out_dir / "01_good.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    assert (out_dir / "02_bad.ipynb").exists() and (out_dir / "02_bad.log").exists()


def test_a_missing_notebook_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["run", str(tmp_path / "nope.ipynb")]) == 2
    out = capsys.readouterr().out.strip()
    assert out.startswith("no such notebook:") and "\n" not in out


def test_default_selection_lessons_then_solutions(tmp_path: Path, monkeypatch) -> None:
    from labkit.tools import runner

    (tmp_path / "solutions").mkdir()
    for name in ("02_b.ipynb", "01_a.ipynb", "scratch.ipynb", "solutions/01_a_solutions.ipynb"):
        (tmp_path / name).write_text("{}")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", tmp_path)
    names = [p.relative_to(tmp_path).as_posix() for p in runner.default_notebooks()]
    assert names == ["01_a.ipynb", "02_b.ipynb", "solutions/01_a_solutions.ipynb"]
    assert len(runner.default_notebooks(lessons=False)) == 1
    assert len(runner.default_notebooks(solutions=False)) == 2


def test_a_timeout_names_the_cell_and_the_limit(tmp_path: Path, capsys) -> None:
    slow = notebook(tmp_path / "03_slow.ipynb", "x = 1", "import time\ntime.sleep(60)")
    code = main(["run", str(slow), "--timeout", "3", "--output-dir", str(tmp_path / "build")])
    printed = capsys.readouterr().out
    assert code == 1
    assert "cell 1: import time" in printed
    assert "--timeout 3 s" in printed and "TimeoutError" in printed
    assert "KeyboardInterrupt" not in printed


def test_the_failing_cell_index_and_first_line_are_in_the_table(tmp_path: Path, capsys) -> None:
    bad = notebook(
        tmp_path / "04_bad.ipynb",
        "total = 0",
        "\n# the check\nassert total == 1, 'total should be 1'",
        "print('never')",
        parameters="COUNT: int = 1",
    )
    code = main(["run", str(bad), "-p", "COUNT", "2", "--output-dir", str(tmp_path / "build")])
    printed = capsys.readouterr().out
    assert code == 1
    # index 2 of the notebook as committed: the injected-parameters cell is not counted
    assert "cell 2: # the check" in printed
    assert "AssertionError: total should be 1" in printed


def test_unknown_parameter_is_an_error_listing_the_parameters(tmp_path: Path, capsys) -> None:
    nb = notebook(tmp_path / "05.ipynb", "pass", parameters="COUNT: int = 1\nMODE: str = 'x'")
    code = main(["run", str(nb), "-p", "COUNTT", "5", "--output-dir", str(tmp_path / "build")])
    captured = capsys.readouterr()
    assert code == 2
    line = captured.err.strip()
    assert "\n" not in line and "COUNTT" in line and "COUNT, MODE" in line
    assert "passed" not in captured.out and not (tmp_path / "build").exists()


def test_a_value_of_the_wrong_type_is_one_line(tmp_path: Path, capsys) -> None:
    nb = notebook(tmp_path / "06.ipynb", "pass", parameters="COUNT: int = 1\nRATE: float = 0.5")
    build = str(tmp_path / "build")
    assert main(["run", str(nb), "-p", "COUNT", "abc", "--output-dir", build]) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and "COUNT" in line and "int" in line and "'abc'" in line
    assert "Traceback" not in line and "TraitError" not in line
    assert main(["run", str(nb), "-p", "RATE", "x", "--output-dir", build]) == 2
    assert "RATE" in capsys.readouterr().err
    assert main(["run", str(nb), "-r", "COUNT", "7", "--output-dir", build]) == 2
    assert "-r COUNT 7" in capsys.readouterr().err


def test_a_parameter_goes_only_to_the_notebooks_that_declare_it(tmp_path: Path) -> None:
    from labkit.tools.runner import check_parameters

    one = notebook(tmp_path / "a.ipynb", "pass", parameters="COUNT: int = 1")
    two = notebook(tmp_path / "b.ipynb", "pass", parameters="MODE: str = 'x'")
    plan = check_parameters([one, two], [["COUNT", "5"]], [["MODE", "aws"]])
    assert plan == {one: [("-p", "COUNT", "5")], two: [("-r", "MODE", "aws")]}


def test_executed_notebooks_keep_no_progress_bar_text(tmp_path: Path, capsys) -> None:
    bars = notebook(
        tmp_path / "07_bars.ipynb",
        "import sys, time\n"
        "from labkit.lessons.progress import advance, counter\n"
        "with counter(100, 'messages handled', unit='msg') as bar:\n"
        "    time.sleep(1.3)\n"
        "    advance(bar, 62)\n"
        "    time.sleep(0.3)\n"
        "    advance(bar, 100)\n"
        "print('done', file=sys.stderr)\n"
        "print('kept')",
    )
    out_dir = tmp_path / "build"
    assert main(["run", str(bars), "--output-dir", str(out_dir)]) == 0
    capsys.readouterr()
    outputs = nbformat.read(out_dir / "07_bars.ipynb", as_version=4).cells[0].outputs
    text = str(outputs)
    assert "messages handled" not in text and "62%" not in text
    assert "kept" in text and "done" in text
