"""노트북 실행 환경 준비: 그림 설정과 한글 글꼴 (책의 내용이 아니라 책을 돌리는 설비입니다)."""

from __future__ import annotations

import glob
import importlib.util
import warnings
from pathlib import Path

BOOK_MATPLOTLIBRC = Path(__file__).with_name("matplotlibrc")
HANGUL_FONT = "NanumGothic"
# PyPI의 koreanize-matplotlib 패키지는 나눔고딕 글꼴 파일을 함께 배포합니다. 이 책은 그 모듈을
# import하지 않고(파이썬 3.12에서 깨지는 distutils를 씁니다) 글꼴 파일만 씁니다. 그래서 apt로
# 글꼴을 설치할 수 없는 곳(Colab, 관리자 권한이 없는 기계)에서도 pip만으로 한글이 나옵니다.
FONT_PACKAGE = "koreanize_matplotlib"


def _has_font(name: str) -> bool:
    from matplotlib import font_manager

    return any(f.name == name for f in font_manager.fontManager.ttflist)


def _font_files() -> list[str]:
    """시스템에 설치된 나눔고딕(fonts-nanum), 없으면 pip 패키지에 든 나눔고딕 파일들."""
    files = sorted(glob.glob("/usr/share/fonts/truetype/nanum/NanumGothic*.ttf"))
    spec = importlib.util.find_spec(FONT_PACKAGE)  # 찾기만 하고 import하지 않습니다
    if not files and spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            files += sorted(glob.glob(str(Path(folder) / "fonts" / "NanumGothic*.ttf")))
    return files


def setup_notebook() -> None:
    """책의 그림 설정(한글 글꼴 포함)을 적용합니다. 모든 장의 첫 셀이 부릅니다.

    matplotlib이 나눔고딕을 모르면(글꼴 캐시가 글꼴 설치 전에 만들어진 경우 포함) 글꼴 파일을
    직접 등록합니다. 그래도 없으면 무엇을 설치해야 하는지 경고합니다(그대로 두면 그림의 한글이
    네모 상자로 보입니다).
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    if not _has_font(HANGUL_FONT):
        for path in _font_files():
            font_manager.fontManager.addfont(path)
    if not _has_font(HANGUL_FONT):
        warnings.warn(
            f"{HANGUL_FONT} 글꼴을 찾지 못해 그림의 한글이 네모 상자로 보일 수 있습니다. "
            "`pip install koreanize-matplotlib`(글꼴 파일만 씁니다) 또는 "
            "Debian/Ubuntu에서 `sudo apt-get install fonts-nanum`으로 설치하세요.",
            stacklevel=2,
        )
    mpl.rc_file(BOOK_MATPLOTLIBRC, use_default_template=False)
