"""노트북 실행 환경 준비: 그림 설정과 한글 글꼴 (책의 내용이 아니라 책을 돌리는 설비입니다)."""

from __future__ import annotations

import glob
import subprocess
import sys
import warnings
from pathlib import Path

BOOK_MATPLOTLIBRC = Path(__file__).with_name("matplotlibrc")
HANGUL_FONT = "NanumGothic"
_NANUM_GLOBS = ("/usr/share/fonts/truetype/nanum/*.ttf", "/usr/share/fonts/**/Nanum*.ttf")


def _has_font(name: str) -> bool:
    from matplotlib import font_manager

    return any(f.name == name for f in font_manager.fontManager.ttflist)


def _register_installed_nanum() -> None:
    """matplotlib의 글꼴 캐시가 글꼴 설치 전에 만들어졌다면, 설치된 파일을 직접 등록합니다."""
    from matplotlib import font_manager

    for pattern in _NANUM_GLOBS:
        for path in glob.glob(pattern, recursive=True):
            font_manager.fontManager.addfont(path)


def _install_nanum_on_colab() -> None:
    cmd = ["apt-get", "-qq", "install", "-y", "fonts-nanum"]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "-qq", "update"], capture_output=True)
        subprocess.run(cmd, capture_output=True)


def setup_notebook() -> None:
    """책의 그림 설정(한글 글꼴 포함)을 적용합니다. 모든 장의 첫 셀이 부릅니다.

    Colab에서는 한글 글꼴(fonts-nanum)이 없으면 설치합니다. 다른 곳에서 글꼴이 없으면
    무엇을 설치해야 하는지 경고합니다(그대로 두면 그림의 한글이 네모 상자로 보입니다).
    """
    import matplotlib as mpl

    if not _has_font(HANGUL_FONT):
        if "google.colab" in sys.modules:
            _install_nanum_on_colab()
        _register_installed_nanum()
    if not _has_font(HANGUL_FONT):
        warnings.warn(
            f"{HANGUL_FONT} 글꼴을 찾지 못해 그림의 한글이 네모 상자로 보일 수 있습니다. "
            "Debian/Ubuntu에서는 `sudo apt-get install fonts-nanum`으로 설치하세요.",
            stacklevel=2,
        )
    mpl.rc_file(BOOK_MATPLOTLIBRC, use_default_template=False)
