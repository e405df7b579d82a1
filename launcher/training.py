"""Trains the model when what it is trained from changed, and only then.

The inputs are hashed (contents, not dates: a fresh clone gives every file a new date); the
hash of the last training is kept beside the model. Rasa's own "nothing changed" check
loads the whole pipeline first; this one only reads the inputs.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Iterable, List

from mall import settings

STAMP = settings.MODELS / f".{settings.MODEL_NAME}.inputs.sha256"


def training_inputs(root: Path = settings.ROOT) -> List[Path]:
    files: Iterable[Path] = [
        root / "config.yml",
        root / "domain.yml",
        *sorted((root / "data").rglob("*.yml")),
        *sorted((root / "jieba_dict").glob("*")),
        *sorted((root / "rasa_addons").glob("*.py")),  # the pipeline's own components
    ]
    return [path for path in files if path.is_file()]


def inputs_digest(root: Path = settings.ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_up_to_date() -> bool:
    return settings.MODEL.exists() and STAMP.exists() and STAMP.read_text().strip() == inputs_digest()


def train_if_needed(rasa: Path) -> bool:
    """True if it trained. Rasa's cache (.rasa/) keeps unchanged components from retraining."""
    if is_up_to_date():
        print(f"{settings.MODEL.relative_to(settings.ROOT)} is up to date")
        return False
    digest = inputs_digest()
    subprocess.run(
        [str(rasa), "train", "--fixed-model-name", settings.MODEL_NAME, "--out", str(settings.MODELS)],
        cwd=settings.ROOT,
        check=True,
    )
    # "Nothing changed" leaves the old file with its old date: mark it as current.
    settings.MODEL.touch()
    STAMP.write_text(digest + "\n")
    return True
