"""Property-based and error tests of the hand-written AD engines (chapters 4 and 5) against JAX.

For every primitive, hypothesis builds random expressions with that primitive at the root and random
subexpressions below, picks a point inside the domain, and checks in float64:
  - our jvp  == jax.jvp   (value and tangent),
  - our vjp  == jax.vjp   (value and input cotangents),
  - <u, J v> computed by our jvp equals <J^T u, v> computed by our vjp.
Examples are derandomized (the same ones on every run) so CI is deterministic.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adbook import (
    PRIMITIVES,
    RUNNING_POINT,
    cos,
    count_ops,
    exp,
    grad,
    jacfwd,
    jacobian_forward,
    jacobian_reverse,
    jacrev,
    jvp,
    log,
    running_example,
    sin,
    sqrt,
    tanh,
    trace_function,
    vjp,
)

jax.config.update("jax_enable_x64", True)

EXAMPLES_PER_PRIMITIVE = 200
UNARY = {"neg": lambda a: -a, "sin": sin, "cos": cos, "exp": exp, "log": log, "tanh": tanh, "sqrt": sqrt}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}
PROPERTY = settings(max_examples=EXAMPLES_PER_PRIMITIVE, derandomize=True, deadline=None, database=None)


def apply(op, args):
    """Apply a primitive, keeping its arguments inside its domain: log, sqrt and the base of ** get
    1 + a², a divisor gets 2 + sin(b), an exponent gets tanh(b)."""
    if op in ("log", "sqrt"):
        args = [1.0 + args[0] * args[0]]
    elif op == "div":
        args = [args[0], 2.0 + sin(args[1])]
    elif op == "pow":
        args = [1.0 + args[0] * args[0], tanh(args[1])]
    return (UNARY | BINARY)[op](*args)


# An expression is "x", "y", a float, or (op, child, ...).
leaves = st.one_of(st.sampled_from(["x", "y"]), st.floats(-2.0, 2.0, allow_nan=False).map(float))
subexpressions = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), children),
        st.tuples(st.sampled_from(sorted(BINARY)), children, children),
    ),
    max_leaves=4,
)


def has_variable(expr):
    if isinstance(expr, str):
        return True
    return isinstance(expr, tuple) and any(has_variable(child) for child in expr[1:])


def rooted_at(op):
    "Expressions with `op` at the root that depend on x or y (a constant has no derivative to compare)."
    arity = 1 if op in UNARY else 2
    return st.tuples(st.just(op), *[subexpressions] * arity).filter(has_variable)


def build(expr, apply=apply):
    """The Python function f(x, y) of an expression, written with the book's elementary functions,
    so that the same f runs on our Dual and Traced values and on JAX tracers. `apply(op, args)`
    computes one operation (chapter 9's tests pass one that knows its operations too)."""

    def f(x, y):
        def walk(e):
            if isinstance(e, str):
                return x if e == "x" else y
            if isinstance(e, float):
                return e
            return apply(e[0], [walk(child) for child in e[1:]])

        return walk(expr)

    return f


points = st.tuples(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
directions = st.tuples(st.floats(-2.0, 2.0), st.floats(-2.0, 2.0))
cotangents = st.floats(-2.0, 2.0)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("op", sorted(PRIMITIVES))
def test_engines_match_jax_on_random_expressions(op):
    @PROPERTY
    @given(expr=rooted_at(op), point=points, tangent=directions, cotangent=cotangents)
    def check(expr, point, tangent, cotangent):
        first_order_matches_jax(build(expr), point, tangent, cotangent)

    check()


def first_order_matches_jax(f, point, tangent, cotangent):
    "Our jvp and vjp of f(x, y) equal JAX's at point, and <u, J v> agrees between the two modes."
    point = tuple(float(p) for p in point)
    tangent = tuple(float(t) for t in tangent)
    out, out_tangent = jvp(f, point, tangent)
    jax_out, jax_tangent = jax.jvp(f, point, tangent)
    close(out, jax_out)
    close(out_tangent, jax_tangent)
    out, vjp_fn = vjp(f, *point)
    _, jax_vjp_fn = jax.vjp(f, *point)
    ours, theirs = vjp_fn(float(cotangent)), jax_vjp_fn(float(cotangent))
    close(out, jax_out)
    close(ours, theirs)
    # <u, J v> by forward mode == <J^T u, v> by reverse mode
    close(cotangent * out_tangent, sum(c * t for c, t in zip(ours, tangent)))


def test_every_primitive_is_covered_by_the_property_tests():
    assert set(UNARY) | set(BINARY) == set(PRIMITIVES)


def test_one_reverse_pass_costs_a_small_constant_times_f():
    def q(*xs):
        total = xs[0] ** 2.0 * sin(xs[0])
        for x in xs[1:]:
            total = total + x**2.0 * sin(x)
        return total

    ratios = []
    for n in (4, 16, 64):
        xs = tuple(float(v) for v in np.linspace(0.1, 1.5, n))
        f_ops = sum(1 for eq in trace_function(q, *xs).equations if eq.op != "input")
        assert count_ops(q, *xs).total() == f_ops  # counting f = the length of its trace
        ratios.append(count_ops(grad(q, tuple(range(n))), *xs).total() / f_ops)
    assert max(ratios) < 4 and max(ratios) - min(ratios) < 0.5, ratios


def test_jacobians_have_jax_structure():
    def two(x1, x2):
        return running_example(x1, x2), x1 * exp(x2)

    for argnums in (0, 1, (0, 1), (1,)):
        for ours in (jacfwd(two, argnums)(*RUNNING_POINT), jacrev(two, argnums)(*RUNNING_POINT)):
            theirs = jax.jacfwd(two, argnums)(*RUNNING_POINT)
            assert jax.tree_util.tree_structure(ours) == jax.tree_util.tree_structure(theirs)
            close(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs))


def test_outputs_that_ignore_the_input_have_zero_derivatives_as_in_jax():
    close(grad(lambda x: 3.0)(1.0), jax.grad(lambda x: 3.0)(1.0))
    f = lambda x: (2.0 * x, 3.0)  # noqa: E731
    out, vjp_fn = vjp(f, 1.5)
    _, jax_vjp_fn = jax.vjp(f, 1.5)
    close(out, jax.jvp(f, (1.5,), (1.0,))[0])
    close(vjp_fn((1.0, 1.0)), jax_vjp_fn((1.0, 1.0)))
    close(jvp(f, (1.5,), (1.0,))[1], jax.jvp(f, (1.5,), (1.0,))[1])


def test_vjp_fn_can_be_called_again():
    _, vjp_fn = vjp(running_example, *RUNNING_POINT)
    assert [float(v) for v in vjp_fn(1.0)] == [float(v) for v in vjp_fn(1.0)]


def test_constant_arguments_get_no_partial():
    # the exponent-side partial log(x)·x**y is NaN for x < 0; a constant exponent must not compute it
    assert math.isclose(float(jvp(lambda x: x**2.0, (-3.0,), (1.0,))[1]), -6.0)
    assert math.isclose(float(grad(lambda x: x**2.0)(-3.0)), -6.0)


# --------------------------------------------------------------------------- bad input


def two_outputs(x1, x2):
    return x1 * x2, sin(x2)


BAD_INPUT = [
    (
        "jvp, tangents of another structure",
        lambda: jvp(running_example, (1.5, 0.5), (1.0,)),
        ValueError,
        ["primals는 2개", "tangents는 1개"],
    ),
    (
        "jvp, tangent of another shape",
        lambda: jvp(running_example, (1.5, 0.5), (jnp.ones(3), 0.0)),
        ValueError,
        ["tangents[0]", "(3,)", "()"],
    ),
    ("jvp, primals not a tuple", lambda: jvp(running_example, 1.5, 1.0), TypeError, ["primals", "튜플", "float"]),
    ("jvp, int primal", lambda: jvp(running_example, (1, 0.5), (1.0, 0.0)), TypeError, ["primals[0]", "실수", "int"]),
    ("jvp, int tangent", lambda: jvp(running_example, (1.5, 0.5), (1, 0.0)), TypeError, ["tangents[0]", "int"]),
    ("vjp, int primal", lambda: vjp(running_example, 1.5, 2), TypeError, ["primals[1]", "int"]),
    (
        "vjp_fn, cotangent of another shape",
        lambda: vjp(running_example, 1.5, 0.5)[1](jnp.ones(2)),
        ValueError,
        ["cotangent[0]", "(2,)", "()"],
    ),
    (
        "vjp_fn, cotangent of another structure",
        lambda: vjp(two_outputs, 1.5, 0.5)[1](1.0),
        ValueError,
        ["출력이 2개", "cotangent"],
    ),
    ("vjp_fn, int cotangent", lambda: vjp(running_example, 1.5, 0.5)[1](1), TypeError, ["cotangent[0]", "int"]),
    ("grad of a tuple output", lambda: grad(two_outputs, (0, 1))(1.5, 0.5), TypeError, ["grad", "스칼라", "튜플"]),
    ("grad of an array output", lambda: grad(sin)(jnp.ones(3)), TypeError, ["grad", "(3,)"]),
    ("grad, int input", lambda: grad(running_example)(1, 0.5), TypeError, ["실수", "int"]),
    (
        "grad, argnums out of range",
        lambda: grad(running_example, argnums=2)(1.5, 0.5),
        ValueError,
        ["argnums=2", "2개"],
    ),
    ("jacfwd, array input", lambda: jacfwd(sin)(jnp.ones(3)), ValueError, ["jacfwd", "스칼라", "(3,)"]),
    ("jacrev, array input", lambda: jacrev(sin)(jnp.ones(3)), ValueError, ["jacrev", "스칼라", "(3,)"]),
    ("abs of a Dual", lambda: jvp(lambda x: abs(x), (1.0,), (1.0,)), TypeError, ["Dual", "abs"]),
    ("% of a Dual", lambda: jvp(lambda x: x % 2.0, (1.0,), (1.0,)), TypeError, ["Dual", "%"]),
    ("abs in reverse mode", lambda: vjp(lambda x: abs(x), 1.0), TypeError, ["Traced", "abs"]),
    ("a string constant", lambda: jvp(lambda x: x * "2", (1.0,), (1.0,)), TypeError, ["mul", "'2'", "str"]),
    ("an output that is not a number", lambda: vjp(lambda x: "2", 1.0), TypeError, ["출력 0번", "str"]),
    ("jvp output that is not a number", lambda: jvp(lambda x: [x], (1.0,), (1.0,)), TypeError, ["jvp의 출력", "list"]),
    (
        "vjp_fn, list cotangent for a tuple output",
        lambda: vjp(two_outputs, 1.5, 0.5)[1]([1.0, 1.0]),
        ValueError,
        ["출력이 2개", "튜플"],
    ),
    (
        "repeated argnums",
        lambda: jacfwd(running_example, argnums=(0, 0))(1.5, 0.5),
        ValueError,
        ["argnums=(0, 0)", "두 번"],
    ),
    (
        "grad, int in the differentiated argument",
        lambda: grad(lambda x, y: x * y, argnums=1)(2.0, 3),
        TypeError,
        ["grad: 인자 1", "int"],
    ),
    (
        "jacobian_forward of a list output",
        lambda: jacobian_forward(lambda a, b: [a * b, a + b], (1.0, 2.0)),
        ValueError,
        ["jacobian_forward", "스칼라 출력", "(2,)"],
    ),
    (
        "jacobian_reverse of an array output",
        lambda: jacobian_reverse(lambda a: a * jnp.ones(3), (1.0,)),
        ValueError,
        ["jacobian_reverse", "(3,)"],
    ),
    (
        "jacfwd of an array output",
        lambda: jacfwd(lambda x: x * jnp.ones(3))(2.0),
        NotImplementedError,
        ["접선의 모양 (1,)", "배열 연산", "jax.vmap"],
    ),
    (
        "jacobian_forward of an array output",
        lambda: jacobian_forward(lambda x: sin(x) * jnp.ones(3), (2.0,)),
        NotImplementedError,
        ["접선의 모양 (1,)", "배열 연산"],
    ),
    ("jacrev of an array output", lambda: jacrev(lambda x: x * jnp.ones(3))(2.0), ValueError, ["스칼라 출력", "(3,)"]),
    ("empty argnums", lambda: grad(running_example, argnums=())(1.5, 0.5), ValueError, ["argnums", "비어"]),
    ("float argnums", lambda: grad(running_example, argnums=1.0)(1.5, 0.5), TypeError, ["argnums", "정수", "1.0"]),
    (
        "a string input has no integer hint",
        lambda: jvp(running_example, ("a", 0.5), (1.0, 0.0)),
        TypeError,
        ["primals[0]", "str"],
    ),
]


def test_a_non_integer_bad_input_does_not_suggest_writing_1_0():
    with pytest.raises(TypeError) as info:
        jvp(running_example, ("a", 0.5), (1.0, 0.0))
    assert "1.0처럼" not in str(info.value)


def test_nested_jvp_without_closure_still_works():
    "jvp of jvp with the outer dual passed in (not captured) is the second derivative, as in JAX."
    second = jvp(lambda x: jvp(sin, (x,), (1.0,))[1], (0.5,), (1.0,))[1]
    close(second, jax.jvp(lambda x: jax.jvp(jnp.sin, (x,), (1.0,))[1], (0.5,), (1.0,))[1])


def test_count_ops_handles_fixed_arguments_and_integers():
    from adbook import logistic_map

    assert count_ops(grad(running_example, 0), 1.5, 0.5).total() > 0  # the fixed x2 is counted, not rejected
    assert count_ops(logistic_map, 0.3, 5).total() == 12  # n = 5 stays an int: 4 steps of 3 operations


@pytest.mark.parametrize("what, call, error, words", BAD_INPUT, ids=[case[0] for case in BAD_INPUT])
def test_bad_input_gets_a_clear_error(what, call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)


# --------------------------------------------------------------------------- review C: outputs, nesting, dtypes


def _nested_output(x):
    return (x, x), x


BAD_OUTPUTS_AND_NESTING = [
    # jacobian_forward used to return a row of zeros for anything that was not a Dual
    ("jacfwd of a tuple inside the output tuple", lambda: jacfwd(_nested_output)(1.0), ValueError, ["출력 0", "tuple"]),
    (
        "jacfwd of a one-element tuple holding a tuple",
        lambda: jacfwd(lambda x, y: ((x * y, x),), (0, 1))(2.0, 3.0),
        ValueError,
        ["출력 0", "tuple"],
    ),
    (
        "jacfwd of a dict output",
        lambda: jacfwd(lambda x: {"a": x})(1.0),
        TypeError,
        ["jacobian_forward의 출력", "dict"],
    ),
    ("jacfwd of a None output", lambda: jacfwd(lambda x: None)(1.0), TypeError, ["jacobian_forward의 출력", "None"]),
    ("jacfwd of a str output", lambda: jacfwd(lambda x: "abc")(1.0), TypeError, ["jacobian_forward의 출력", "str"]),
    ("jacfwd of a bool output", lambda: jacfwd(lambda x: x > 0)(1.0), TypeError, ["jacobian_forward의 출력", "bool"]),
    (
        "jacobian_forward of a None inside the output tuple",
        lambda: jacobian_forward(lambda a: (a, None), (1.0,)),
        TypeError,
        ["출력 1", "None"],
    ),
    ("jacrev of a tuple inside the output tuple", lambda: jacrev(_nested_output)(1.0), TypeError, ["tuple"]),
    # as jax.jvp: the tangent's dtype must equal the primal's
    (
        "jvp, float32 tangent on a float64 primal",
        lambda: jvp(sin, (1.0,), (np.float32(1.0),)),
        TypeError,
        ["tangents[0]", "float32", "float64"],
    ),
    (
        "jvp, float64 tangent on a float32 primal",
        lambda: jvp(sin, (np.float32(1.0),), (1.0,)),
        TypeError,
        ["tangents[0]", "float64", "float32"],
    ),
    (
        "jvp, float32 array tangent on a float64 array primal",
        lambda: jvp(sin, (jnp.ones(3),), (jnp.ones(3, jnp.float32),)),
        TypeError,
        ["float32", "float64"],
    ),
    # as jax.grad: an integer output is refused
    ("grad of an int output", lambda: grad(lambda x: 3)(1.0), TypeError, ["grad", "실수", "int64"]),
    ("argnums that is a string", lambda: grad(running_example, argnums="0")(1.5, 0.5), TypeError, ["argnums", "'0'"]),
    ("argnums None", lambda: grad(running_example, argnums=None)(1.5, 0.5), TypeError, ["argnums", "None"]),
]


@pytest.mark.parametrize(
    "what, call, error, words", BAD_OUTPUTS_AND_NESTING, ids=[case[0] for case in BAD_OUTPUTS_AND_NESTING]
)
def test_bad_outputs_nesting_and_dtypes_get_a_clear_error(what, call, error, words):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)


