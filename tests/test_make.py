"""`make help`, the default target, lists every target of the Makefile with one line each."""

from __future__ import annotations

import re
import subprocess

from conftest import ROOT


def test_make_help_lists_every_target_once():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE).group(1).split()
    default = subprocess.run(["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, check=True)
    lines = default.stdout.splitlines()
    listed = [line.split()[1] for line in lines if line.strip().startswith("make ")]
    assert sorted(listed) == sorted(phony), default.stdout
    assert len(lines) == len(phony)
    assert all(len(line.split(None, 2)) == 3 for line in lines), "a target without its description"
