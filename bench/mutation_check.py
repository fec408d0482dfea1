"""Mutation check of the access function and the SLA maths: do the tests notice a broken rule?

Run: .venv/bin/python bench/mutation_check.py [--target tenants/access.py] [--jobs 2] [--list]

For each target module it makes simple mutants with the ast module, one change each:
drop one condition of a filter or Q (a keyword argument), drop one operand of `and`/`or`
or of `&`/`|` between Q objects, swap `and`/`or` and `&`/`|`, flip a comparison (`<` to
`>=`, `==` to `!=`, `in` to `not in`, `is` to `is not`), negate the test of an `if` or a
conditional expression, remove a `not`. Each mutant is written into a private copy of the
checkout (git ls-files, so the working tree is never touched) and the target's tests run
there with `-x -q`; a failing run kills the mutant, a passing one lets it survive.
Prints killed/total per target and lists the survivors with their line and change.

Too slow for bin/test (a full test run per surviving mutant); results and the equivalent
survivors are in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCESS_TESTS = ["tests/tenants", "tests/isolation/test_contacts_matrix.py"]
SLA_TESTS = ["tests/sla", "tests/cases/test_clocks.py", "tests/cases/test_sla_admin.py"]
TARGETS: dict[str, list[str]] = {
    "tenants/access.py": ACCESS_TESTS,
    "sla/business_time.py": SLA_TESTS,
    "sla/targets.py": SLA_TESTS,
    "sla/clocks.py": SLA_TESTS,
    "sla/calendars.py": SLA_TESTS,
}
# Calls whose keyword arguments are conditions of a query.
QUERY_CALLS = {"filter", "exclude", "get", "Q", "_partner_members_acting"}
FLIPS: dict[type, type] = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.LtE: ast.Gt,
    ast.Gt: ast.LtE,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    target: str
    line: int
    change: str
    source: str


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _sites(tree: ast.Module) -> Iterator[tuple[ast.AST, str, int]]:
    """(node, kind, index) for every change this tool knows, in source order."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in QUERY_CALLS:
            for index, keyword in enumerate(node.keywords):
                if keyword.arg is not None:
                    yield node, "drop-keyword", index
        elif isinstance(node, ast.BoolOp):
            yield node, "swap-boolop", 0
            for index in range(len(node.values)):
                yield node, "drop-operand", index
        elif isinstance(node, ast.BinOp) and _combines_conditions(node):
            yield node, "swap-bitop", 0
            yield node, "drop-left", 0
            yield node, "drop-right", 0
        elif isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                if type(op) in FLIPS:
                    yield node, "flip-compare", index
        elif isinstance(node, ast.If | ast.IfExp | ast.While):
            yield node, "negate-test", 0
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "drop-not", 0


def _combines_conditions(node: ast.BinOp) -> bool:
    """`&` or `|` between Q objects (calls, `~Q(...)`, other such combinations), not a
    union of types such as `AbstractBaseUser | AnonymousUser`."""
    conditions = ast.Call | ast.UnaryOp | ast.BinOp | ast.Attribute  # Q(...), ~Q, Model.CERTIFIED
    return isinstance(node.op, ast.BitAnd | ast.BitOr) and all(
        isinstance(side, conditions) for side in (node.left, node.right)
    )


def _in_docstring_or_annotation(tree: ast.Module, node: ast.AST) -> bool:
    for parent in ast.walk(tree):
        for annotation in (getattr(parent, "returns", None), getattr(parent, "annotation", None)):
            if annotation is not None and any(n is node for n in ast.walk(annotation)):
                return True
    return False


class _Apply(ast.NodeTransformer):
    def __init__(self, position: int, kind: str, index: int) -> None:
        self.position, self.kind, self.index = position, kind, index
        self.seen = -1
        self.change = ""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        if getattr(node, "_mutation_id", None) == self.position:
            return self._mutate(node)
        return node

    def _mutate(self, node: ast.AST) -> ast.AST:
        kind, index = self.kind, self.index
        before = ast.unparse(node.test if kind == "negate-test" else node)
        if kind == "drop-keyword":
            del node.keywords[index]
        elif kind == "swap-boolop":
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        elif kind == "drop-operand":
            del node.values[index]
            if len(node.values) == 1:
                node = node.values[0]
        elif kind == "swap-bitop":
            node.op = ast.BitOr() if isinstance(node.op, ast.BitAnd) else ast.BitAnd()
        elif kind == "drop-left":
            node = node.right
        elif kind == "drop-right":
            node = node.left
        elif kind == "flip-compare":
            node.ops[index] = FLIPS[type(node.ops[index])]()
        elif kind == "negate-test":
            node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
        elif kind == "drop-not":
            node = node.operand
        after = f"not ({before})" if kind == "negate-test" else ast.unparse(node)
        self.change = f"{kind}: {_short(before)}  ->  {_short(after)}"
        return node


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def mutants(target: str) -> list[Mutant]:
    source = (ROOT / target).read_text(encoding="utf-8")
    tree = ast.parse(source)
    found = []
    for position, (node, kind, index) in enumerate(list(_sites(tree))):
        if _in_docstring_or_annotation(tree, node):
            continue
        mutated_tree = copy.deepcopy(tree)
        # Find the same node in the copy: walk order is deterministic.
        originals = list(ast.walk(tree))
        copies = list(ast.walk(mutated_tree))
        copies[originals.index(node)]._mutation_id = position
        applier = _Apply(position, kind, index)
        mutated_tree = ast.fix_missing_locations(applier.visit(mutated_tree))
        found.append(Mutant(target, node.lineno, applier.change, ast.unparse(mutated_tree)))
    return found


