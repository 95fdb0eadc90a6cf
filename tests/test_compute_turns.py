"""The products of a day compute one at a time, in the day's order, and a product that never comes
to compute (a refusal) does not hold up the others."""
import threading
import time

from production.compute_turns import ComputeTurns

K2, K3, K4 = ("kijkglas-2", "2024-2025"), ("kijkglas-3", "2024-2025"), ("kijkglas-4", "2024-2025")


def _run(turns, key, log, delay=0.0):
    time.sleep(delay)
    with turns.turn(key):
        log.append(("start", key))
        time.sleep(0.02)
        log.append(("end", key))


def test_in_the_days_order_one_at_a_time():
    turns, log = ComputeTurns(), []
    turns.plan([K2, K3, K4])
    # K4 and K3 ask first; K2 still goes first
    threads = [threading.Thread(target=_run, args=(turns, k, log, d)) for k, d in ((K4, 0), (K3, 0.01), (K2, 0.05))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert log == [("start", K2), ("end", K2), ("start", K3), ("end", K3), ("start", K4), ("end", K4)]


def test_a_product_that_never_computes_releases_its_turn():
    turns, log = ComputeTurns(), []
    turns.plan([K2, K3])
    t = threading.Thread(target=_run, args=(turns, K3, log))
    t.start()
    time.sleep(0.05)
    assert log == []          # K3 waits for K2 …
    turns.done(K2)            # … which was refused before computing
    t.join(5)
    assert log == [("start", K3), ("end", K3)]


def test_without_a_plan_it_is_a_lock():
    turns, log = ComputeTurns(), []
    threads = [threading.Thread(target=_run, args=(turns, k, log)) for k in (K2, K3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert [e for e, _ in log] == ["start", "end", "start", "end"]
