"""Reliability harnesses (issue 7): crash (SIGKILL at random moments), network faults at scale
and hostile input. Each harness is a plain function returning its figures, so the same code
runs in a short setting under pytest (tests/test_reliability*.py, tests/test_faults*.py,
tests/test_hostile*.py) and in full from scripts/reliability_report.py, which writes
docs/reliability.md."""
