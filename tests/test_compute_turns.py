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


def test_a_day_runs_side_by_side_computing_in_the_days_order_in_the_callers_context():
    """run_in_turns: results in the jobs' order, computations in the day's order, each job sees the
    caller's context (a Prefect flow run's), and one refused before its turn holds no one up."""
    import contextvars

    from production.compute_turns import COMPUTE_TURNS, run_in_turns

    day = contextvars.ContextVar("day")
    day.set("10-04-2025")
    log = []

    def product(key, refused=False):
        def job():
            if refused:
                return f"{key[0]} geweigerd"
            with COMPUTE_TURNS.turn(key):
                log.append(key)
                time.sleep(0.02)
            return f"{key[0]} {day.get()}"
        return job

    results = run_in_turns([(K2, product(K2)), (K3, product(K3, refused=True)), (K4, product(K4))],
                           [K4, K3, K2])
    assert results == ["kijkglas-2 10-04-2025", "kijkglas-3 geweigerd", "kijkglas-4 10-04-2025"]
    assert log == [K4, K2]
    assert run_in_turns([(K2, product(K2))], [K2], side_by_side=False) == ["kijkglas-2 10-04-2025"]
