"""`make bench`: 6장 시간 재기 실험(jacfwd 대 jacrev)의 시간과 비를 한 표로 (JAX 즉시 실행, JAX jit, 이 책의 엔진).

    python tools/bench.py                 # 6장의 크기 n = 10000, 우리 엔진은 n = 100
    python tools/bench.py --n 1000 --ours-n 50 --repeat 3

시간은 장치와 크기에 따라 크게 달라지므로 장치, 버전과 함께 출력한다. 테스트는 시간을 단언하지 않는다.
함수와 재는 방법은 모두 6장(adbook)의 것을 쓴다: timing_jacobians, our_timing_jacobians, first_call, time_call.
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
    parser.add_argument("--repeat", type=int, default=3, help="재는 횟수 (가장 짧은 값을 쓴다), 기본 3")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
