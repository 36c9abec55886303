"""Study files: one writer at a time (a lock beside the file); load() counts a replicate once.

Issue 24: two processes on one study file each computed every replicate and appended it,
so the file held each twice and ``calibration.load()`` counted both.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from bayesnq import calibration
from bayesnq.calibration import streaming
from bayesnq.modeling import PARAMETERS

TINY = dict(n=24, num_chains=1, num_warmup=20, num_samples=20, num_ranks=11, batch_size=2)
HEADER = {"bayesnq_study": "sbc", "settings": {"num_ranks": 11}}


def _sbc_record(i, rank=0):
    rec = {"replicate": i, "divergences": 0}
    for k in PARAMETERS:
        rec[f"rank_{k}"] = rank
        rec[f"true_{k}"] = float(i)
    return rec


def _write(path, header, records, tail=""):
    path.write_text("".join(json.dumps(x) + "\n" for x in [header, *records]) + tail)


# ----------------------------------------------------------------------------- load


def test_load_counts_a_replicate_written_twice_once(tmp_path):
    path = tmp_path / "twice.jsonl"
    recs = [_sbc_record(i) for i in range(3)]
    # what two writers left: every replicate twice, the second copy the last one
    _write(path, HEADER, recs + [_sbc_record(i, rank=i + 1) for i in range(3)])
    r = calibration.load(path)
    assert r.replicates == 3
    for k in PARAMETERS:
        np.testing.assert_array_equal(r.true[k], [0.0, 1.0, 2.0])
        np.testing.assert_array_equal(r.ranks[k], [1, 2, 3])  # the last complete record
    assert r.divergences.shape == (3,)


def test_load_keeps_the_last_complete_record_and_skips_a_cut_line(tmp_path):
    path = tmp_path / "cut.jsonl"
    recs = [_sbc_record(0, rank=4), _sbc_record(1), _sbc_record(0, rank=5)]
    cut = json.dumps(_sbc_record(0, rank=9))[:-7]  # cut short by an interruption
    _write(path, HEADER, recs, tail=cut)
    r = calibration.load(path)
    assert r.replicates == 2
    np.testing.assert_array_equal(r.ranks["gamma"], [5, 0])


def test_load_of_coverage_counts_each_replicate_once(tmp_path):
    path = tmp_path / "cov.jsonl"
    header = {"bayesnq_study": "coverage", "settings": {"sizes": [24]},
              "reference": {"k": [1]}}
    recs = [{"replicate": i, "size": 24, "skipped": None, "run": run}
            for run in (1, 2) for i in (1, 0)]
    _write(path, header, recs)
    r = calibration.load(path)
    assert [x["replicate"] for x in r.records] == [0, 1]
    assert [x["run"] for x in r.records] == [2, 2]
    assert r.reference == {"k": [1]}


# ----------------------------------------------------------------------------- the lock


def test_a_second_stream_on_a_file_is_refused_until_the_first_closes(tmp_path):
    path = tmp_path / "s.jsonl"
    first = streaming.Stream(path, HEADER)
    lock = tmp_path / "s.jsonl.lock"
    assert lock.exists() and lock.read_text().strip() == str(os.getpid())
    first.add([_sbc_record(0)])
    before = path.read_text()
    with pytest.raises(ValueError, match=re.escape(
            f"path={str(path)!r} is being written by another process (pid {os.getpid()}); "
            "wait for it or use another path")):
        streaming.Stream(path, HEADER)
    assert path.read_text() == before  # the refused stream touched nothing
    # reading needs no lock
    assert calibration.load(path).replicates == 1
    first.close()
    first.close()  # twice is fine
    assert not lock.exists()
    with pytest.raises(ValueError, match="closed"):
        first.add([_sbc_record(1)])
    with streaming.Stream(path, HEADER) as second:  # resumes
        assert list(second.records) == [0]
        second.add([_sbc_record(1)])
        with pytest.raises(ValueError, match="another process"):
            streaming.Stream(path, HEADER)
    assert not lock.exists()
    assert calibration.load(path).replicates == 2


def test_a_stream_refused_for_other_settings_releases_the_lock(tmp_path):
    path = tmp_path / "s.jsonl"
    _write(path, HEADER, [])
    with pytest.raises(ValueError, match="other settings"):
        streaming.Stream(path, {"bayesnq_study": "sbc", "settings": {"num_ranks": 5}})
    assert not (tmp_path / "s.jsonl.lock").exists()
    streaming.Stream(path, HEADER).close()


def test_a_stale_lock_file_of_a_dead_process_does_not_block(tmp_path):
    """flock: a lock file left behind (a killed study) holds no lock."""
    pytest.importorskip("fcntl")
    path = tmp_path / "s.jsonl"
    (tmp_path / "s.jsonl.lock").write_text("999999\n")
    with streaming.Stream(path, HEADER) as s:
        s.add([_sbc_record(0)])
    assert calibration.load(path).replicates == 1


def test_in_memory_stream_takes_no_lock(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a, b = streaming.Stream(None, HEADER), streaming.Stream(None, HEADER)
    a.add([_sbc_record(0)])
    b.add([_sbc_record(0)])
    a.close()
    assert list(tmp_path.iterdir()) == []


def test_without_fcntl_a_lock_file_with_the_pid(tmp_path, monkeypatch):
    monkeypatch.setattr(streaming, "fcntl", None)
    path = tmp_path / "s.jsonl"
    lock = tmp_path / "s.jsonl.lock"
    first = streaming.Stream(path, HEADER)
    assert lock.read_text().strip() == str(os.getpid())
    with pytest.raises(ValueError, match=rf"another process \(pid {os.getpid()}\)"):
        streaming.Stream(path, HEADER)
    first.close()
    assert not lock.exists()
    streaming.Stream(path, HEADER).close()


def test_execute_releases_the_lock_when_the_study_ends(tmp_path):
    path = tmp_path / "s.jsonl"
    stream = streaming.Stream(path, HEADER)
    streaming.execute(lambda b: [_sbc_record(i) for i in b], streaming.batches(3, 2), stream,
                      executor=None, address=None, progress=False, desc="t", total=3)
    assert sorted(stream.records) == [0, 1, 2]
    assert not (tmp_path / "s.jsonl.lock").exists()
    streaming.Stream(path, HEADER).close()

    def boom(b):
        raise RuntimeError("boom")

    stream = streaming.Stream(tmp_path / "t.jsonl", HEADER)
    with pytest.raises(RuntimeError, match="boom"):
        streaming.execute(boom, [[0]], stream, executor=None, address=None, progress=False,
                          desc="t", total=1)
    assert not (tmp_path / "t.jsonl.lock").exists()


def test_a_study_on_a_file_being_written_is_refused_at_once(tmp_path):
    path = tmp_path / "s.jsonl"
    with streaming.Stream(path, HEADER):
        t = time.perf_counter()
        with pytest.raises(ValueError, match="being written by another process"):
            calibration.sbc(replicates=4, seed=3, path=path, **TINY)
        assert time.perf_counter() - t < 5  # before any computation


# ----------------------------------------------------------------------------- two processes

_SCRIPT = """
import pathlib, time
from bayesnq import calibration
from bayesnq.calibration import streaming

