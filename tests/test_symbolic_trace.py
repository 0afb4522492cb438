"""Tests of the code that chapters 2 and 3 export to `adbook` (beyond the notebooks' own assertions).

Chapter 2: the expression tree (printing, evaluation, simplification, `diff`) on many random
expressions; chapter 3: the tracer and `replay`. Bad input must fail with a message that names
what was wrong.
"""

from __future__ import annotations

import math
import random

import jax
import numpy as np
import pytest

from adbook import (
    DERIVATIVE_RULES,
    PRIMITIVES,
    RUNNING_POINT,
    Expr,
    const,
    diff,
    evaluate,
    exp,
    live_variables,
    log,
    newton_sqrt,
    replay,
    running_example,
    simplify,
    sin,
    sqrt,
    steps_needed,
    tanh,
    to_text,
    trace_function,
    var,
)

jax.config.update("jax_enable_x64", True)

NAMES = ("x", "y")
UNARY = ("neg", "sin", "cos", "exp", "log", "tanh", "sqrt")
BINARY = ("add", "sub", "mul", "div", "pow")
MATH = {"sin": math.sin, "cos": math.cos, "exp": math.exp, "log": math.log, "tanh": math.tanh, "sqrt": math.sqrt}


def random_expr(rng: random.Random, depth: int) -> Expr:
    """A random expression over x and y. log, sqrt and the base of ** get a positive argument."""
    if depth == 0 or rng.random() < 0.2:
        return var(rng.choice(NAMES)) if rng.random() < 0.7 else const(rng.choice([0.5, 1.0, 2.0, 3.0, -1.5]))
    op = rng.choice(UNARY + BINARY)
    if op in UNARY:
        arg = random_expr(rng, depth - 1)
        if op in ("log", "sqrt"):
            arg = 1.0 + arg * arg  # > 0
        return Expr._apply(op, arg)
    left, right = random_expr(rng, depth - 1), random_expr(rng, depth - 1)
    if op == "pow":
        left, right = 1.0 + left * left, tanh(right)  # positive base, bounded exponent
    if op == "div":
        right = 2.0 + sin(right)  # never 0
    return Expr._apply(op, left, right)


EXPRESSIONS = [random_expr(random.Random(seed), depth=4) for seed in range(300)]
POINT = {"x": 0.7, "y": -0.4}


def finite(value) -> bool:
    return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))


# --------------------------------------------------------------------------- chapter 2


@pytest.mark.parametrize("index", range(0, len(EXPRESSIONS), 10))
def test_printed_expression_is_python_with_the_same_value(index):
    """`to_text` puts parentheses where precedence needs them: evaluating the text gives the same value."""
    for expr in EXPRESSIONS[index : index + 10]:
        value = evaluate(expr, POINT)
        if not finite(value):
            continue
        reparsed = eval(to_text(expr), dict(MATH), dict(POINT))  # noqa: S307 (our own printed text)
        np.testing.assert_allclose(reparsed, value, rtol=1e-12, err_msg=to_text(expr))


def test_simplify_keeps_the_value_and_never_grows_much():
    checked = 0
    for expr in EXPRESSIONS:
        value = evaluate(expr, POINT)
        if not finite(value):
            continue
        np.testing.assert_allclose(evaluate(simplify(expr), POINT), value, rtol=1e-10, atol=1e-12, err_msg=str(expr))
        checked += 1
    assert checked > 250


def test_diff_matches_jax_grad_on_random_expressions():
    checked = 0
    for expr in EXPRESSIONS[:120]:
        f = lambda x, y, expr=expr: evaluate(expr, {"x": x, "y": y})  # noqa: E731
        value = f(POINT["x"], POINT["y"])
        if not finite(value):
            continue
        by_jax = jax.grad(f, argnums=(0, 1))(POINT["x"], POINT["y"])
        if not finite(by_jax):
            continue
        for name, reference in zip(NAMES, by_jax):
            derivative = diff(expr, var(name))
            for d in (derivative, simplify(derivative)):
                np.testing.assert_allclose(evaluate(d, POINT), reference, rtol=1e-10, atol=1e-12, err_msg=str(expr))
        checked += 1
    assert checked > 100


