"""Chapter 10: reverse mode derived from forward mode (linearize, then transpose) against JAX.

For every primitive, hypothesis builds random expressions f(x, y) with that primitive at the root (the
generator of test_ad_engines.py) and checks in float64 that the VJP obtained by transposing our recorded
forward mode equals chapter 5's reverse mode and jax.vjp, and that the linear trace holds only linear
operations (no rule of a non-linear primitive is ever needed backwards).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from test_ad_engines import PROPERTY, build, close, cotangents, points, rooted_at

from adbook import (
    PRIMITIVES,
    TRANSPOSE_RULES,
    check_linear,
    linearize,
    running_example,
    sin,
    trace_function,
    vjp,
    vjp_by_transpose,
)

jax.config.update("jax_enable_x64", True)
LINEAR_SCALAR_OPS = {"add", "sub", "neg", "mul", "div"}


@pytest.mark.parametrize("op", sorted(PRIMITIVES))
def test_transposed_forward_mode_equals_reverse_mode_on_random_expressions(op):
    @PROPERTY
    @given(expr=rooted_at(op), point=points, cotangent=cotangents)
    def check(expr, point, cotangent):
        f = build(expr)
        point = tuple(float(p) for p in point)
        out, by_transpose = vjp_by_transpose(f, *point)
        out_5, by_chapter_5 = vjp(f, *point)
        jax_out, by_jax = jax.vjp(f, *point)
        close(out, jax_out)
        close(by_transpose(float(cotangent)), by_chapter_5(float(cotangent)))
        close(by_transpose(float(cotangent)), by_jax(float(cotangent)))
        _, linear = linearize(f, *point)
        assert {eq.op for eq in linear.equations} <= LINEAR_SCALAR_OPS | {"input"}

    check()


def test_only_linear_operations_have_transpose_rules():
    nonlinear = set(PRIMITIVES) - LINEAR_SCALAR_OPS
    assert not nonlinear & set(TRANSPOSE_RULES)
    assert TRANSPOSE_RULES["div"][1] is None  # dividing by a tangent is not linear


def test_a_trace_that_is_not_linear_is_refused_with_the_line_named():
    with pytest.raises(ValueError, match="v3 = mul"):
        check_linear(trace_function(lambda x, y: x * y, 1.0, 2.0))
    with pytest.raises(ValueError, match="sin"):
        check_linear(trace_function(lambda x: sin(x), 1.0))
    with pytest.raises(ValueError, match="div"):
        check_linear(trace_function(lambda x: 2.0 / x, 1.0))


def test_linear_trace_of_the_running_example_multiplies_by_the_local_partials():
    x1, x2 = 1.5, 0.5
    _, linear = linearize(running_example, x1, x2)
    factors = sorted(
        float(a.value) for eq in linear.equations if eq.op == "mul" for a in eq.args if not isinstance(a, int)
    )
    np.testing.assert_allclose(factors, sorted([x2, x1, np.cos(x2), np.exp(x1 * x2)]), rtol=1e-14)


def test_transposed_reverse_mode_handles_arrays_and_tuple_outputs():
    xs = jnp.linspace(-1.0, 2.0, 5)

    def f(x, y):
        return (x * y, sin(x) - y)

    out, pullback = vjp_by_transpose(f, 0.3, 1.7)
    cts = (1.0, -2.0)
    close(pullback(cts), jax.vjp(f, 0.3, 1.7)[1](cts))
    _, pullback = vjp_by_transpose(lambda x: sin(x) * x, xs)
    close(pullback(jnp.ones(5)), jax.vjp(lambda x: jnp.sin(x) * x, xs)[1](jnp.ones(5)))


def test_affine_traces_and_missing_rules_are_refused_clearly():
    with pytest.raises(ValueError, match="선형이 아닙니다"):
        check_linear(trace_function(lambda x: x + 1.0, 2.0))
    with pytest.raises(ValueError, match="선형이 아닙니다"):
        check_linear(trace_function(lambda x: 1.0 - x, 2.0))
    check_linear(trace_function(lambda x: x + 0.0, 2.0))  # adding zero stays linear
    with pytest.raises(ValueError, match="전치 규칙이 없습니다"):
        check_linear(trace_function(lambda x: sin(x), 1.0))


def test_bad_inputs_name_vjp_by_transpose():
    with pytest.raises(TypeError, match="vjp_by_transpose: primals\\[0\\]"):
        vjp_by_transpose(sin, 1)
    with pytest.raises(TypeError, match="vjp_by_transpose: primals\\[0\\]"):
        vjp_by_transpose(sin, [1.0, 2.0])


def test_transposed_reverse_mode_nests_with_our_other_transformations():
    from adbook import grad, jvp

    def derivative(f):
        return lambda x: vjp_by_transpose(f, x)[1](1.0)[0]

    x = 0.7
    close(grad(derivative(sin))(x), -np.sin(x))  # grad of the derived vjp
    close(derivative(lambda x: jvp(sin, (x,), (1.0,))[1])(x), -np.sin(x))  # derived vjp of jvp
    close(derivative(derivative(sin))(x), -np.sin(x))  # derived vjp of itself


def test_registering_a_non_elementwise_op_without_reverse_rule_refuses_chapter_5_vjp():
    from adbook import JVP_RULES, OPS, VJP_RULES, register

    try:
        double = register("double_for_test", lambda x: 2.0 * x, (lambda dx, z, x: 2.0 * dx,))
        with pytest.raises(NotImplementedError, match="double_for_test: 후진 모드 규칙이 없습니다"):
            vjp(double, jnp.ones(3))[1](jnp.ones(3))
    finally:
        for table in (OPS.maps[0], JVP_RULES.maps[0], VJP_RULES):
            table.pop("double_for_test", None)
