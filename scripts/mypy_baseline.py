"""mypy against a committed baseline that may only shrink (`make lint`, CI's "mypy" step).

mypy has no baseline of its own. This runs it (configured in pyproject.toml's [tool.mypy]),
reduces each error to `path:code:message` (no line number, so editing a file above an old
error does not make it new), counts them, and compares with mypy-baseline.txt:

    mypy ──errors──▶ path:code:message ×count ──compare──▶ more than the baseline? fail, naming each
                                                        └─▶ fewer? pass, and say which lines can go

    scripts/mypy_baseline.py                        check (what lint runs)
    scripts/mypy_baseline.py --update               rewrite the baseline, only if nothing is new
    scripts/mypy_baseline.py --update --allow-new   rewrite it whatever mypy says (a new mypy or
                                                    new stubs): say why in the commit
    scripts/mypy_baseline.py -- ARGS…               ARGS go to mypy instead of the defaults

Exit status: 0 kept, 1 new errors (or a refused update), 2 mypy itself failed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

HEADER = """\
# mypy's errors that the project still has: `count path:code:message`, written by
# scripts/mypy_baseline.py --update. Lint fails on any error not counted here; this file may
# only shrink (fix an error, then run the script with --update to remove its line).
"""

# path:line[:column]: error: message  [code]
ERROR_LINE = re.compile(
    r"^(?P<path>[^:\s][^:]*):(?P<line>\d+)(?::\d+)?: error: (?P<message>.*?)\s+\[(?P<code>[a-z0-9-]+)\]$"
)
# Messages that quote a line number ("already defined on line 12") would move with the code.
LINE_IN_MESSAGE = re.compile(r"\bline \d+")


def run_mypy(args: list[str]) -> tuple[int, str]:
    command = [sys.executable, "-m", "mypy", "--no-pretty", "--no-color-output", "--show-error-codes", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    return result.returncode, result.stdout + result.stderr


def parse(output: str) -> tuple[Counter[str], dict[str, list[str]]]:
    """The normalised errors, counted, and the original lines of each (to point at them)."""
    counts: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for line in output.splitlines():
        match = ERROR_LINE.match(line.strip())
        if match is None:
            continue
        path = match["path"].removeprefix("./")
        key = f"{path}:{match['code']}:{LINE_IN_MESSAGE.sub('line N', match['message'])}"
        counts[key] += 1
        where.setdefault(key, []).append(f"{path}:{match['line']}: {match['message']}  [{match['code']}]")
    return counts, where


def read_baseline(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    if not path.exists():
        return counts
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        count, key = line.split(" ", 1)
        counts[key] += int(count)
    return counts


def write_baseline(path: Path, counts: Counter[str]) -> None:
    lines = [f"{count} {key}\n" for key, count in sorted(counts.items())]
    path.write_text(HEADER + "".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, default=Path("mypy-baseline.txt"))
    parser.add_argument("--update", action="store_true", help="rewrite the baseline if nothing is new")
    parser.add_argument("--allow-new", action="store_true", help="with --update: accept new errors too")
    parser.add_argument("mypy_args", nargs="*", help="after --: arguments for mypy")
    options = parser.parse_args(argv)

    status, output = run_mypy(options.mypy_args)
    if status not in (0, 1):  # 2: mypy could not check (bad config, a crash, duplicate modules)
        sys.stdout.write(output)
        print(f"mypy failed with status {status} before checking types.")
        return 2
    current, where = parse(output)
    if status == 1 and not current:
        sys.stdout.write(output)
        print("mypy reported errors this script could not read.")
        return 2

    baseline = read_baseline(options.baseline)
    new = current - baseline  # Counter subtraction keeps only counts that grew
    gone = baseline - current
    total = sum(current.values())

    if new:
        print(f"mypy: {sum(new.values())} error(s) not in {options.baseline}:")
        for key in sorted(new):
            grew = f" (now {current[key]}, baseline {baseline[key]})" if baseline[key] else ""
            for line in where[key]:
                print(f"  {line}{grew}")
    if gone:
        print(f"mypy: {sum(gone.values())} error(s) in {options.baseline} are fixed; its lines can go:")
        for key in sorted(gone):
            print(f"  {key}")

    if options.update:
        if new and not options.allow_new:
            print("Not updated: fix the new errors first (or add --allow-new, and say why).")
            return 1
        if new or gone or not options.baseline.exists():
            write_baseline(options.baseline, current)
            print(f"{options.baseline} rewritten: {total} error(s).")
        return 0

    if new:
        print("Fix them (the baseline may only shrink). Each line above is file:line.")
        return 1
    if gone:
        print("Run `python scripts/mypy_baseline.py --update` to shrink the baseline.")
    print(f"mypy: {total} error(s), none new (baseline {options.baseline}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
