"""The architecture is checked by machines: `lint-imports` keeps the layers and the apps'
public surfaces (pyproject.toml's [tool.importlinter]), and scripts/mypy_baseline.py lets no new
mypy error in. Each check passes on the tree as it is and fails on a violation made on purpose,
in a copy of the project (imports) or a tiny file (mypy), so the real tree is never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ["config", "tenants", "orders", "recommendations", "tracking", "returns", "messaging",
            "analytics"]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    # Wide enough that no import chain is wrapped across lines.
    env = {**os.environ, "COLUMNS": "300"}
    return subprocess.run([LINT_IMPORTS, "--no-logo", "--no-cache"], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The Python files of every linted package, the contracts and our contract type."""
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            target = tmp_path / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    (tmp_path / "scripts").mkdir()
    shutil.copyfile(ROOT / "scripts" / "import_contracts.py", tmp_path / "scripts" / "import_contracts.py")
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_tree_keeps_every_import_contract():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_copy_keeps_them_too(project):
    # What the tests below break is the violation they add, not the copying.
    result = lint_imports(project)

    assert result.returncode == 0, result.stdout + result.stderr


def test_an_app_importing_a_higher_app_breaks_the_layers(project):
    add_line(project / "orders" / "selectors.py", "from messaging import services as messaging_services")

    result = lint_imports(project)

    assert result.returncode == 1
    assert "orders is not allowed to import messaging" in result.stdout
    assert "orders.selectors -> messaging.services" in result.stdout


def test_config_may_import_no_app_outside_its_url_root(project):
    add_line(project / "config" / "views.py", "from orders import selectors")

    result = lint_imports(project)

    assert result.returncode == 1
    assert "config is not allowed to import orders" in result.stdout
    assert "config.views -> orders.selectors" in result.stdout


def test_reaching_into_another_apps_internals_breaks_its_surface(project):
    # Messaging sits above tracking, so only the surface contract can catch this one.
    add_line(project / "messaging" / "services.py", "from tracking import drain")

    result = lint_imports(project)

    assert result.returncode == 1
    assert "through its public surface" in result.stdout
    assert "- messaging.services -> tracking.drain" in result.stdout


def test_reaching_into_the_raw_sql_layers_modules_breaks_its_surface(project):
    add_line(project / "orders" / "selectors.py", "from config.db.internals import timestamps_fast")

    result = lint_imports(project)

    assert result.returncode == 1
    assert "The raw-SQL layer is used through config.db only BROKEN" in result.stdout
    assert "orders.selectors -> config.db.internals" in result.stdout


def test_a_debt_entry_that_matches_no_import_must_be_deleted(project):
    pyproject = project / "pyproject.toml"
    head, surface = pyproject.read_text().split('type = "app_surface"', 1)
    stale = '\n    "messaging.services -> orders.demo",'
    surface = surface.replace("ignore_imports = [", "ignore_imports = [" + stale, 1)
    pyproject.write_text(head + 'type = "app_surface"' + surface)

    result = lint_imports(project)

    assert result.returncode == 1
    assert "No longer matches any import (delete it from the contract): messaging.services -> orders.demo" \
        in result.stdout


# mypy against a baseline ------------------------------------------------------------------

BAD = '''\
count: int = "three"


def name() -> str:
    return 3
'''
ASSIGNMENT = ('bad.py:assignment:Incompatible types in assignment '
              '(expression has type "str", variable has type "int")')
RETURN = 'bad.py:return-value:Incompatible return value type (got "int", expected "str")'


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    return tmp_path / "baseline.txt"


@pytest.fixture
def checked(tmp_path: Path, mypy_cache: Path, baseline: Path):
    """Runs the baseline script on bad.py (two errors) against the baseline lines given."""
    (tmp_path / "mypy.ini").write_text("[mypy]\n")  # mypy's defaults, whatever the machine has

    def run(*lines: str, update: bool = False, source: str = BAD) -> subprocess.CompletedProcess[str]:
        (tmp_path / "bad.py").write_text(source)
        baseline.write_text("# a comment\n" + "".join(f"{line}\n" for line in lines))
        command = [sys.executable, str(ROOT / "scripts" / "mypy_baseline.py"), "--baseline", str(baseline),
                   *(["--update"] if update else []),
                   "--", "bad.py", "--config-file", "mypy.ini", "--cache-dir", str(mypy_cache)]
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False,
                              timeout=120)

    return run


def test_errors_all_in_the_baseline_pass(checked):
    result = checked(f"1 {ASSIGNMENT}", f"1 {RETURN}")

    assert result.returncode == 0, result.stdout
    assert "2 error(s), none new" in result.stdout


def test_an_error_missing_from_the_baseline_fails_naming_its_line(checked):
    result = checked(f"1 {ASSIGNMENT}")

    assert result.returncode == 1
    assert "1 error(s) not in" in result.stdout
    assert 'bad.py:5: Incompatible return value type (got "int", expected "str")  [return-value]' \
        in result.stdout


def test_a_count_that_grew_fails(checked):
    # The same error in the same file a second time: the baseline counts one.
    result = checked(f"1 {ASSIGNMENT}", f"1 {RETURN}", source=BAD + 'other: int = "four"\n')

    assert result.returncode == 1
    assert "bad.py:6: Incompatible types in assignment" in result.stdout
    assert "(now 2, baseline 1)" in result.stdout


def test_fixed_errors_pass_and_say_which_lines_can_go(checked):
    gone = "bad.py:name-defined:Name \"gone\" is not defined"

    result = checked(f"1 {ASSIGNMENT}", f"1 {RETURN}", f"1 {gone}")

    assert result.returncode == 0
    assert "1 error(s) in" in result.stdout and "are fixed" in result.stdout
    assert gone in result.stdout


def test_update_shrinks_the_baseline(checked, baseline):
    gone = "bad.py:name-defined:Name \"gone\" is not defined"

    result = checked(f"1 {ASSIGNMENT}", f"1 {RETURN}", f"1 {gone}", update=True)

    assert result.returncode == 0
    lines = [line for line in baseline.read_text().splitlines() if not line.startswith("#")]
    assert lines == [f"1 {ASSIGNMENT}", f"1 {RETURN}"]


def test_update_refuses_to_grow_the_baseline(checked, baseline):
    result = checked(f"1 {ASSIGNMENT}", update=True)

    assert result.returncode == 1
    assert "Not updated" in result.stdout
    assert RETURN not in baseline.read_text()
