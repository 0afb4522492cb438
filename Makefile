# 「JAX로 배우는 자동 미분」: 자주 쓰는 명령
#   make book   .venv를 만들고(없으면) 패키지를 설치한 뒤, 모든 노트북을 실행해 _build/html에 책을 만듭니다
#   make test   같은 준비를 한 뒤 모든 테스트를 실행합니다 (노트북 실행, 빌드, 브라우저 검사)
#   make lab    JupyterLab에서 노트북을 엽니다
#   make bench  6장 시간 재기 실험의 시간과 비를 장치, 버전과 함께 표로 출력합니다 (JAX 즉시 실행, JAX jit, 이 책의 엔진)
#   make sync   장마다 #@save 셀을 adbook/의 모듈 하나로 모으고, 노트북 첫 셀(저장소 주소)을 맞춥니다
#   make strip  노트북의 출력과 실행 번호를 지웁니다 (커밋하기 전에)
#   make lock   constraints.txt(모든 의존성의 정확한 버전)를 새로 만듭니다

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOOK_STAMP := $(VENV)/.book-installed
TEST_STAMP := $(VENV)/.test-installed
NODE_STAMP := node_modules/.installed
PYTEST_WORKERS ?= 2

.PHONY: help book test bench lab sync strip lock clean

help:
	@sed -n '2,9p' Makefile | sed 's/^# //'

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

book: $(BOOK_STAMP)
	$(BIN)/python tools/build.py

test: $(TEST_STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

bench: $(BOOK_STAMP)
	$(BIN)/python tools/bench.py

lab: $(BOOK_STAMP)
	$(BIN)/jupyter lab book/

sync: $(BOOK_STAMP)
	$(BIN)/python tools/nbtool.py sync

strip: $(BOOK_STAMP)
	$(BIN)/python tools/nbtool.py strip

lock:
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

clean:
	rm -rf _build .pytest_cache
