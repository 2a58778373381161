"""Run by test_run_output under ``pyaudit run -m pytest``: pytest captures
descriptor 2 while a test runs; pyaudit's event lines must not land in it."""

import sys


def test_events_do_not_land_in_captured_output(capfd):
    for i in range(3):
        sys.audit("pyaudit_capture_suite.event", i)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""
