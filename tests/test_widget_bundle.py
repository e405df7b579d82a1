"""Setup is done once: the widget bundle is fetched from npm only when it is missing or its
script changed, so `make serve` and `make test` work offline once it is there."""

from __future__ import annotations

import os
import subprocess
import time

from mall import settings

BUNDLE = str(settings.WEBCHAT_BUNDLE.relative_to(settings.ROOT))


def test_the_fetched_bundle_is_newer_than_its_script():
    """tar keeps a file's date from the tarball (1985 for npm packages) unless told not to
    (-m); make then always found the bundle out of date and fetched it again."""
    bundle = settings.WEBCHAT_BUNDLE
    assert bundle.stat().st_mtime > time.mktime((2000, 1, 1, 0, 0, 0, 0, 0, -1))
    for made_from in ("scripts/fetch_webchat.sh", "web/webchat.json"):
        assert bundle.stat().st_mtime >= (settings.ROOT / made_from).stat().st_mtime


def test_make_has_nothing_to_fetch_and_needs_no_network(tmp_path):
    offline = tmp_path / "bin"
    offline.mkdir()
    npm = offline / "npm"
    npm.write_text("#!/bin/sh\necho 'npm was called (offline)' >&2\nexit 1\n")
    npm.chmod(0o755)
    env = {**os.environ, "PATH": f"{offline}:{os.environ['PATH']}"}
    dry_run = subprocess.run(["make", "-n", BUNDLE], cwd=settings.ROOT, env=env, capture_output=True, text=True)
    assert dry_run.returncode == 0 and "fetch_webchat" not in dry_run.stdout
    run = subprocess.run(["make", BUNDLE], cwd=settings.ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0 and "npm was called" not in run.stderr, run.stderr
