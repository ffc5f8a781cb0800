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
    from labkit.lessons import runner

    (tmp_path / "solutions").mkdir()
    for name in ("02_b.ipynb", "01_a.ipynb", "scratch.ipynb", "solutions/01_a_solutions.ipynb"):
        (tmp_path / name).write_text("{}")
    monkeypatch.setattr(runner, "NOTEBOOK_DIR", tmp_path)
    names = [p.relative_to(tmp_path).as_posix() for p in runner.default_notebooks()]
    assert names == ["01_a.ipynb", "02_b.ipynb", "solutions/01_a_solutions.ipynb"]
    assert len(runner.default_notebooks(lessons=False)) == 1
    assert len(runner.default_notebooks(solutions=False)) == 2
