"""Second-order tests of the hand-written engines (chapter 8) against JAX.

For every primitive, hypothesis builds random expressions f(x, y) with that primitive at the root (the
generator of test_ad_engines.py) and checks in float64:
  - the Hessian-vector product by forward over reverse (our jvp of our grad) and by reverse over
    reverse (our grad of <our grad, v>) equal JAX's forward-over-reverse HVP;
  - the mixed partial derivative d/dx d/dy f, with the inner derivative closing over the outer x, by
    jvp inside jvp, grad inside grad, grad inside jvp and jvp inside grad, equals JAX's.
The closures are where perturbation confusion lives: an engine whose nested jvps share one tag gets
them wrong (test_an_engine_without_levels_is_confused shows that it does).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from test_ad_engines import PROPERTY, build, close, directions, points, rooted_at

import adbook
from adbook import (
    PRIMITIVES,
    Dual,
    exp,
    grad,
    jacfwd,
    jacrev,
    jvp,
    reduce_sum,
    sin,
    tanh,
    vjp,
)

jax.config.update("jax_enable_x64", True)


def hvp_forward_over_reverse(f, point, v):
    return jvp(grad(f, (0, 1)), point, v)[1]


def hvp_reverse_over_reverse(f, point, v):
    def directional(x, y):
        gx, gy = grad(f, (0, 1))(x, y)
        return gx * v[0] + gy * v[1]

    return grad(directional, (0, 1))(*point)


def mixed_partials(f, x0, y0):
    "d/dx (d/dy f(x, y) at y0) at x0, the inner derivative closing over the outer x, four ways."
    inner_jvp = lambda x: jvp(lambda y: f(x, y), (y0,), (1.0,))[1]  # noqa: E731
    inner_grad = lambda x: grad(lambda y: f(x, y))(y0)  # noqa: E731
    return (
        jvp(inner_jvp, (x0,), (1.0,))[1],
        grad(inner_grad)(x0),
        jvp(inner_grad, (x0,), (1.0,))[1],
        grad(inner_jvp)(x0),
    )


@pytest.mark.parametrize("op", sorted(PRIMITIVES))
def test_second_order_matches_jax_on_random_expressions(op):
    @PROPERTY
    @given(expr=rooted_at(op), point=points, v=directions)
    def check(expr, point, v):
        f = build(expr)
        point = tuple(float(p) for p in point)
        v = tuple(float(t) for t in v)
        theirs = jax.jvp(jax.grad(f, (0, 1)), point, v)[1]
        close(hvp_forward_over_reverse(f, point, v), theirs)
        close(hvp_reverse_over_reverse(f, point, v), theirs)
        mixed = jax.jvp(jax.grad(f, 1), point, (1.0, 0.0))[1]  # d/dx ∂f/∂y
        for ours in mixed_partials(f, *point):
            close(ours, mixed)

    check()


def naive_jvp(f, primals, tangents):
    "Chapter 4's jvp without levels: every dual number gets level 0, so nested jvps share one tag."
    out = f(*(Dual(p, t) for p, t in zip(primals, tangents)))
    return out.primal, out.tangent


def test_an_engine_without_levels_is_confused():
    "d/dx [x * d/dy (x + y)] = 1. Sharing one tag, the inner jvp also sees x's tangent and gives 2."

    def nested(jvp_fn):
        return jvp_fn(lambda x: x * jvp_fn(lambda y: x + y, (1.0,), (1.0,))[1], (1.0,), (1.0,))[1]

    assert nested(jax.jvp) == 1.0
    assert nested(jvp) == 1.0
    assert nested(naive_jvp) == 2.0  # the confused value


def f2(x, y):
    return exp(x * y) * sin(y) + x * x * y


NESTINGS = {
    "jacfwd(jacrev)": lambda f: jacfwd(jacrev(f, (0, 1)), (0, 1)),
    "jacrev(jacfwd)": lambda f: jacrev(jacfwd(f, (0, 1)), (0, 1)),
    "jacfwd(jacfwd)": lambda f: jacfwd(jacfwd(f, (0, 1)), (0, 1)),
    "jacrev(jacrev)": lambda f: jacrev(jacrev(f, (0, 1)), (0, 1)),
}


@pytest.mark.parametrize("name", NESTINGS)
def test_hessians_by_nested_jacobians_match_jax(name):
    close(NESTINGS[name](f2)(0.7, 1.2), jax.hessian(f2, (0, 1))(0.7, 1.2))


THIRD_ORDER = {
    "grad∘grad∘grad": lambda f: grad(grad(grad(f))),
    "jacfwd∘jacrev∘grad": lambda f: jacfwd(jacrev(grad(f))),
    "jvp∘grad∘jacfwd": lambda f: lambda x: jvp(grad(jacfwd(f)), (x,), (1.0,))[1],
    "grad∘jvp∘jacrev": lambda f: grad(lambda x: jvp(jacrev(f), (x,), (1.0,))[1]),
    "vjp∘jvp∘grad": lambda f: lambda x: vjp(lambda t: jvp(grad(f), (t,), (1.0,))[1], x)[1](1.0)[0],
}


@pytest.mark.parametrize("name", THIRD_ORDER)
def test_third_derivatives_by_any_nesting_match_jax(name):
    def f(x):
        return sin(x) * x * x

    expected = jax.grad(jax.grad(jax.grad(f)))(1.3)
    close(THIRD_ORDER[name](f)(1.3), expected)


def test_fourth_derivative_and_closures_across_three_levels():
    def f(x):
        return sin(x) * x * x

    close(grad(grad(grad(grad(f))))(1.3), jax.grad(jax.grad(jax.grad(jax.grad(f))))(1.3))

    # three levels, each inner function closing over every outer variable
    def ours(x):
        return grad(lambda y: jvp(lambda z: x * y * z * z, (0.5,), (1.0,))[1] * y)(2.0)

    def theirs(x):
        return jax.grad(lambda y: jax.jvp(lambda z: x * y * z * z, (0.5,), (1.0,))[1] * y)(2.0)

    close(jvp(ours, (1.5,), (1.0,)), jax.jvp(theirs, (1.5,), (1.0,)))


def test_array_hvps_through_chapter_7_ops():
    w, v = jnp.arange(3.0) - 1.0, jnp.array([0.5, -1.0, 2.0])

    def loss(w):
        return reduce_sum(tanh(w) * w)

    def jax_loss(w):
        return jnp.sum(jnp.tanh(w) * w)

    theirs = jax.jvp(jax.grad(jax_loss), (w,), (v,))[1]
    close(jvp(grad(loss), (w,), (v,))[1], theirs)
    close(grad(lambda w: reduce_sum(grad(loss)(w) * v))(w), theirs)
    close(grad(lambda w: jvp(loss, (w,), (v,))[1])(w), theirs)


def test_outer_values_are_constants_for_an_inner_transformation():
    "An inner output that is the outer x itself has a zero inner derivative (jax.jvp agrees)."

    def ours(x):
        return x * jvp(lambda y: x * 2.0, (1.0,), (1.0,))[1]

    def theirs(x):
        return x * jax.jvp(lambda y: x * 2.0, (1.0,), (1.0,))[1]

    assert jvp(ours, (1.0,), (1.0,)) == jax.jvp(theirs, (1.0,), (1.0,)) == (0.0, 0.0)


def test_a_leaked_dual_is_refused():
    kept = []
    jvp(lambda x: kept.append(x) or x, (1.0,), (1.0,))
    with pytest.raises(ValueError, match="이미 끝난 변환"):
        jvp(lambda y: y * kept[0], (2.0,), (1.0,))
    assert not adbook.LEVELS  # every transformation took its level back


def test_nested_jacobians_carry_one_direction_at_a_time():
    "Inside another transformation a Jacobian runs one direction per pass; its values stay scalars."
    seen = []

    def inner(x, y):
        seen.append(np.shape(adbook.plain_value(x)))
        return x * y

    jacfwd(lambda a: jacfwd(inner, (0, 1))(a, 2.0)[0])(1.0)
    assert set(seen) == {()}
