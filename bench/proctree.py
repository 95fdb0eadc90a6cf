"""Run one command and measure it: wall time, and the memory of its whole process tree.

Every `interval` seconds the sampler walks the tree (the command and all its descendants, as psutil
sees them: Prefect's ephemeral server, render workers, …) and adds up their RSS. It keeps the peak
of that sum, the largest single process ever seen, and the sum's course over time. It also tells
how busy the machine was with other work meanwhile: the CPU the whole machine used (psutil.cpu_times)
minus the CPU the tree and this sampler used, in cores. A process that lives shorter than one
interval is missed (its memory and CPU), so the figures are a lower bound.
"""
from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil


@dataclass
class Measurement:
    label: str
    rc: int
    wall: float
    peak_sum: int                  # bytes: max over samples of the sum of RSS over the tree
    peak_single: int               # bytes: the largest RSS of one process
    peak_single_name: str
    processes: int                 # distinct processes seen
    samples: list[tuple[float, int]] = field(default_factory=list)   # (seconds since start, sum RSS)
    own_cpu: float = 0.0           # CPU seconds used by the tree
    other_cores: float = 0.0       # average cores used by other processes of the machine meanwhile
    log: Path | None = None
    per_process: list[tuple[int, str]] = field(default_factory=list)  # (peak RSS, name), largest first
    leftovers: list[str] = field(default_factory=list)  # descendants still running after the command ended (ended here)
    cpu_per_process: list[tuple[float, str]] = field(default_factory=list)  # (CPU seconds, name), most first

    def cpu_text(self, n: int = 5) -> str:
        return "; ".join(f"{c:.1f} {name}" for c, name in self.cpu_per_process[:n])

    def top_text(self, n: int = 4) -> str:
        return "; ".join(f"{gb(r):.2f} {name}" for r, name in self.per_process[:n])

    def peak_text(self) -> str:
        return f"peak {gb(self.peak_sum):.2f} GB (sum of {self.processes} processes; largest {gb(self.peak_single):.2f} GB, {self.peak_single_name})"


def gb(n: int) -> float:
    return n / 1e9


def busy_seconds() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)


def _name(p: psutil.Process) -> str:
    try:
        cmd = p.cmdline()
    except (psutil.Error, OSError):
        return "?"
    if not cmd:
        return p.name()
    if any(c.startswith("from multiprocessing") for c in cmd):
        return f"{Path(cmd[0]).name} (multiprocessing {'resource tracker' if 'resource_tracker' in ' '.join(cmd) else 'worker'})"
    if "uvicorn" in cmd:
        return f"{Path(cmd[0]).name} -m uvicorn (Prefect server)"
    if "-c" in cmd[1:3]:
        return f"{Path(cmd[0]).name} -c <script>"
    words = [Path(cmd[0]).name] + [c for c in cmd[1:4]]
    text = " ".join(" ".join(words).split())
    return text if len(text) <= 60 else text[:57] + "…"


def run_measured(label: str, cmd: list[str], *, cwd: Path, env: dict, log: Path, interval: float = 0.15) -> Measurement:
    """Run `cmd` (stdout and stderr into `log`), sampling its process tree every `interval` s."""
    log.parent.mkdir(parents=True, exist_ok=True)
    me = psutil.Process()
    busy0, mine0 = busy_seconds(), sum(me.cpu_times()[:2])
    cpu: dict[tuple[int, float], float] = {}
    seen: dict[tuple[int, float], str] = {}
    peak_of: dict[tuple[int, float], int] = {}
    peak_sum = peak_single = 0
    peak_single_name = ""
    samples = []
    with log.open("w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        ended: list[float] = []
        finished = threading.Event()

        def wait() -> None:
            proc.wait()
            ended.append(time.perf_counter())
            finished.set()

        threading.Thread(target=wait, daemon=True).start()
        while True:
            done = finished.is_set()
            total = 0
            try:
                tree = [root] + root.children(recursive=True)
            except psutil.Error:
                tree = []
            for p in tree:
                try:
                    with p.oneshot():
                        key = (p.pid, p.create_time())
                        rss = p.memory_info().rss
                        t = p.cpu_times()
                        cpu[key] = t.user + t.system
                        if key not in seen:
                            seen[key] = _name(p)
                except psutil.Error:
                    continue
                total += rss
                peak_of[key] = max(peak_of.get(key, 0), rss)
                if rss > peak_single:
                    peak_single, peak_single_name = rss, seen[key]
            samples.append((time.perf_counter() - t0, total))
            peak_sum = max(peak_sum, total)
            if done:
                break
            finished.wait(interval)
        rc = proc.wait()
        wall = ended[0] - t0
    leftovers = _end_leftovers(seen)
    busy = busy_seconds() - busy0
    own = sum(cpu.values())
    sampler = sum(me.cpu_times()[:2]) - mine0
    other = max(0.0, busy - own - sampler) / wall if wall > 0 else 0.0
    return Measurement(label=label, rc=rc, wall=wall, peak_sum=peak_sum, peak_single=peak_single,
                       peak_single_name=peak_single_name, processes=len(seen), samples=samples,
                       own_cpu=own, other_cores=other, log=log,
                       per_process=sorted(((r, seen[k]) for k, r in peak_of.items()), reverse=True),
                       leftovers=leftovers,
                       cpu_per_process=sorted(((c, seen[k]) for k, c in cpu.items()), reverse=True))


def _end_leftovers(seen: dict[tuple[int, float], str]) -> list[str]:
    """Descendants of the command that outlived it (e.g. an ephemeral Prefect server whose parent was
    killed): end exactly those processes — same pid and start time as seen in the tree."""
    alive = []
    for (pid, created), name in seen.items():
        try:
            p = psutil.Process(pid)
            if p.create_time() == created:
                alive.append((p, name))
        except psutil.Error:
            continue
    _, lingering = psutil.wait_procs([p for p, _ in alive], timeout=5)  # e.g. a resource tracker on its way out
    alive = [(p, name) for p, name in alive if p in lingering]
    for p, _ in alive:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, still = psutil.wait_procs([p for p, _ in alive], timeout=10)
    for p in still:
        try:
            p.kill()
        except psutil.Error:
            pass
    return [f"{p.pid} {name}" for p, name in alive]


_STAMP = re.compile(r"^\d\d:\d\d:\d\d\.\d+ \| ")
_RUN = re.compile(r"'[^']*'")


def log_notes(log: Path, limit: int = 6) -> list[str]:
    """The WARNING/ERROR/Traceback lines a run printed, counted by message (timestamps and run names
    stripped), most frequent first."""
    c: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if not re.search(r"WARNING|ERROR|CRITICAL|Traceback|Warning:", line):
            continue
        msg = _RUN.sub("'…'", _STAMP.sub("", line)).strip()
        c[msg[:160]] += 1
    return [f"{n} × {msg}" for msg, n in c.most_common(limit)] + \
        ([f"… and {len(c) - limit} other message(s)"] if len(c) > limit else [])


def machine_line() -> str:
    la = os.getloadavg()
    vm = psutil.virtual_memory()
    return (f"load average {la[0]:.2f} / {la[1]:.2f} / {la[2]:.2f} (1/5/15 min), "
            f"memory {gb(vm.total - vm.available):.1f} of {gb(vm.total):.1f} GB in use")