tmp = pathlib.Path({tmp!r})
name = {name!r}
orig = streaming.execute


def execute(*args, **kwargs):
    # the stream is open (the file read): wait until the test says go, so that both
    # writers, where both get this far, start computing from the same file
    (tmp / f"ready_{{name}}").touch()
    deadline = time.time() + 300
    while not (tmp / "go").exists():
        if time.time() > deadline:
            raise SystemExit("no go")
        time.sleep(0.05)
    return orig(*args, **kwargs)


calibration.sbc.__globals__["execute"] = execute
calibration.sbc(replicates=4, seed=7, path={path!r}, **{kw!r})
"""


_HOLDER = """
import pathlib, sys, time
from bayesnq.calibration import streaming

tmp = pathlib.Path({tmp!r})
stream = streaming.Stream({path!r}, {header!r})
stream.add([{record!r}])
(tmp / "held").touch()
while not (tmp / "done").exists():
    time.sleep(0.05)
stream.close()
"""


def test_a_writer_in_another_process_is_refused_and_its_death_frees_the_file(tmp_path):
    """The cheap two-process check (no study): refused while held, free once killed."""
    pytest.importorskip("fcntl")  # the lock file of the fallback outlives a killed process
    path = tmp_path / "s.jsonl"
    script = textwrap.dedent(_HOLDER.format(tmp=str(tmp_path), path=str(path), header=HEADER,
                                            record=_sbc_record(0)))
    holder = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (tmp_path / "held").exists():
            if holder.poll() is not None or time.time() > deadline:
                pytest.fail(f"the holder did not start: {holder.communicate()[1]}")
            time.sleep(0.05)
        with pytest.raises(ValueError, match=re.escape(
                f"is being written by another process (pid {holder.pid})")):
            streaming.Stream(path, HEADER)
        assert calibration.load(path).replicates == 1  # reading while it writes
        holder.kill()  # SIGKILL: no clean-up runs, the system drops the lock
        holder.wait()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert (tmp_path / "s.jsonl.lock").exists()  # left behind, but it holds no lock
    with streaming.Stream(path, HEADER) as s:
        assert list(s.records) == [0]
    assert not (tmp_path / "s.jsonl.lock").exists()


@pytest.mark.slow  # two processes each compile and run a tiny SBC study: ~2 minutes here
def test_two_processes_on_one_file_write_each_replicate_once(tmp_path):
    path = tmp_path / "study.jsonl"
    env = dict(os.environ, JAX_COMPILATION_CACHE_DIR=str(tmp_path / "jaxcache"))

    def start(name):
        script = textwrap.dedent(_SCRIPT.format(tmp=str(tmp_path), name=name, path=str(path),
                                                kw=TINY))
        return subprocess.Popen([sys.executable, "-c", script], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_for(cond, proc, what):
        deadline = time.time() + 300
        while not cond():
            if time.time() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            if proc.poll() is not None:
                return
            time.sleep(0.05)

    a = start("a")
    b = None
    try:
        wait_for((tmp_path / "ready_a").exists, a, "the first writer")
        assert a.poll() is None, a.communicate()
        b = start("b")
        # the second writer either stops (refused) or opens the file too and waits
        wait_for((tmp_path / "ready_b").exists, b, "the second writer")
        (tmp_path / "go").touch()
        out_a, err_a = a.communicate(timeout=600)
        out_b, err_b = b.communicate(timeout=600)
    finally:
        for p in (a, b):
            if p is not None and p.poll() is None:
                p.kill()
    assert a.returncode == 0, err_a
    lines = path.read_text().splitlines()
    replicates = [json.loads(x)["replicate"] for x in lines[1:]]
    assert sorted(replicates) == [0, 1, 2, 3], f"replicates in the file: {replicates}"
    assert calibration.load(path).replicates == 4
    # the second writer was refused with a clear message, before computing anything
    assert b.returncode != 0 and not (tmp_path / "ready_b").exists()
    assert (f"is being written by another process (pid {a.pid}); wait for it or use "
            "another path") in err_b
    assert not (tmp_path / "study.jsonl.lock").exists()
