"""Counting operations (chapters 4-6) is an instrument outside the engines, and counts depend only on
the structure of the computation, never on the point it is evaluated at.

`count_ops` runs the unchanged engines on `Counted` numbers. A value that happens to be 0, 1 or -1
must not change what is counted (the engines have no value-dependent shortcuts); only a rule that is
structurally linear (add's "pass the tangent on") costs nothing.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap

import jax
import numpy as np
import pytest

import adbook
from adbook import (
    Counted,
    Dual,
    OpCounts,
    count_ops,
    fan,
    grad,
    jacfwd,
    jacobian_forward,
    jacobian_reverse,
    jacrev,
    jvp,
    logistic_map,
    mean_of_squares,
    powers,
    q,
    rational,
    rosenbrock,
    running_example,
    split_by_size,
    two_outputs,
    vjp_once,
)

jax.config.update("jax_enable_x64", True)

# The book's functions without value-dependent control flow (newton_sqrt's loop depends on its input).
FUNCTIONS = {
    "running_example": (running_example, 2),
    "two_outputs": (two_outputs, 2),
    "q": (q, 5),
    "fan K=4 D=3": (functools.partial(fan, outputs=3), 4),
    "logistic_map": (lambda x: logistic_map(x, 6), 1),
    "rosenbrock": (rosenbrock, 4),
    "rational": (rational, 3),
    "mean_of_squares": (mean_of_squares, 6),
    "powers": (lambda x: powers(x, 8), 1),
}


def points(k, count=24, seed=0):
    """`count` points in R^k: the special coordinates 0, 1 and -1 (alone and mixed), then random ones.
    Functions that divide by 1 + x² or x² never divide by zero."""
    special = [np.zeros(k), np.ones(k), -np.ones(k)]
    special += [np.resize([0.0, 1.0, -1.0], k), np.resize([1.0, -1.0, 0.0], k), np.resize([-1.0, 0.0, 1.0], k)]
    rng = np.random.default_rng(seed)
    randoms = [rng.uniform(-2.0, 2.0, k) for _ in range(count - len(special))]
    return [tuple(float(v) for v in p) for p in special + randoms]


def all_counts(f, x):
    K = len(x)
    outs = f(*x)
    D = len(outs) if isinstance(outs, tuple) else 1
    cotangent = tuple(0.5 + d for d in range(D)) if isinstance(outs, tuple) else 0.5
    argnums = tuple(range(K))
    counts = {
        "f": count_ops(f, *x),
        "jvp": count_ops(jvp, f, x, tuple(0.25 + k for k in range(K))),
        "vjp": count_ops(vjp_once, f, x, cotangent),
        "jacfwd": count_ops(jacfwd(f, argnums), *x),
        "jacrev": count_ops(jacrev(f, argnums), *x),
    }
    if D == 1:
        counts["grad"] = count_ops(grad(f, argnums), *x)
    return {name: (dict(c), dict(c.records)) for name, c in counts.items()}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_counts_do_not_depend_on_the_point(name):
    f, k = FUNCTIONS[name]
    reference = None
    for x in points(k):
        counts = all_counts(f, x)
        if reference is None:
            reference = counts
        assert counts == reference, f"{name}: counts at {x} differ from those at the first point"
    assert {"f", "jvp", "vjp", "jacfwd", "jacrev"} <= set(reference)


def test_a_partial_that_happens_to_be_one_is_still_multiplied():
    "grad of a·b counts the same multiplications at a = 1 as at a = 1.0000001 (a past bug)."
    at_one = count_ops(grad(lambda a, b: a * b, (0, 1)), 1.0, 2.0)
    near_one = count_ops(grad(lambda a, b: a * b, (0, 1)), 1.0000001, 2.0)
    assert at_one == near_one and at_one["mul"] == 3  # forward 1, backward 2


def test_structurally_linear_rules_cost_nothing():
    "add passes the tangent on: its JVP is one add for the value and one for the tangent, no multiply."
    counts = count_ops(jvp, lambda a, b: a + b, (0.3, 0.4), (1.0, 1.0))
    assert dict(counts) == {"add": 2}


def test_vectors_of_directions_count_each_element():
    "K tangents carried at once count K scalar operations each (vectors are not free)."
    x = (0.3, 0.7, 1.1)
    S, T = split_by_size(count_ops(jacobian_forward, running_example_3, x, np.eye(3)), 3)
    one_direction = count_ops(jvp, running_example_3, x, (1.0, 0.0, 0.0)).total()
    assert one_direction == S + T
    assert count_ops(jacobian_forward, running_example_3, x, np.eye(3)).total() == S + 3 * T


def running_example_3(a, b, c):
    return running_example(a, b) * running_example(b, c)


def test_counted_records_constants_and_sizes():
    counts = OpCounts()
    x = Counted(np.ones(4), counts)
    y = 2.0 * x + x * x
    assert isinstance(y, Counted)
    assert dict(counts) == {"mul": 8, "add": 4}
    assert counts.records == {
        ("mul", (True, False), 4): 1,
        ("mul", (False, False), 4): 1,
        ("add", (False, False), 4): 1,
    }


def test_count_ops_wraps_numbers_and_passes_functions_through():
    assert dict(count_ops(lambda g, x, n: g(x) * n, adbook.sin, 0.5, 3)) == {"sin": 1, "mul": 1}
    assert count_ops(jvp, running_example, (1.5, 0.5), (1.0, 0.0)).total() > 0


ENGINE_CORE = [Dual, adbook.backward_pass, jvp, adbook.vjp, jacobian_forward, jacobian_reverse, adbook.split_dual]


@pytest.mark.parametrize("code", ENGINE_CORE, ids=lambda c: c.__qualname__)
def test_engines_contain_no_counting_code(code):
    "Counting lives outside the engines: their source names no counter, ledger or wrapper."
    source = inspect.getsource(code)
    for word in ("count", "Counted", "OpCounts", "record", "ledger"):
        assert word not in source, f"{code.__qualname__} mentions {word!r}"


def code_lines(code):
    "Lines of code: without the docstring, comments and blank lines."
    tree = ast.parse(textwrap.dedent(inspect.getsource(code)))
    docstrings = {
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef | ast.FunctionDef) and ast.get_docstring(node) is not None
        for line in range(node.body[0].lineno, node.body[0].end_lineno + 1)
    }
    lines = textwrap.dedent(inspect.getsource(code)).splitlines()
    return [line for number, line in enumerate(lines, 1) if number not in docstrings and line.strip().partition("#")[0]]


def test_the_engine_cores_read_in_one_screen():
    "The issue: 'a core a student reads in one screen', at the notebooks' 75-column line length."
    assert len(code_lines(Dual)) <= 26
    assert len(code_lines(adbook.backward_pass)) <= 20
    assert len(inspect.getsource(Dual).splitlines()) <= 40  # the whole class, docstring included
