"""How the notes' Markdown rendering grows with pathological inputs.

Each input is a pattern known to make Markdown parsers quadratic or worse (nested brackets,
unclosed links, long link chains, emphasis and code-span runs, deep quotes and lists, long
tables), repeated to 2,000, 8,000, 32,000 and 128,000 characters (a note holds at most 20,000).
For each size: the best CPU time (the process's own, so waiting for a core on a busy machine
does not count) of `--repeat` runs of `render_markdown` (cmark-gfm, the nesting check, then nh3:
what saving a note costs), and that time divided by the size's multiple of the first one: a
linear renderer keeps that last column flat (≈1.0), a quadratic one multiplies it by 4 at
every step. Inputs nesting deeper than the limit are refused before nh3 (marked so).

Run: `make bench` or `.venv/bin/python bench/bench_markdown.py [--repeat N] [--old]`.
`--old` also times Python-Markdown (the previous renderer; `pip install .[bench]`) on 1,000, 2,000
and 4,000 characters only: it takes seconds at 4,000 and does not finish at 20,000.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from boards.markdown import TooDeep, render_markdown

SIZES = (2_000, 8_000, 32_000, 128_000)
OLD_SIZES = (1_000, 2_000, 4_000)
PATTERNS = {
    "nested brackets": "[",
    "nested images": "![",
    "unclosed links": "[a](",
    "link chain": "[a](b)",
    "reference links": "[a][b]",
    "emphasis run": "*a_",
    "strong openers": "**",
    "mixed emphasis": "*_",
    "code-span run": "`a``",
    "angle brackets": "<",
    "entities": "&#",
    "deep quote": ">",
    "deep list": "+ ",
    "raw divs": "<div>",
    "misnested tags": "<b><div></b>",
    "table rows": "|a|b|\n",
}


def text_of(pattern: str, size: int) -> str:
    if pattern == "|a|b|\n":
        return ("|a|b|\n|-|-|\n" + pattern * size)[:size]
    if pattern == "[a][b]":
        return (pattern * size)[: size - 10] + "\n\n[b]: /x"
    return (pattern * size)[:size]


def render(text: str) -> bool:
    """What saving a note costs: the rendering, or finding that it nests too deep."""
    try:
        render_markdown(text)
    except TooDeep:
        return False
    return True


def best_ms(function, text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        function(text)
        times.append(time.process_time() - start)
    return min(times) * 1000


def old_renderer():
    try:
        import markdown
    except ImportError:
        return None
    return lambda text: markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--old", action="store_true", help="also time Python-Markdown")
    args = parser.parse_args()
    header = f"{'input':<16}" + "".join(f"{n:>10,} ch" for n in SIZES) + "   growth vs linear"
    print(f"render_markdown (cmark-gfm + nh3), best of {args.repeat} runs, ms")
    print(header)
    for name, pattern in PATTERNS.items():
        texts = [text_of(pattern, n) for n in SIZES]
        times = [best_ms(render, text, args.repeat) for text in texts]
        growth = [t / times[0] / (n / SIZES[0]) for t, n in zip(times, SIZES, strict=True)]
        refused = "" if all(render(text) for text in texts) else "   (refused: too deep)"
        print(
            f"{name:<16}"
            + "".join(f"{t:>13.2f}" for t in times)
            + "   "
            + " ".join(f"{g:.2f}" for g in growth)
            + refused
        )
    old = old_renderer() if args.old else None
    if args.old and old is None:
        print("\nPython-Markdown is not installed: nothing to compare.")
    elif old is not None:
        print("\nPython-Markdown (the previous renderer), CPU ms, one run each")
        print(f"{'input':<16}" + "".join(f"{n:>10,} ch" for n in OLD_SIZES))
        for name in ("nested brackets", "unclosed links", "link chain"):
            pattern = PATTERNS[name]
            times = [best_ms(old, text_of(pattern, n), 1) for n in OLD_SIZES]
            print(f"{name:<16}" + "".join(f"{t:>13.1f}" for t in times))


if __name__ == "__main__":
    main()
