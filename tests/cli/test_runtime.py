"""The collector pause a serving hub keeps around large requests."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from phalanx.runtime import collection_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_off_inside_and_back_on_after_an_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("the request failed")
    assert gc.isenabled()


def test_pauses_overlapping_across_threads_end_with_the_last() -> None:
    gc.enable()
    first_in, release = threading.Event(), threading.Event()

    def long_request() -> None:
        with collection_paused():
            first_in.set()
            release.wait(5)

    thread = threading.Thread(target=long_request)
    thread.start()
    first_in.wait(5)
    with collection_paused():  # a second request starts and ends inside the first
        assert not gc.isenabled()
    assert not gc.isenabled()  # the first still runs
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    with collection_paused(), collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
