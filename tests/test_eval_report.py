"""make eval's last step finds the CRF's cross-validation report whatever the subclass's name."""

import pytest

from scripts.eval_report import crf_report


def test_the_crf_report_is_found_under_the_subclass_name(tmp_path):
    for name in ("ThreadSafeCRFEntityExtractor_report.json", "DigitEntityExtractor_report.json", "intent_report.json"):
        (tmp_path / name).write_text("{}")
    assert crf_report(tmp_path).name == "ThreadSafeCRFEntityExtractor_report.json"


def test_no_crf_report_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="expected one CRF entity report"):
        crf_report(tmp_path)
