"""`make bench`: 이 책의 시간 재기 실험을 표로.

1. 6장: jacfwd 대 jacrev의 시간과 비 (JAX 즉시 실행, JAX jit, 이 책의 엔진).
2. 7장: MLP 학습 한 단계의 값과 기울기, 우리 후진 모드 대 jax.value_and_grad (jit과 즉시 실행, float64).
3. 8장: 헤세 행렬-벡터 곱 네 가지(전진-후진, 후진-전진, 후진-후진, 헤세 행렬 전체)의 jit 시간, 로젠브록 함수.

    python tools/bench.py                 # 6장의 크기 n = 10000, 우리 엔진은 n = 100
    python tools/bench.py --n 1000 --ours-n 50 --repeat 3 --batches 256,4096

시간은 장치와 크기에 따라 크게 달라지므로 장치, 버전과 함께 출력한다. 테스트는 시간을 단언하지 않는다.
함수와 재는 방법은 모두 6장과 7장(adbook)의 것을 쓴다: timing_jacobians, our_timing_jacobians, first_call, time_call,
two_spirals, init_mlp, mlp_loss, jax_mlp_loss, our_value_and_grad, time_interleaved(번갈아 잰 중앙값).
"""

from __future__ import annotations

import argparse
import platform
import sys
import unicodedata
from importlib.metadata import version


def pad(text: str, width: int, right: bool = False) -> str:
    "터미널에서 한글(두 칸 폭)까지 맞춰 width 칸으로 채운다."
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    fill = " " * max(width - shown, 0)
    return fill + text if right else text + fill


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="실험의 크기 (JAX), 기본 10000")
    parser.add_argument("--ours-n", type=int, default=100, help="우리 엔진으로 할 크기, 기본 100")
    parser.add_argument(
        "--repeat", type=int, default=3, help="재는 횟수 (6장: 가장 짧은 값, 7장: 그 몇 배의 중앙값), 기본 3"
    )
    parser.add_argument("--batches", default="256,4096,16384", help="7장 MLP의 배치 크기들, 기본 256,4096,16384")
    parser.add_argument("--widths", default="32,256", help="7장 MLP의 은닉층 너비들 (은닉층 둘), 기본 32,256")
    parser.add_argument("--hvp-sizes", default="10,100,1000,4000", help="8장 HVP의 입력 수 K들, 기본 10,100,1000,4000")
    args = parser.parse_args(argv)

    import jax  # 인자 오류는 JAX를 불러오기 전에 알린다

    from adbook import count_ops, device_label, first_call, our_timing_jacobians, time_call, timing_jacobians

    print(f"장치: {device_label()}  ({', '.join(str(d) for d in jax.devices())})")
    print(
        f"버전: python {platform.python_version()}, jax {version('jax')}, jaxlib {version('jaxlib')}, "
        f"numpy {version('numpy')}"
    )
    print(
        f"크기: JAX n = {args.n} (float32), 우리 엔진 n = {args.ours_n} (파이썬 float); "
        f"가장 짧은 값, {args.repeat}번 중\n"
    )

    columns = {}
    for label, jit in (("JAX eager", False), ("JAX jit", True)):
        seconds, first = {}, {}
        for name, (h, a) in timing_jacobians(args.n, jit=jit).items():
            first[name], _ = first_call(h, a)
            seconds[name] = time_call(h, a, repeat=args.repeat, min_time=0.02)
        columns[label] = (seconds, first)
    seconds, ops = {}, {}
    for name, (h, xs) in our_timing_jacobians(args.ours_n).items():
        ops[name] = count_ops(h, *xs).total()
        seconds[name] = time_call(h, *xs, repeat=args.repeat, min_time=0.02)
    columns["우리 엔진"] = (seconds, None)

    names = ("jacfwd(f)", "jacrev(f)", "jacfwd(g)", "jacrev(g)")
    header = pad("", 30) + "".join(pad(label, 16, right=True) for label in columns)
    print(header)
    print("-" * len(header))
    for name in names:
        print(pad(name + " (ms)", 30) + "".join(f"{s[name] * 1e3:>16.4g}" for s, _ in columns.values()))
    for title, slow, fast in (
        ("f: jacrev / jacfwd", "jacrev(f)", "jacfwd(f)"),
        ("g: jacfwd / jacrev", "jacfwd(g)", "jacrev(g)"),
    ):
        print(pad(title + " (시간의 비)", 30) + "".join(f"{s[slow] / s[fast]:>16.3g}" for s, _ in columns.values()))
    print(pad("f: jacrev / jacfwd (연산 수)", 30) + " " * 32 + f"{ops['jacrev(f)'] / ops['jacfwd(f)']:>16.3g}")
    print(pad("g: jacfwd / jacrev (연산 수)", 30) + " " * 32 + f"{ops['jacfwd(g)'] / ops['jacrev(g)']:>16.3g}")
    print()
    for label in ("JAX eager", "JAX jit"):
        first = columns[label][1]
        print(f"첫 호출 (추적, 컴파일 포함), {label}: " + ", ".join(f"{name} {first[name]:.2f} s" for name in names))
    print()
    mlp_comparison([int(b) for b in args.batches.split(",")], [int(w) for w in args.widths.split(",")], args.repeat)
    print()
    hvp_comparison([int(k) for k in args.hvp_sizes.split(",")], args.repeat)
    return 0


