# 「JAX로 배우는 자동 미분」: 자주 쓰는 명령. `make help`(또는 그냥 `make`)가 아래 목록을 보여 줍니다.
# 대상마다 붙인 `## 설명`이 그 목록입니다.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOOK_STAMP := $(VENV)/.book-installed
TEST_STAMP := $(VENV)/.test-installed
NODE_STAMP := node_modules/.installed
# --dist worksteal: 일을 먼저 끝낸 작업자가 남은 테스트를 가져간다. 긴 노트북 실행이 한 작업자에 몰려 끝이
# 늘어지지 않아, 1단계가 210초에서 169초로, 2단계가 87~96초에서 81초로 줄었다 (깨끗한 클론, 2코어).
PYTEST_WORKERS ?= 2

.PHONY: help book test lint bench lab sync strip lock clean

help:  ## 이 목록을 보여 줍니다
	@grep -E '^[a-z]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed -E 's/^([a-z]+):.*## (.*)$$/  make \1\t\2/' | expand -t 14

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 이상이 필요합니다: " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(BOOK_STAMP): $(BIN)/python requirements.txt constraints.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(TEST_STAMP): $(BOOK_STAMP) requirements-test.txt
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

# 브라우저 테스트가 MathJax를 CDN 대신 여기서 읽습니다 (이 기계들에서는 CDN에 닿지 않습니다).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

book: $(BOOK_STAMP)  ## .venv를 만들고(없으면) 패키지를 설치한 뒤, 코드가 바뀐 노트북만 나란히 실행해 _build/html에 책을 만듭니다
	$(BIN)/python tools/build.py

test: $(TEST_STAMP) $(NODE_STAMP)  ## 모든 검사: 린트, 노트북 실행(한 번씩, 나란히), 빌드, 브라우저, 나머지 테스트
	$(MAKE) --no-print-directory lint
	@# 1단계: 노트북마다 한 번 실행해 캐시에 담고, 빌드와 상관없는 테스트를 함께 돌린다
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not build"
	@# 2단계: 캐시의 출력으로 책을 빌드하고(노트북을 다시 실행하지 않는다) 브라우저로 검사한다
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m build

lint: $(TEST_STAMP)  ## ruff로 파이썬 파일과 노트북을 검사합니다 (설정: pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check tools tests adbook/_env.py book

bench: $(BOOK_STAMP)  ## 6장(jacfwd 대 jacrev), 7장(MLP 기울기, 우리 대 JAX), 8장(HVP 네 가지)의 시간과 비를 장치, 버전과 함께 표로 출력합니다
	$(BIN)/python tools/bench.py

# --allow-root: 컨테이너처럼 root로 실행할 때도 열리게 합니다 (root가 아니면 아무 일도 하지 않습니다).
# LAB_DIR과 LAB_ARGS는 테스트(tests/test_readers.py)가 임시 폴더와 포트를 주려고 씁니다.
LAB_DIR ?= book
LAB_ARGS ?=
lab: $(BOOK_STAMP)  ## JupyterLab에서 노트북을 엽니다 (MyST를 그리는 jupyterlab-myst 포함)
	$(BIN)/jupyter lab --allow-root $(LAB_ARGS) $(LAB_DIR)

sync: $(BOOK_STAMP)  ## 장마다 #@save 셀을 adbook/의 모듈 하나로 모으고, 노트북 첫 셀(저장소 주소)을 맞춥니다
	$(BIN)/python tools/nbtool.py sync

strip: $(BOOK_STAMP)  ## 노트북의 출력과 실행 번호를 지웁니다 (커밋하기 전에)
	$(BIN)/python tools/nbtool.py strip

lock:  ## constraints.txt(모든 의존성의 정확한 버전)를 새로 만듭니다
	rm -rf .lockvenv
	$(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet --upgrade pip
	sed '/^-c /d' requirements.txt > .lockvenv/requirements.txt
	sed '/^-r /d' requirements-test.txt >> .lockvenv/requirements.txt
	.lockvenv/bin/pip install --quiet -r .lockvenv/requirements.txt
	.lockvenv/bin/pip check
	{ echo "# make lock이 만든 파일입니다. 손으로 고치지 마세요: requirements*.txt를 고친 뒤 make lock."; \
	  .lockvenv/bin/pip freeze --exclude-editable | grep -iv '^adbook'; } > constraints.txt
	rm -rf .lockvenv

clean:  ## _build(빌드 결과와 노트북 출력 캐시)를 지웁니다
	rm -rf _build .pytest_cache
