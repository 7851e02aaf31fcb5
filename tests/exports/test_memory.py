import gc

import pytest

from exports.memory import collector_paused


@pytest.fixture
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_it_turns_the_collector_on_again_after_a_report_even_when_it_fails(collector_on):
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        raise ValueError("a report that failed halfway")
    assert gc.isenabled()


def test_it_leaves_the_collector_off_to_whoever_turned_it_off(collector_on):
    with collector_paused():
        with collector_paused():  # a second report meanwhile, on another thread
            pass
        assert not gc.isenabled()  # the first report's pause still holds
    assert gc.isenabled()