def test_every_primitive_has_one_rule_per_argument():
    assert set(DERIVATIVE_RULES) == set(PRIMITIVES)
    for op in UNARY:
        assert len(DERIVATIVE_RULES[op]) == 1, op
    for op in BINARY:
        assert len(DERIVATIVE_RULES[op]) == 2, op


def test_elementary_functions_fall_through_to_jax_numpy():
    x = 0.3
    for f, reference in [(sin, math.sin), (exp, math.exp), (log, math.log), (tanh, math.tanh), (sqrt, math.sqrt)]:
        assert math.isclose(float(f(x)), reference(x), rel_tol=1e-15)
        assert isinstance(f(var("x")), Expr)
    assert float(jax.grad(sin)(0.0)) == 1.0


def test_equal_expressions_are_one_object():
    x, y = var("x"), var("y")
    assert x * y + sin(x) is x * y + sin(x)
    assert simplify(x * 1 + 0) is x


@pytest.mark.parametrize(
    "action, error, words",
    [
        (lambda: const("2"), TypeError, ["실수", "'2'", "str"]),
        (lambda: const(True), TypeError, ["실수", "True"]),
        (lambda: var("1x"), ValueError, ["식별자", "'1x'"]),
        (lambda: var("x") + "a", TypeError, ["실수", "'a'"]),
        (lambda: var("x") > 0, TypeError, ["x", "비교", "if/while"]),
        (lambda: bool(var("x")), TypeError, ["x", "참/거짓"]),
        (lambda: evaluate(var("x") + var("y"), {"x": 1.0}), KeyError, ["y", "x"]),
        (lambda: diff(var("x") ** 2, 2.0), TypeError, ["변수", "2.0"]),
        (lambda: newton_sqrt(var("a")), TypeError, ["비교", "if/while"]),
        (lambda: steps_needed(-1.0), ValueError, ["a > 0", "-1.0"]),
        (lambda: newton_sqrt(0.0), ValueError, ["a > 0", "0.0"]),
        # 파이썬 실수끼리의 음수 밑, 정수가 아닌 지수: 복소수 대신 오류
        (lambda: evaluate(var("x") ** 0.5, {"x": -4.0}), ValueError, ["pow(-4.0, 0.5)", "실수"]),
    ],
)
def test_bad_input_to_the_expression_tree_is_named(action, error, words):
    assert_error_names(action, error, words)


def test_pow_of_arrays_gives_nan_as_jax_does_and_integer_exponents_work():
    x = var("x")
    assert np.isnan(evaluate(x**0.5, {"x": jax.numpy.array(-4.0)}))
    assert evaluate(x**2.0, {"x": -3.0}) == 9.0 and evaluate(x**-1.0, {"x": -2.0}) == -0.5


def assert_error_names(action, error, words):
    "action() raises `error` whose message contains every one of `words`."
    with pytest.raises(error) as info:
        action()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)


# --------------------------------------------------------------------------- chapter 3


def test_trace_of_the_running_example():
    trace = trace_function(running_example, *RUNNING_POINT)
    assert [eq.op for eq in trace.equations] == ["input", "input", "mul", "sin", "exp", "sub", "add"]
    assert [eq.args for eq in trace.equations[2:]] == [(1, 2), (2,), (3,), (3, 4), (5, 6)]
    assert trace.inputs == (1, 2) and trace.outputs == (7,)
    assert float(trace[7].value) == float(running_example(*RUNNING_POINT))
    ops = [e.primitive.name for e in jax.make_jaxpr(running_example)(*RUNNING_POINT).jaxpr.eqns]
    assert ops == [eq.op for eq in trace.equations[2:]]


