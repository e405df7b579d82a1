# The payment-support assistant. Every target sets up what it needs (.venv from the
# pinned lock file, a model trained from the current data) and is safe to run twice.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/assistant.tar.gz
WEBCHAT := web/vendor/rasa-webchat-1.0.1.js

export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONWARNINGS := ignore
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

TRAINING_INPUTS := config.yml $(wildcard domain/*.yml) $(shell find data -name '*.yml') \
	$(wildcard jieba_dict/*) rasa_addons/tokenizer.py rasa_addons/digit_entities.py \
	rasa_addons/intent_classifier.py rasa_addons/unknown_words.py

.PHONY: help setup train shell serve test validate test-unit test-stories bench eval tune-fallback reset-db clean

help:
	@echo "make shell     chat with the assistant in this terminal (trains first if needed)"
	@echo "make serve     the mall page with the chat widget on http://localhost:8080"
	@echo "make test      unit, conversation and story tests, data validation"
	@echo "make train     train the model if the training data changed"
	@echo "make bench     performance against Rasa's stock bot: docs/BENCHMARK.md"
	@echo "make eval      NLU cross-validation: docs/EVAL.md"
	@echo "make reset-db  put the demo orders back to their starting state"

$(VENV)/.installed: requirements.txt scripts/make_venv.sh
	scripts/make_venv.sh

# The widget bundle, from the npm registry, checked against its pinned sha512.
$(WEBCHAT): scripts/fetch_webchat.sh
	scripts/fetch_webchat.sh

setup: $(VENV)/.installed $(WEBCHAT)

# Rasa skips components whose inputs did not change (cache in .rasa/); touch the model
# afterwards because "nothing changed" leaves the old file (and its old date) in place.
$(MODEL): $(VENV)/.installed $(TRAINING_INPUTS)
	$(RASA) train --domain domain --fixed-model-name assistant --out models
	@touch $@

train: $(MODEL)

reset-db: $(VENV)/.installed
	$(PYTHON) -m actions.store reset

shell: $(MODEL)
	scripts/run_shell.sh

serve: $(MODEL) $(WEBCHAT)
	scripts/run_servers.sh

validate: $(VENV)/.installed
	$(PYTHON) scripts/validate_data.py

test-unit: $(MODEL) $(WEBCHAT)
	scripts/run_pytest.sh tests

# Conversation test stories (NLU + dialogue, every prediction must be right) and the
# held-out NLU set, which must stay above the accuracy floor in check_nlu_results.py.
test-stories: $(MODEL)
	rm -rf results
	$(RASA) test --model $(MODEL) --domain domain --stories tests/stories --nlu tests/nlu/holdout.yml \
		--fail-on-prediction-errors --out results
	$(PYTHON) scripts/check_nlu_results.py results

test: validate test-unit test-stories

# Chooses the FallbackClassifier threshold on held-out data; writes docs/FALLBACK.md.
tune-fallback: $(VENV)/.installed
	$(PYTHON) scripts/tune_fallback.py

# Performance against Rasa's stock bot: docs/BENCHMARK.md (trains both from scratch).
bench: $(VENV)/.installed
	$(PYTHON) -m bench

# 5-fold cross-validation of the NLU pipeline: docs/EVAL.md.
EVAL_FOLDS := 5
eval: $(VENV)/.installed
	rm -rf results/eval
	$(RASA) test nlu --nlu data/nlu --config config.yml --cross-validation --folds $(EVAL_FOLDS) \
		--out results/eval
	$(PYTHON) scripts/eval_report.py results/eval $(EVAL_FOLDS)

clean:
	rm -rf models results .rasa .pytest_cache