def _private_checkout() -> Path:
    """A copy of the tracked files (as they are in the working tree) in a temporary folder."""
    copy_root = Path(tempfile.mkdtemp(prefix="supportdesk-mutants-"))
    listed = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, as the developer runs it
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            destination = copy_root / name.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    for shared in (".venv", "node_modules"):
        if (ROOT / shared).exists():
            (copy_root / shared).symlink_to((ROOT / shared).resolve())
    return copy_root


def _run_tests(checkout: Path, tests: list[str], timeout: int) -> bool:
    """True when the tests pass."""
    environment = {**os.environ, "SUPPORTDESK_VAR_DIR": str(checkout / "var")}
    environment.pop("DATABASE_URL", None)  # SQLite: each run its own in-memory database
    environment.pop("REDIS_URL", None)
    command = [str(ROOT / ".venv/bin/python"), "-m", "pytest", *tests]
    command += ["-x", "-q", "-p", "no:cacheprovider", "--no-header", "-m", "not browser"]
    try:
        result = subprocess.run(  # noqa: S603 - our own pytest, our own arguments
            command, cwd=checkout, env=environment, capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    parser.add_argument("--jobs", type=int, default=2, help="private checkouts run at once")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per test run")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument(
        "--sample", type=int, default=0, help="run only N mutants per target, a fixed sample"
    )
    parser.add_argument(
        "--rerun",
        type=Path,
        help="run only the mutants an earlier run's output lists as survived (after new tests)",
    )
    options = parser.parse_args()
    targets = options.target or list(TARGETS)

    planned = []
    for target in targets:
        found = mutants(target)
        if options.sample and len(found) > options.sample:
            # The same sample every run (seeded by the target's name), so scores compare.
            found = sorted(random.Random(target).sample(found, options.sample), key=found.index)
        planned += found
    if options.rerun:
        survived = {
            line.split("survived", 1)[1].strip()
            for line in options.rerun.read_text(encoding="utf-8").splitlines()
            if line.strip().startswith("survived")
        }
        planned = [m for m in planned if f"{m.target}:{m.line}  {m.change}" in survived]
    if options.list:
        for mutant in planned:
            print(f"{mutant.target}:{mutant.line}  {mutant.change}")
        print(f"{len(planned)} mutants")
        return

    checkouts = [_private_checkout() for _ in range(options.jobs)]
    try:
        for tests in {tuple(TARGETS[target]) for target in targets}:
            if not _run_tests(checkouts[0], list(tests), options.timeout):
                sys.exit(f"{' '.join(tests)} fail without a mutant: fix them first")
        free = list(checkouts)

        def attempt(mutant: Mutant) -> tuple[Mutant, bool]:
            checkout = free.pop()
            path = checkout / mutant.target
            original = path.read_text(encoding="utf-8")
            try:
                path.write_text(mutant.source, encoding="utf-8")
                killed = not _run_tests(checkout, TARGETS[mutant.target], options.timeout)
            finally:
                path.write_text(original, encoding="utf-8")
                free.append(checkout)
            verdict = "killed  " if killed else "SURVIVED"
            print(f"  {verdict} {mutant.target}:{mutant.line}  {mutant.change}", flush=True)
            return mutant, killed

        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=options.jobs) as pool:
            results = list(pool.map(attempt, planned))
    finally:
        for checkout in checkouts:
            shutil.rmtree(checkout, ignore_errors=True)

    print(f"Mutation check ({time.monotonic() - began:.0f} s)")
    groups = {"tenants/access.py": ["tenants/access.py"]}
    groups["sla/"] = [target for target in targets if target.startswith("sla/")]
    for label, members in groups.items():
        mine = [(m, killed) for m, killed in results if m.target in members]
        if not mine:
            continue
        killed = sum(1 for _, k in mine if k)
        print(f"  {label}: {killed}/{len(mine)} killed")
        for mutant, was_killed in mine:
            if not was_killed:
                print(f"    survived  {mutant.target}:{mutant.line}  {mutant.change}")


if __name__ == "__main__":
    main()
