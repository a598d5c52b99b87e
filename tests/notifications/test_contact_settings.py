"""The per-country helpline and emergency settings (JOURNEY_HELPLINES, JOURNEY_EMERGENCY_*)."""

from __future__ import annotations

import pytest

from journey.config import ConfigError, load_settings


def test_defaults_cite_112_in_europe_and_no_country_helpline(tmp_path):
    s = load_settings({"JOURNEY_INSTANCE_PATH": str(tmp_path)})
    assert s["HELPLINES"] == {} and s["EMERGENCY_NUMBER"] == "112"
    assert s["EMERGENCY_NUMBERS"]["PT"] == "112" and s["EMERGENCY_NUMBERS"]["GB"] == "999"
    assert "QA" not in s["EMERGENCY_NUMBERS"]


def test_numbers_by_country_are_read_and_override_the_defaults(tmp_path):
    s = load_settings({"JOURNEY_INSTANCE_PATH": str(tmp_path),
                       "JOURNEY_HELPLINES": "pt=+351 808 257 257, QA=+974 4000 1111",
                       "JOURNEY_EMERGENCY_NUMBERS": "QA=999,PT=+351 112",
                       "JOURNEY_EMERGENCY_NUMBER": "911"})
    assert s["HELPLINES"] == {"PT": "+351 808 257 257", "QA": "+974 4000 1111"}
    assert s["EMERGENCY_NUMBERS"]["QA"] == "999" and s["EMERGENCY_NUMBERS"]["PT"] == "+351 112"
    assert s["EMERGENCY_NUMBERS"]["ES"] == "112" and s["EMERGENCY_NUMBER"] == "911"


@pytest.mark.parametrize("spec", ["PT", "PT=", "Portugal=112", "PT=call us", "PT=112;ES=112"])
def test_a_malformed_number_setting_is_refused_at_start(tmp_path, spec):
    with pytest.raises(ConfigError, match="JOURNEY_HELPLINES"):
        load_settings({"JOURNEY_INSTANCE_PATH": str(tmp_path), "JOURNEY_HELPLINES": spec})
