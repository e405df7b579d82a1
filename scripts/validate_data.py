"""`rasa data validate`, with no warning let through that points at a real problem.

Rasa's validator only looks at stories and rules, so it calls every response that a
custom action or a form utters "not used". Those warnings are accepted only for
responses that the code really utters; any other warning fails the check. An intent that
only buttons send (the rating, mall.ratings) has no training examples on purpose.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from mall.ratings import BUTTON_ONLY_INTENTS as BUTTON_ONLY_INTENTS  # tests/test_training_data.py reads it here

ROOT = Path(__file__).resolve().parent.parent
UNUSED = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule\.")
NO_EXAMPLES = re.compile(
    r"The intent '(\w+)' is listed in the domain file, but is not found in the NLU training data\."
)
WARNING = re.compile(r"(\w*Warning): (.*)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Uttered by Rasa's own default actions (action_default_fallback).
RASA_DEFAULT_RESPONSES = {"utter_default"}


CODE_PACKAGES = ("mall", "actions", "webapp", "rasa_addons")
# Names in code that look like responses but are keys of Rasa's event metadata.
RASA_KEYS = {"utter_action"}


def responses_named_in_code() -> set:
    """Responses named in the product packages: uttered by actions (utter_message,
    FollowupAction), chosen by mall.outcomes, run through Rasa's API by webapp/, or said
    by rasa_addons/."""
    names = set()
    for package in CODE_PACKAGES:
        for source in (ROOT / package).glob("*.py"):
            names |= set(re.findall(r"[\"'](utter_\w+)[\"']", source.read_text()))
    return names - RASA_KEYS


def responses_uttered_by_code() -> set:
    """Responses named in code, Rasa's own, or asked by a form for one of its slots."""
    names = RASA_DEFAULT_RESPONSES | responses_named_in_code()
    forms = (yaml.safe_load((ROOT / "domain.yml").read_text()) or {}).get("forms") or {}
    for form in forms.values():
        names |= {f"utter_ask_{slot}" for slot in form.get("required_slots", [])}
    return names


def main() -> int:
    env = dict(os.environ, PYTHONWARNINGS="default")
    run = subprocess.run(
        [str(Path(sys.executable).with_name("rasa")), "data", "validate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    output = ANSI.sub("", run.stdout + run.stderr)
    uttered_by_code = responses_uttered_by_code()
    problems = []
    for line in output.splitlines():
        match = WARNING.search(line)
        if not match or match.group(1) in {"DeprecationWarning", "MovedIn20Warning"}:
            continue
        unused = UNUSED.search(line)
        if unused and unused.group(1) in uttered_by_code:
            continue
        no_examples = NO_EXAMPLES.search(line)
        if no_examples and no_examples.group(1) in BUTTON_ONLY_INTENTS:
            continue
        problems.append(match.group(2))
    if run.returncode != 0:
        problems.append(f"rasa data validate exited with {run.returncode}:\n{output[-3000:]}")
    for problem in problems:
        print("PROBLEM:", problem)
    print(
        f"rasa data validate: {len(problems)} problems ({len(uttered_by_code)} responses uttered by actions and forms)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