def test_replay_gives_the_function_back_and_builds_expressions():
    trace = trace_function(running_example, *RUNNING_POINT)
    for point in [(0.3, -1.2), (2.0, 0.1)]:
        assert math.isclose(float(replay(trace, *point)), float(running_example(*point)), rel_tol=1e-15)
    x1, x2 = var("x1"), var("x2")
    assert replay(trace, x1, x2) is running_example(x1, x2)


def test_trace_records_the_branch_and_the_loop_that_ran():
    def piecewise(x):
        return x * sin(x) if x > 0 else x**2.0

    assert [eq.op for eq in trace_function(piecewise, 2.0).equations[1:]] == ["sin", "mul"]
    assert [eq.op for eq in trace_function(piecewise, -1.0).equations[1:]] == ["pow"]
    for a in (2.0, 100.0):
        trace = trace_function(newton_sqrt, a)
        k = steps_needed(a)
        assert len(trace) - 1 == 2 + 3 * k + 3 * (k + 1)
        assert len(live_variables(trace)) - 1 == 2 + 3 * k


def test_constants_become_literals():
    trace = trace_function(lambda x: 2.0 * x + 1.0, 3.0)
    mul, add = trace.equations[1:]
    assert mul.op == "mul" and mul.args[0].value == 2.0 and mul.args[1] == 1
    assert add.op == "add" and add.args == (2, add.args[1]) and add.args[1].value == 1.0
    assert replay(trace, 5.0) == 11.0


@pytest.mark.parametrize(
    "action, error, words",
    [
        (lambda: trace_function(lambda x: x * "2", 1.0), TypeError, ["mul", "'2'", "str"]),
        (lambda: trace_function(lambda x: abs(x), 1.0), TypeError, ["Traced", "abs", "sin"]),
        (lambda: var("x") % 2, TypeError, ["Expr", "%"]),
        (lambda: trace_function(lambda x: x + var("y"), 1.0), TypeError, ["add", "Expr"]),
        (lambda: trace_function(lambda x: "3", 1.0), TypeError, ["출력 0번", "str"]),
        (lambda: trace_function(lambda x: (x, None), 1.0), TypeError, ["출력 1번", "NoneType"]),
        (lambda: replay(trace_function(running_example, 1.0, 2.0), 1.0), TypeError, ["2개", "1개"]),
        (lambda: trace_function(lambda x: x**1.5, -2.0), ValueError, ["pow(-2.0, 1.5)", "실수"]),
        # 값을 아는 추적값이면 newton_sqrt가 a > 0을 확인한다 (전에는 끝없이 돌았다)
        (lambda: trace_function(newton_sqrt, -2.0), ValueError, ["a > 0", "-2.0"]),
        (lambda: trace_function(lambda x: math.sin(x), 1.0), TypeError, ["float()", "Traced", "미분이 끊깁니다"]),
        (lambda: trace_function(lambda x: int(x), 1.0), TypeError, ["int()", "Traced"]),
    ],
)
def test_bad_input_to_the_tracer_is_named(action, error, words):
    assert_error_names(action, error, words)


def test_a_value_leaked_from_a_finished_trace_is_refused():
    "A tracer kept past its trace's end is refused, not silently treated as a constant (JAX: UnexpectedTracerError)."
    inner = []
    trace_function(lambda x: inner.append(x) or x * 1.0, 1.0)
    with pytest.raises(ValueError, match="이미 끝난 변환"):
        trace_function(lambda y: y + inner[0], 2.0)


def test_traced_values_compare_by_value_without_recording():
    seen = []

    def f(x):
        seen.extend([x == 2.0, x != 2.0, x < 3.0, x >= 3.0])
        return x * 1.0

    trace = trace_function(f, 2.0)
    assert seen == [True, False, True, False]
    assert [eq.op for eq in trace.equations] == ["input", "mul"]


def test_outputs_that_ignore_the_input_become_literals():
    trace = trace_function(lambda x: (x * 2.0, 3.0), 1.5)
    assert trace.outputs[0] == 2 and trace.outputs[1].value == 3.0
    assert replay(trace, 4.0) == (8.0, 3.0)
    assert live_variables(trace) == {1, 2}