def test_jacobian_forward_of_a_single_list_output_does_not_name_output_0():
    "A list is one output, not output 0 of a tuple: the message says what it is."
    with pytest.raises(ValueError) as info:
        jacobian_forward(lambda a, b: [a * b, a + b], (1.0, 2.0))
    message = str(info.value)
    assert "list" in message and "출력 0" not in message, message


def test_jax_refuses_what_we_refuse():
    "The dtype and integer-output rules above are JAX's: check that JAX refuses the same calls."
    with pytest.raises(TypeError):
        jax.jvp(jnp.sin, (1.0,), (np.float32(1.0),))
    with pytest.raises(TypeError):
        jax.grad(lambda x: 3)(1.0)


def test_matching_float32_primal_and_tangent_work_as_in_jax():
    x, t = np.float32(0.5), np.float32(1.0)
    ours = jvp(sin, (x,), (t,))
    theirs = jax.jvp(jnp.sin, (x,), (t,))
    assert jnp.result_type(ours[1]) == jnp.result_type(theirs[1]) == jnp.float32
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float), rtol=1e-6)


def test_numpy_integer_argnums_are_accepted_as_in_jax():
    "argnums=np.int64(k) is an integer (operator.index), as in jax.grad and jax.jacfwd: a bare result."
    for k in (np.int64(0), np.int32(1)):
        ours, theirs = grad(running_example, k)(*RUNNING_POINT), jax.grad(running_example, k)(*RUNNING_POINT)
        assert jax.tree_util.tree_structure(ours) == jax.tree_util.tree_structure(theirs)
        close(ours, theirs)
        ours, theirs = jacfwd(running_example, k)(*RUNNING_POINT), jax.jacfwd(running_example, k)(*RUNNING_POINT)
        assert jax.tree_util.tree_structure(ours) == jax.tree_util.tree_structure(theirs)
        close(ours, theirs)
        # jax.jacrev (0.10) does not turn np.int64 into an int and returns a 1-tuple; ours follows jax.grad
        close(jacrev(running_example, k)(*RUNNING_POINT), jax.jacrev(running_example, int(k))(*RUNNING_POINT))
    mixed = grad(running_example, (np.int64(0), 1))(*RUNNING_POINT)
    close(mixed, jax.grad(running_example, (0, 1))(*RUNNING_POINT))


def test_if_and_while_functions_under_jvp_match_jax():
    from adbook import newton_sqrt

    def piecewise(x):
        if x > 0:
            return x * sin(x)
        return x**2.0

    for f, x0 in [(newton_sqrt, 2.0), (newton_sqrt, 100.0), (piecewise, 2.0), (piecewise, -1.0)]:
        close(jvp(f, (x0,), (1.0,)), jax.jvp(f, (x0,), (1.0,)))