def hvp_comparison(sizes: list[int], repeat: int) -> None:
    """8장: HVP 네 가지(adbook의 HVP_METHODS)를 jit으로, 로젠브록 함수(입력 K개)에서. 번갈아 잰 중앙값
    (5·repeat번). 비는 전진-후진에 대한 비."""
    import functools

    import jax

    jax.config.update("jax_enable_x64", True)
    from adbook import HVP_METHODS, rosenbrock_array, time_interleaved

    print("8장 HVP 한 번 (float64, jit), 번갈아 잰 중앙값 (μs); 괄호 안은 전진-후진에 대한 비")
    header = pad("K", 8) + "".join(pad(name, 24, right=True) for name in HVP_METHODS)
    print(header)
    print("-" * len(header))
    x_key, v_key = jax.random.split(jax.random.key(0))
    for K in sizes:
        x = 1.0 + 0.3 * jax.random.normal(x_key, (K,))
        v = jax.random.normal(v_key, (K,))
        jitted = {name: jax.jit(functools.partial(m, rosenbrock_array)) for name, m in HVP_METHODS.items()}
        times = time_interleaved(jitted, x, v, repeat=5 * repeat, min_time=0.005)
        base = times["전진-후진"]
        cells = "".join(pad(f"{t * 1e6:.3g} ({t / base:.2g})", 24, right=True) for t in times.values())
        print(pad(str(K), 8) + cells)


def mlp_comparison(batches: list[int], widths: list[int], repeat: int) -> None:
    """7장: MLP(2 → 너비 → 너비 → 2, ReLU)의 값과 기울기 한 번, 우리 대 JAX. 번갈아 잰 중앙값
    (jit은 5·repeat번, 즉시 실행은 2·repeat + 1번)."""
    import functools

    import jax

    jax.config.update("jax_enable_x64", True)
    from adbook import init_mlp, jax_mlp_loss, mlp_loss, our_value_and_grad, relu, time_interleaved, two_spirals

    loss = functools.partial(mlp_loss, activation=relu)

    def ours(params, x, labels):
        return our_value_and_grad(loss, params, x, labels)

    theirs = jax.value_and_grad(jax_mlp_loss)
    print("7장 MLP: 값과 기울기 한 번 (float64), 번갈아 잰 중앙값 (ms); 비는 우리 / JAX")
    header = (
        pad("너비", 6)
        + pad("배치", 8, right=True)
        + "".join(
            pad(label, 13, right=True)
            for label in ("우리 jit", "JAX jit", "jit 비", "우리 즉시", "JAX 즉시", "즉시 비")
        )
    )
    print(header)
    print("-" * len(header))
    for width in widths:
        params = init_mlp(jax.random.key(1), (2, width, width, 2))
        for batch in batches:
            x, labels = two_spirals(jax.random.key(batch), batch // 2)
            jitted = time_interleaved(
                {"ours": jax.jit(ours), "jax": jax.jit(theirs)}, params, x, labels, repeat=5 * repeat
            )
            eager = time_interleaved({"ours": ours, "jax": theirs}, params, x, labels, repeat=2 * repeat + 1)
            cells = (
                jitted["ours"] * 1e3,
                jitted["jax"] * 1e3,
                jitted["ours"] / jitted["jax"],
                eager["ours"] * 1e3,
                eager["jax"] * 1e3,
                eager["ours"] / eager["jax"],
            )
            print(pad(str(width), 6) + f"{batch:>8}" + "".join(f"{c:>13.3g}" for c in cells))


if __name__ == "__main__":
    sys.exit(main())
