"""The uplink's retry delay: exponential, capped, with "equal jitter"."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gate.uplink.sender import backoff_delay


def test_delay_doubles_per_failure_until_the_cap() -> None:
    fixed = [backoff_delay(n, initial=1.0, cap=30.0, rand=lambda: 0.0) for n in range(1, 8)]
    assert fixed == [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    top = [backoff_delay(n, initial=1.0, cap=30.0, rand=lambda: 1.0) for n in range(1, 8)]
    assert top == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


@given(failures=st.integers(min_value=0, max_value=200), r=st.floats(0.0, 1.0))
def test_delay_stays_within_half_and_the_whole_step(failures: int, r: float) -> None:
    delay = backoff_delay(failures, initial=0.5, cap=60.0, rand=lambda: r)
    step = min(60.0, 0.5 * 2 ** max(0, failures - 1))
    assert step / 2 <= delay <= step
    assert delay <= 60.0


def test_jitter_spreads_gates_that_failed_together() -> None:
    delays = {backoff_delay(6, 1.0, 30.0) for _ in range(50)}
    assert len(delays) > 40 and min(delays) >= 15.0 and max(delays) <= 30.0
    assert pytest.approx(sum(delays) / len(delays), abs=2.5) == 22.5
