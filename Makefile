# The payment-support assistant. Every target sets up what it needs (.venv from the pinned
# lock file, a model trained from the current data) and is safe to run twice.
# `make help` lists the targets from the `##` comments below.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
WEBCHAT := $(shell python3 -c 'import json; print(json.load(open("web/webchat.json"))["bundle"])')
OUT := out

export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONWARNINGS := ignore
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help setup train shell serve serve-cluster reset-db review insights demo-traffic test lint validate test-unit test-stories bench reliability eval tune-fallback clean

help: ## this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements.txt scripts/make_venv.sh
	scripts/make_venv.sh

# The widget bundle, from the npm registry, checked against the sha512 in web/webchat.json.
$(WEBCHAT): scripts/fetch_webchat.sh web/webchat.json
	scripts/fetch_webchat.sh

setup: $(VENV)/.installed $(WEBCHAT) ## the virtual environment and the widget bundle

train: $(VENV)/.installed ## train the model if the training data, domain or config changed
	$(PYTHON) -m launcher train

shell: train ## chat with the assistant in this terminal
	$(PYTHON) -m launcher shell

serve: train $(WEBCHAT) ## the mall page with the chat widget on http://localhost:8080, agents on /agent
	$(PYTHON) -m launcher serve

INSTANCES ?= 2
serve-cluster: train $(WEBCHAT) ## PostgreSQL, Redis, INSTANCES=2 Rasa instances and nginx on http://localhost:8080
	$(PYTHON) -m launcher serve-cluster $(INSTANCES)

reset-db: $(VENV)/.installed ## put the demo orders back to their starting state
	$(PYTHON) -m mall.demo reset

review: $(VENV)/.installed ## messages the assistant missed and nobody labelled, by nearest intent (supervisors label them at /agent/review)
	$(PYTHON) -m mall.review

insights: $(VENV)/.installed ## the figures (sessions, containment, resolution, the change funnel, CSAT) with their definitions
	$(PYTHON) -m mall.insights

demo-traffic: train ## play about 200 realistic sessions over the past 14 days, for living figures
	$(PYTHON) -m scripts.demo_traffic

test: lint validate test-unit test-stories ## everything a change must pass (CI runs this)

lint: $(VENV)/.installed ## ruff (lint and format) and mypy on the product packages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

validate: $(VENV)/.installed ## rasa data validate, with no warning let through
	$(PYTHON) scripts/validate_data.py

test-unit: train $(WEBCHAT) ## pytest: units, conversations, browser, faults
	scripts/run_pytest.sh tests

# Conversation test stories (NLU + dialogue, every prediction must be right) and the
# held-out NLU set, which must stay above the accuracy floor in check_nlu_results.py.
test-stories: train ## rasa test stories and the held-out NLU set
	rm -rf $(OUT)/stories
	$(RASA) test --stories tests/stories --nlu tests/nlu/holdout.yml --fail-on-prediction-errors \
		--out $(OUT)/stories
	$(PYTHON) scripts/check_nlu_results.py $(OUT)/stories

tune-fallback: $(VENV)/.installed ## re-choose the fallback threshold on held-out data: docs/FALLBACK.md
	$(PYTHON) scripts/tune_fallback.py

# ONLY=insights: only issue 22's measurements (recording, the figures over a million sessions).
bench: $(VENV)/.installed ## performance against Rasa's stock bot: docs/BENCHMARK.md
	$(PYTHON) -m bench $(if $(ONLY),--only $(ONLY))

reliability: train ## hostile load and outages, measured: the figures in docs/RELIABILITY.md
	$(PYTHON) -m bench.hostile

# The candidate pipelines (scripts/nlu_candidates/) trained and measured on the held-out sets,
# then cross-validation of config.yml's pipeline on the training data. About 40 minutes (DIET alone trains for 25).
EVAL_FOLDS := 5
eval: $(VENV)/.installed ## NLU: candidates compared (docs/NLU.md), cross-validation (docs/EVAL.md)
	rm -rf $(OUT)/eval
	$(PYTHON) scripts/nlu_compare.py
	$(RASA) test nlu --nlu data/nlu --cross-validation --folds $(EVAL_FOLDS) --out $(OUT)/eval
	$(PYTHON) scripts/eval_report.py $(OUT)/eval $(EVAL_FOLDS)

clean: ## remove models, generated output and caches (not var/: the databases)
	rm -rf models $(OUT) .rasa .pytest_cache .mypy_cache .ruff_cache
