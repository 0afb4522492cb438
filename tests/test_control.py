"""Chapter 9's additions to the engine (absolute, maximum, select) and its loop helpers, against JAX.

The three operations have kinks or a condition, so hypothesis builds random expressions with one of
them at the root over the smooth expressions of test_ad_engines.py, and checks in float64 that our
jvp, vjp and forward-over-reverse HVP equal JAX's for the same function (the same Python function
runs on our values and on JAX tracers: on a JAX value the operations call jnp). At kinks both engines
must pick the same value, so exact ties are generated on purpose too.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ad_engines import apply, close, cotangents, directions, first_order_matches_jax, points, subexpressions
from test_ad_engines import build as build_smooth

from adbook import (
    Dual,
    absolute,
    grad,
    jacfwd,
    jacrev,
    jvp,
    maximum,
    relu,
    residual_bytes,
    select,
    sqrt,
    sqrt_fori,
    sqrt_while,
    vjp,
)

jax.config.update("jax_enable_x64", True)

KINKED = {"abs": 1, "max": 2, "select": 3}
PROPERTY = settings(max_examples=200, derandomize=True, deadline=None, database=None)


def apply_kinked(op, args):
    "One operation of an expression whose root may be abs, max or select (condition: first child > 0)."
    if op == "abs":
        return absolute(args[0])
    if op == "max":
        return maximum(args[0], args[1])
    if op == "select":
        return select(args[0] > 0, args[1], args[2])
    return apply(op, args)


def build(expr):
    return build_smooth(expr, apply_kinked)


def rooted_at(op):
    # The same child twice makes max(e, e) a tie and abs(e - e) a kink at 0 on purpose.
    children = st.one_of(
        st.tuples(*[subexpressions] * KINKED[op]),
        subexpressions.map(lambda e: (e,) * KINKED[op]),
        subexpressions.map(lambda e: (("sub", e, e),) + (e,) * (KINKED[op] - 1)),
    )
    return children.map(lambda args: (op, *args))


@pytest.mark.parametrize("op", sorted(KINKED))
def test_kinked_operations_match_jax_on_random_expressions(op):
    @PROPERTY
    @given(expr=rooted_at(op), point=points, tangent=directions, cotangent=cotangents)
    def check(expr, point, tangent, cotangent):
        f = build(expr)
        first_order_matches_jax(f, point, tangent, cotangent)
        point = tuple(float(p) for p in point)
        tangent = tuple(float(t) for t in tangent)
        hvp = jvp(grad(f, (0, 1)), point, tangent)[1]
        jax_hvp = jax.jvp(jax.grad(f, (0, 1)), point, tangent)[1]
        close(hvp, jax_hvp)

    check()


@pytest.mark.parametrize(
    "name, ours, theirs, point",
    [
        ("abs at 0", absolute, jnp.abs, (0.0,)),
        ("relu at 0", relu, jax.nn.relu, (0.0,)),
        ("maximum(x, 0) at 0", lambda x: maximum(x, 0.0), lambda x: jnp.maximum(x, 0.0), (0.0,)),
        ("maximum at a tie", maximum, jnp.maximum, (1.0, 1.0)),
        ("Python max at a tie", max, max, (1.0, 1.0)),
        ("sqrt at 0", sqrt, jnp.sqrt, (0.0,)),
    ],
)
def test_kinks_pick_the_value_jax_picks(name, ours, theirs, point):
    argnums = tuple(range(len(point)))
    np.testing.assert_array_equal(grad(ours, argnums)(*point), jax.grad(theirs, argnums)(*point))


def test_stacked_jacobians_and_hessians_through_kinked_operations():
    def f(x, y):
        return absolute(x - y) * maximum(x, y) + select(x > 0, x * y, sqrt(1.0 + y * y))

    def f_jax(x, y):
        return jnp.abs(x - y) * jnp.maximum(x, y) + jnp.where(x > 0, x * y, jnp.sqrt(1.0 + y * y))

    for point in [(0.7, -0.4), (-1.2, 0.3), (1.5, 1.5)]:
        close(jacfwd(f, (0, 1))(*point), jax.jacfwd(f_jax, (0, 1))(*point))
        close(jacrev(f, (0, 1))(*point), jax.jacrev(f_jax, (0, 1))(*point))
    close(jacfwd(jacrev(f, (0, 1)), (0, 1))(0.7, -0.4), jax.hessian(f_jax, (0, 1))(0.7, -0.4))


def test_broadcast_arguments_get_adjoints_of_their_own_shape():
    xs = jnp.array([-1.0, 0.5, 2.0])

    def f(x, c):
        return maximum(x, c) * select(x > 0, x, c)

    def f_jax(x, c):
        return jnp.maximum(x, c) * jnp.where(x > 0, x, c)

    _, pullback = vjp(f, xs, 0.5)
    ours = pullback(jnp.ones(3))
    theirs = jax.vjp(f_jax, xs, 0.5)[1](jnp.ones(3))
    assert [np.shape(a) for a in ours] == [(3,), ()]
    close(ours[0], theirs[0])
    close(ours[1], theirs[1])


def test_where_nan_and_the_double_where_fix_in_both_engines():
    def naive(x):
        return select(x > 0, sqrt(x), 0.0)

    def safe(x):
        positive = x > 0
        return select(positive, sqrt(select(positive, x, 1.0)), 0.0)

    for engine_grad in (grad, jax.grad):
        assert np.isnan(engine_grad(naive)(0.0))
        assert engine_grad(safe)(0.0) == 0.0
        assert engine_grad(safe)(4.0) == 0.25
    assert jvp(naive, (0.0,), (1.0,))[1] == 0.0 == jax.jvp(naive, (0.0,), (1.0,))[1]


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: select(1.0, 2.0, 3.0), "bool"),
        (lambda: select(jnp.array([0.0, 1.0]), 2.0, 3.0), "bool"),
        (lambda: select([True, False], 2.0, 3.0), "bool"),
        (lambda: select("yes", 2.0, 3.0), "bool"),
        (lambda: jvp(lambda x: select(x, x, 0.0), (1.0,), (1.0,)), "비교한 결과"),
    ],
)
def test_select_refuses_a_condition_that_is_not_bool(call, words):
    with pytest.raises(TypeError, match=words):
        call()


def test_shapes_that_do_not_broadcast_name_the_operation():
    with pytest.raises(ValueError, match="select: 모양"):
        select(jnp.array([True, False]), jnp.ones(3), 0.0)
    with pytest.raises(ValueError, match="maximum: 모양"):
        maximum(jnp.ones(2), jnp.ones(3))


def test_select_rejects_our_values_as_condition_even_when_their_value_is_bool():
    with pytest.raises(TypeError, match="select"):
        select(Dual(True, 0.0), 1.0, 2.0)


def test_newton_square_root_loops_differentiate_as_the_chapter_says():
    for a in (2.0, 100.0, 1e6):
        slope = jax.jvp(sqrt_while, (a,), (1.0,))[1]
        assert abs(slope * 2.0 * np.sqrt(a) - 1.0) < 1e-11
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        jax.grad(sqrt_while)(2.0)
    close(jax.grad(sqrt_fori)(2.0, 6), 0.5 / np.sqrt(2.0))


def test_scan_residuals_grow_exactly_linearly():
    def loop(x, n):
        return jax.lax.scan(lambda c, _: (jnp.sin(c), None), x, None, length=n)[0].sum()

    sizes = [residual_bytes(functools.partial(loop, n=n), jnp.ones(50)) for n in (1, 7, 40)]
    assert sizes == [400, 7 * 400, 40 * 400]
