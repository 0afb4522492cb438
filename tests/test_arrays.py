"""Property-based and error tests of chapter 7's array primitives against JAX.

For every array primitive, hypothesis draws random shapes (broadcasting patterns included) and random
float64 arrays, and checks:
  - our jvp  == jax.jvp   (value and tangent),
  - our vjp  == jax.vjp   (value and input cotangents, shapes included),
  - the dot-product test <u, J v> == sum_i <J_i^T u, v_i> with our jvp and our vjp alone.
JAX differentiates the same function with its own rules: our `register`ed functions compute with jnp
when no value of ours is among their arguments. Examples are derandomized so CI is deterministic.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adbook
from adbook import (
    JVP_RULES,
    OPS,
    VJP_RULES,
    broadcast_to,
    cross_entropy,
    init_mlp,
    jvp,
    log_softmax,
    matmul,
    mean,
    mlp_loss,
    our_value_and_grad,
    reduce_sum,
    register,
    relu,
    reshape,
    transpose,
    two_spirals,
    vjp,
)

jax.config.update("jax_enable_x64", True)

EXAMPLES_PER_PRIMITIVE = 200  # each array primitive that chapter 7 registers
EXAMPLES_PER_PATTERN = 100  # each of add/sub/mul/div on two shapes that broadcast (400 in all)
EXAMPLES_PER_COMPOSITE = 10  # mean, log_softmax, cross_entropy: made of the primitives above


def examples(n):
    return settings(max_examples=n, derandomize=True, deadline=None, database=None)


dims = st.integers(1, 3)
shapes = st.lists(dims, min_size=0, max_size=3).map(tuple)


def arrays(draw, shape, low=-2.0, high=2.0):
    "A float64 array of `shape`, its entries drawn by hypothesis (kept away from 0 if low > 0)."
    size = int(np.prod(shape))
    values = draw(st.lists(st.floats(low, high, allow_nan=False), min_size=size, max_size=size))
    return np.array(values, dtype=np.float64).reshape(shape)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)


def check_against_jax(f, xs, draw):
    "Our jvp and vjp of f at xs against JAX's, and the dot-product test, with drawn directions."
    tangents = tuple(arrays(draw, np.shape(x)) for x in xs)
    out, out_tangent = jvp(f, xs, tangents)
    jax_out, jax_tangent = jax.jvp(f, xs, tangents)
    assert np.shape(out) == np.shape(jax_out) and np.shape(out_tangent) == np.shape(jax_tangent)
    close(out, jax_out)
    close(out_tangent, jax_tangent)
    cotangent = arrays(draw, np.shape(jax_out))
    _, vjp_fn = vjp(f, *xs)
    _, jax_vjp_fn = jax.vjp(f, *xs)
    ours, theirs = vjp_fn(cotangent), jax_vjp_fn(cotangent)
    for a, b, x in zip(ours, theirs, xs):
        assert np.shape(a) == np.shape(b) == np.shape(x)
        close(a, b)
    left = np.vdot(cotangent, out_tangent)
    right = sum(np.vdot(a, t) for a, t in zip(ours, tangents))
    np.testing.assert_allclose(left, right, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ random cases, one per primitive


@st.composite
def broadcast_case(draw):
    "broadcast_to: a shape, and a shape it broadcasts to (axes prepended, length-1 axes stretched)."
    target = draw(st.lists(dims, min_size=1, max_size=3).map(tuple))
    kept = draw(st.integers(0, len(target)))
    source = tuple(1 if draw(st.booleans()) else n for n in target[len(target) - kept :])
    return (lambda x: broadcast_to(x, target)), (arrays(draw, source),)


@st.composite
def reduce_sum_case(draw):
    shape = draw(shapes)
    axes = draw(st.sets(st.integers(0, max(len(shape) - 1, 0)), max_size=len(shape)).map(tuple))
    keepdims = draw(st.booleans())
    return (lambda x: reduce_sum(x, axes or None, keepdims=keepdims)), (arrays(draw, shape),)


@st.composite
def mean_case(draw):
    shape = draw(st.lists(dims, min_size=1, max_size=3).map(tuple))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    return (lambda x: mean(x, axis)), (arrays(draw, shape),)


@st.composite
def reshape_case(draw):
    shape = draw(shapes)
    size = int(np.prod(shape))
    new = tuple(draw(st.permutations(_factors(size))))
    return (lambda x: reshape(x, new)), (arrays(draw, shape),)


def _factors(n):
    "n as a list of prime factors (an empty list for 1): their permutations are shapes of size n."
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


@st.composite
def transpose_case(draw):
    shape = draw(shapes)
    perm = tuple(draw(st.permutations(range(len(shape)))))
    return (lambda x: transpose(x, perm)), (arrays(draw, shape),)


@st.composite
def matmul_case(draw):
    m, k, n = draw(dims), draw(st.integers(1, 4)), draw(dims)
    return matmul, (arrays(draw, (m, k)), arrays(draw, (k, n)))


@st.composite
def relu_case(draw):
    shape = draw(shapes)
    x = arrays(draw, shape)
    if x.size and draw(st.booleans()):
        x.flat[0] = 0.0  # the kink itself: JAX's jax.nn.relu has derivative 0 there
    return relu, (x,)


@st.composite
def elementwise_case(draw, op):
    "add/sub/mul/div of two arrays whose shapes broadcast to a common shape."
    common = draw(shapes)
    one = tuple(1 if draw(st.booleans()) else n for n in common[len(common) - draw(st.integers(0, len(common))) :])
    two = tuple(1 if draw(st.booleans()) else n for n in common[len(common) - draw(st.integers(0, len(common))) :])
    low = 0.5 if op == "div" else -2.0
    return adbook.PRIMITIVES[op], (arrays(draw, one), arrays(draw, two, low=low))


@st.composite
def log_softmax_case(draw):
    rows, classes = draw(dims), draw(st.integers(2, 4))
    shift = draw(st.sampled_from([0.0, 500.0]))  # large logits: the naive formula would overflow
    return log_softmax, (shift + arrays(draw, (rows, classes)),)


@st.composite
def cross_entropy_case(draw):
    rows, classes = draw(dims), draw(st.integers(2, 4))
    labels = np.eye(classes)[draw(st.lists(st.integers(0, classes - 1), min_size=rows, max_size=rows))]
    return (lambda z: cross_entropy(z, labels)), (arrays(draw, (rows, classes)),)


CASES = {
    "broadcast_to": broadcast_case(),
    "reduce_sum": reduce_sum_case(),
    "mean": mean_case(),
    "reshape": reshape_case(),
    "transpose": transpose_case(),
    "matmul": matmul_case(),
    "relu": relu_case(),
    "log_softmax": log_softmax_case(),
    "cross_entropy": cross_entropy_case(),
    **{f"{op} (broadcasting)": elementwise_case(op) for op in ("add", "sub", "mul", "div")},
}


def examples_for(name):
    if name in {"mean", "log_softmax", "cross_entropy"}:
        return EXAMPLES_PER_COMPOSITE
    return EXAMPLES_PER_PATTERN if "broadcasting" in name else EXAMPLES_PER_PRIMITIVE


@pytest.mark.parametrize("name", sorted(CASES))
def test_array_primitives_match_jax(name):
    @examples(examples_for(name))
    @given(data=st.data())
    def check(data):
        f, xs = data.draw(CASES[name])
        check_against_jax(f, xs, data.draw)

    check()


def test_every_registered_array_primitive_is_tested():
    registered = set(OPS.maps[0])
    chapter_9 = {"abs", "max", "select"}  # tested in test_control.py
    assert registered == {"broadcast_to", "reduce_sum", "reshape", "transpose", "matmul", "relu"} | chapter_9
    assert registered - chapter_9 <= set(CASES) and set(JVP_RULES.maps[0]) == registered


# ------------------------------------------------------------------ the pieces chapter 7 builds on


def test_relu_at_the_kink_is_zero_as_in_jax_nn_relu():
    x = jnp.array([-1.0, 0.0, 2.0])
    _, ours = jvp(relu, (x,), (jnp.ones(3),))
    _, theirs = jax.jvp(jax.nn.relu, (x,), (jnp.ones(3),))
    assert list(ours) == list(theirs) == [0.0, 0.0, 1.0]


def test_cross_entropy_gradient_is_p_minus_y():
    logits = np.random.default_rng(0).normal(size=(5, 3))
    labels = jax.nn.one_hot(jnp.array([0, 1, 2, 2, 1]), 3)
    (z_bar,) = vjp(lambda z: cross_entropy(z, labels), logits)[1](1.0)
    close(z_bar, (jax.nn.softmax(logits) - labels) / 5)


def test_broadcasting_is_recorded_and_summed_back():
    "A scalar input multiplied by an array: the adjoint is the sum, with the scalar's shape."
    out, vjp_fn = vjp(lambda s: s * jnp.arange(3.0), 2.0)
    (s_bar,) = vjp_fn(jnp.ones(3))
    assert np.shape(s_bar) == () and float(s_bar) == 3.0
    trace = adbook.trace_function(lambda s: s * jnp.arange(3.0), 2.0)
    assert [eq.op for eq in trace.equations] == ["input", "broadcast_to", "mul"]


def test_mlp_gradient_matches_jax_also_under_jit():
    x, labels = two_spirals(jax.random.key(0), 16)
    params = init_mlp(jax.random.key(1), (2, 8, 2))
    loss = functools.partial(mlp_loss, activation=relu)

    def jax_loss(params, x, labels):
        W1, b1, W2, b2 = params
        z = jax.nn.relu(x @ W1 + b1) @ W2 + b2
        return -jnp.mean(jnp.sum(labels * jax.nn.log_softmax(z), axis=-1))

    expected = jax.value_and_grad(jax_loss)(params, x, labels)
    ours = lambda p: our_value_and_grad(loss, p, x, labels)  # noqa: E731
    for value_and_grads in (ours(params), jax.jit(ours)(params)):
        close(value_and_grads[0], expected[0])
        for a, b in zip(value_and_grads[1], expected[1]):
            close(a, b)


def test_jaxpr_of_our_gradient_has_the_same_matrix_products_as_jax():
    x, labels = two_spirals(jax.random.key(0), 8)
    params = init_mlp(jax.random.key(1), (2, 4, 4, 2))
    loss = functools.partial(mlp_loss, activation=relu)
    ours = jax.make_jaxpr(lambda p: our_value_and_grad(loss, p, x, labels))(params)
    names = [eqn.primitive.name for eqn in ours.jaxpr.eqns]
    assert names.count("dot_general") == 3 + 5  # forward 3, backward 5 (the data x needs no adjoint)


# ------------------------------------------------------------------ clear errors


SHAPE_ERRORS = [
    ("matmul", lambda: vjp(matmul, np.ones((3, 4)), np.ones((5, 2))), ["(3, 4)", "(5, 2)"]),
    ("matmul of vectors", lambda: vjp(matmul, np.ones(3), np.ones(3)), ["(3,)"]),
    ("add", lambda: vjp(lambda u, v: u + v, np.ones(3), np.ones(4)), ["(3,)", "(4,)"]),
    ("mul, forward mode", lambda: jvp(lambda u: u * np.ones(4), (np.ones(3),), (np.ones(3),)), ["(3,)", "(4,)"]),
    ("reshape", lambda: vjp(lambda x: reshape(x, (4, 2)), np.ones((2, 3))), ["(2, 3)", "(4, 2)"]),
    ("transpose", lambda: vjp(lambda x: transpose(x, (0, 0)), np.ones((2, 3))), ["(0, 0)", "(2, 3)"]),
    ("reduce_sum axis", lambda: vjp(lambda x: reduce_sum(x, 2), np.ones((2, 3))), ["(2, 3)", "축 2"]),
    ("broadcast_to", lambda: vjp(lambda x: broadcast_to(x, (3, 2)), np.ones(3)), ["(3,)", "(3, 2)"]),
]


@pytest.mark.parametrize("name, call, fragments", SHAPE_ERRORS, ids=[e[0] for e in SHAPE_ERRORS])
def test_shape_errors_name_the_shapes(name, call, fragments):
    with pytest.raises(ValueError) as error:
        call()
    for fragment in fragments:
        assert fragment in str(error.value), (fragment, str(error.value))


NOT_YET = [
    (
        "jacfwd carries stacked directions into an array op",
        lambda: adbook.jacfwd(lambda a, b, c: reduce_sum(a * jnp.arange(3.0)) + b * c, argnums=(0, 1, 2))(
            1.0, 2.0, 3.0
        ),
        ["접선의 모양 (3,)", "값의 모양 ()", "jax.vmap"],
    ),
    (
        "jacrev through an array intermediate",
        lambda: adbook.jacrev(lambda a, b: reduce_sum(a * jnp.arange(3.0)) + b, argnums=(0, 1))(1.0, 2.0),
        ["jacobian_reverse", "배열", "jax.vmap"],
    ),
]


@pytest.mark.parametrize("name, call, fragments", NOT_YET, ids=[e[0] for e in NOT_YET])
def test_stacked_directions_through_array_ops_raise_instead_of_a_wrong_value(name, call, fragments):
    with pytest.raises(NotImplementedError) as error:
        call()
    for fragment in fragments:
        assert fragment in str(error.value), (fragment, str(error.value))


@pytest.mark.parametrize(
    "f, xs",
    [
        (lambda x: reduce_sum(x), (np.ones(3),)),
        (lambda x: reduce_sum(x * x), (np.array([1.0, 2.0, 3.0]),)),
        (lambda a, b: reduce_sum(a * b), (np.array([1.0, 2.0]), np.array([3.0, 4.0]))),
    ],
)
def test_jacobian_forward_refuses_array_inputs(f, xs):
    "Directions stacked on array inputs would mix with the array's elements (K = 2 = its length)."
    with pytest.raises(ValueError, match="입력은 스칼라"):
        adbook.jacobian_forward(f, xs)
    with pytest.raises(NotImplementedError, match="배열"):
        adbook.jacobian_reverse(f, xs)


def test_scalar_relu_and_transpose_work_in_the_stacked_jacobians():
    for jac in (adbook.jacfwd, adbook.jacrev):
        if jac is adbook.jacrev:
            close(jac(lambda x, y: relu(x) * y, (0, 1))(1.5, 2.0), (2.0, 1.5))
        close(jac(lambda x, y: transpose(x) * y, (0, 1))(1.5, 2.0), (2.0, 1.5))


def test_axes_are_checked_and_numpy_integers_accepted():
    x = np.arange(6.0).reshape(2, 3)
    close(reduce_sum(x, np.int64(1)), x.sum(axis=1))
    with pytest.raises(ValueError, match=r"두 번.*\(2, 3\)"):
        reduce_sum(x, (0, -2))
    with pytest.raises(ValueError, match="0 이상"):
        reshape(x, (-1,))


def test_array_ops_on_symbolic_expressions_raise_clearly():
    with pytest.raises(TypeError, match="Expr에는 배열 연산이 없습니다"):
        matmul(adbook.var("a"), np.ones((1, 1)))


def test_a_registered_rule_of_the_wrong_shape_is_caught():
    "A VJP rule that forgets to sum back gets vjp's clear error, not a silently wrong adjoint."
    bad = register(
        "bad_tile",
        lambda x: jnp.tile(x, 2),
        (lambda dx, z, x: jnp.tile(dx, 2),),
        (lambda ct, z, x: ct,),  # should be ct[:n] + ct[n:]
    )
    try:
        with pytest.raises(NotImplementedError, match=r"수반 모양 \(4,\)이 입력의 모양 \(2,\)"):
            vjp(bad, np.ones(2))[1](np.ones(4))
    finally:
        for table in (OPS, JVP_RULES):
            table.maps[0].pop("bad_tile")
        VJP_RULES.pop("bad_tile")


def test_chapter_2_names_cannot_be_registered_again():
    with pytest.raises(ValueError, match="2장의 원시 연산"):
        register("sin", jnp.sin, (lambda dx, z, x: dx,))
