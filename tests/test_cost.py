"""Chapter 6: the cost of the two modes, counted (deterministic), and the `make bench` script.

The cheap-gradient bound is asserted in the cost model it comes from: Baur & Strassen (1983) prove
L(f, ∇f) <= 3 L(f) when only nonscalar multiplications and divisions are counted (additions and
multiplication by constants are free); the book also counts elementary functions (sin, exp, ...) as
nonscalar. Counting every operation, Baydin et al. (2018) give c < 6. No test here asserts a time.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from adbook import (
    COST_MODELS,
    PRIMITIVES,
    carry_cost,
    cost,
    count_ops,
    fan,
    fan_point,
    grad,
    gradient_cost_ratio,
    jacfwd,
    jacobian_costs,
    jacobian_forward,
    jacobian_reverse,
    jacrev,
    logistic_map,
    mean_of_squares,
    q,
    rational,
    rosenbrock,
    running_example,
    trace_function,
)

jax.config.update("jax_enable_x64", True)
ROOT = Path(__file__).resolve().parent.parent


def point(seed, k):
    return tuple(float(v) for v in np.random.default_rng(seed).uniform(0.2, 1.2, k))


# (name, function, point): chapter 6's g = mean(y²) first, then larger functions without division by a variable
CHEAP = [
    ("g = mean(y^2), K=100", mean_of_squares, point(1, 100)),
    ("g = mean(y^2), K=1000", mean_of_squares, point(2, 1000)),
    ("q, K=64", q, point(3, 64)),
    ("rosenbrock, K=256", rosenbrock, point(4, 256)),
    ("logistic map n=50", lambda x: logistic_map(x, n=50), (0.3,)),
    ("running example", running_example, (1.5, 0.5)),
]


@pytest.mark.parametrize("name, f, x", CHEAP, ids=[c[0] for c in CHEAP])
def test_cheap_gradient_at_most_3_nonscalar(name, f, x):
    argnums = tuple(range(len(x)))
    np.testing.assert_allclose(grad(f, argnums)(*x), jax.grad(f, argnums)(*x), rtol=1e-10)
    ratio = gradient_cost_ratio(f, *x, model="nonscalar")
    assert ratio <= 3, f"{name}: nonscalar gradient/f = {ratio}"


@pytest.mark.parametrize("name, f, x", CHEAP + [("rational, K=64", rational, point(5, 64))])
def test_cheap_gradient_below_6_counting_everything(name, f, x):
    ratio = gradient_cost_ratio(f, *x, model="all")
    assert 1 < ratio < 6, f"{name}: gradient/f = {ratio}"


def test_ratio_does_not_grow_with_inputs():
    ratios = {k: gradient_cost_ratio(mean_of_squares, *point(k, k), model="nonscalar") for k in (10, 100, 1000)}
    assert set(ratios.values()) == {3.0}, ratios


def test_division_by_a_variable_is_the_documented_exception():
    x = point(6, 64)
    assert gradient_cost_ratio(rational, *x, model="nonscalar") == 3.5
    assert gradient_cost_ratio(lambda a, b: a / b, 0.7, 1.3, model="nonscalar") == 4.0
    assert gradient_cost_ratio(lambda a: 3.0 / a, 0.7, model="nonscalar") == 3.0


def test_the_cotangent_is_counted_as_a_variable():
    "grad's seed 1.0 would make y·1 a multiplication by a constant; the cost ratio counts the VJP."
    assert gradient_cost_ratio(lambda a, b: a * b, 0.7, 1.3, model="nonscalar") == 3.0
    with_constant_seed = cost(count_ops(grad(lambda a, b: a * b, (0, 1)), 0.7, 1.3), "nonscalar")
    assert with_constant_seed == 1  # only the forward product: multiplications by the constant 1 are free


@pytest.mark.parametrize("op", ["mul", "sin", "cos", "exp", "log", "tanh", "sqrt"])
def test_per_primitive_nonscalar_ratio_at_most_3(op):
    args = (0.7, 1.3) if op == "mul" else (0.7,)
    assert gradient_cost_ratio(PRIMITIVES[op], *args, model="nonscalar") <= 3


def test_linear_operations_and_constant_multiples_are_free():
    counts = count_ops(lambda x, y: 2.0 * (x + y) - x / 4.0, 0.3, 0.4)
    assert cost(counts, "all") == 4 and cost(counts, "nonscalar") == 0
    assert counts.total() == sum(n * size for (_, _, size), n in counts.records.items())


def test_unknown_cost_model_is_rejected():
    with pytest.raises(ValueError, match="flops"):
        cost(count_ops(q, 0.5), "flops")
    assert COST_MODELS == ("all", "nonscalar")
    with pytest.raises(ValueError, match="sideways"):
        carry_cost(q, (0.5,), 2, "sideways")


@pytest.mark.parametrize("K", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("D", [1, 2, 3, 5, 8])
def test_jacobian_costs_of_the_two_modes(K, D):
    """Carrying m directions costs S + m·T in both modes; the Jacobians are S + K·T_fwd and S + D·T_rev;
    the modes share S and differ by exactly K - D per direction, so the smaller side wins and K = D ties."""
    c = jacobian_costs(K, D)
    (S_fwd, T_fwd), (S_rev, T_rev) = c["forward"], c["reverse"]
    f, xs = functools.partial(fan, outputs=D), fan_point(K)
    for m in (1, 4, 7):
        assert carry_cost(f, xs, m, "forward") == S_fwd + m * T_fwd
        assert carry_cost(f, xs, m, "reverse") == S_rev + m * T_rev
    assert c["jacfwd"] == S_fwd + K * T_fwd and c["jacrev"] == S_rev + D * T_rev
    assert S_fwd == S_rev and T_fwd - T_rev == K - D
    assert np.sign(c["jacfwd"] - c["jacrev"]) == np.sign(K - D)


def test_jacobian_costs_do_not_depend_on_the_point():
    f = functools.partial(fan, outputs=3)
    eye4, eye3 = np.eye(4), np.eye(3)
    reference = (count_ops(jacobian_forward, f, fan_point(4), eye4), count_ops(jacobian_reverse, f, fan_point(4), eye3))
    for seed in range(20):
        xs = point(100 + seed, 4) if seed > 2 else ((0.0,) * 4, (1.0,) * 4, (-1.0,) * 4)[seed]
        counts = (count_ops(jacobian_forward, f, xs, eye4), count_ops(jacobian_reverse, f, xs, eye3))
        assert counts == reference, xs


def test_fan_jacobians_match_jax():
    f = functools.partial(fan, outputs=3)
    xs, argnums = fan_point(4), (0, 1, 2, 3)
    np.testing.assert_allclose(np.array(jacfwd(f, argnums)(*xs)), np.array(jax.jacfwd(f, argnums)(*xs)), rtol=1e-12)
    np.testing.assert_allclose(np.array(jacrev(f, argnums)(*xs)), np.array(jax.jacrev(f, argnums)(*xs)), rtol=1e-12)


def test_tape_grows_linearly_and_jax_residuals_are_proportional():
    steps = [1, 2, 4, 8, 16]
    lines = [len(trace_function(lambda x, m=m: logistic_map(x, n=m + 1), 0.3).equations) for m in steps]
    assert lines == [1 + 3 * m for m in steps]  # the input line + 3 operations per step
    x = jnp.linspace(0.1, 0.9, 100)
    sizes = []
    for m in steps:
        _, vjp_fn = jax.vjp(lambda v, m=m: jnp.sum(logistic_map(v, n=m + 1)), x)
        sizes.append(sum(leaf.nbytes for leaf in jax.tree_util.tree_leaves(vjp_fn)))
    assert all(s == sizes[0] * m for m, s in zip(steps, sizes)), sizes


def test_bench_prints_a_table_with_device_and_versions():
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "bench.py"),
            *("--n", "50", "--ours-n", "5", "--repeat", "1", "--batches", "64", "--widths", "8"),
            *("--hvp-sizes", "10"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    for needle in (
        "장치:",
        "jax 0.",
        "JAX eager",
        "JAX jit",
        "우리 엔진",
        "jacrev(f) (ms)",
        "g: jacfwd / jacrev (연산 수)",
        "7장 MLP",
        "jit 비",
        "즉시 비",
        "8장 HVP",
        "헤세 행렬 전체",
    ):
        assert needle in result.stdout, (needle, result.stdout)


def test_bench_rejects_bad_arguments():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bench.py"), "--n", "many"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "invalid int value" in result.stderr
