"""「JAX로 배우는 자동 미분」의 공용 모듈.

각 장에서 `#@save`로 표시한 셀이 책의 차례대로 `adbook/book.py`에 모입니다
(`make sync`가 만들고, 테스트가 노트북과 어긋나지 않는지 확인합니다). 뒤의 장은
앞 장에서 만든 코드를 다시 쓰지 않고 여기서 불러옵니다.
"""

from adbook._env import setup_notebook
from adbook.book import *  # noqa: F401,F403  (장에서 내보낸 코드)
