"""Streaming and execution of a study: a JSON-lines file that resumes, local or Dask runs.

Every finished batch of replicates is appended to the study's file (JSON lines: a header
with the settings, then one record per replicate) and flushed, so an interrupted study
started again with the same file and settings resumes after the last finished batch.
``executor="dask"`` sends the batches to Dask distributed.

One process writes a study file at a time: a :class:`Stream` on a file holds an exclusive
lock on ``<file>.lock`` beside it (``fcntl.flock`` on POSIX, which the system drops when the
process dies; where ``fcntl`` is missing, the lock file itself, created exclusively, with
the writer's pid) until :func:`execute` ends or the stream is closed, and a second writer
is refused at once. Reading a file (:func:`bayesnq.calibration.load`) takes no lock.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

__all__ = ["Stream", "execute", "batches", "digest", "make_progress_bar", "read_study",
           "EXECUTORS"]

EXECUTORS = (None, "local", "dask")


class Stream:
    """JSON-lines file: a header with the study's settings, then one line per replicate.

    With a ``path``, the stream holds the file's writer lock (``<path>.lock``) from its
    creation to :meth:`close` (also a context manager); a file another stream holds, in
    this process or another, raises ``ValueError`` before anything is read or written.
    ``path=None`` keeps the records in memory and takes no lock.
    """

    _lock = None

    def __init__(self, path, header, compare=None):
        self.path = None if path is None else Path(path)
        self.header = header
        self.records = {}
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _Lock(self.path)
        try:
            self._open(compare)
        except BaseException:
            self.close()
            raise

    def _open(self, compare):
        header = self.header
        if self.path.exists() and self.path.stat().st_size:
            lines = self.path.read_text().splitlines()
            try:
                old = json.loads(lines[0])
            except json.JSONDecodeError:
                old = {}
            keys = compare or tuple(header)
            if not isinstance(old, dict) or any(old.get(k) != header.get(k) for k in keys):
                raise ValueError(
                    f"path={str(self.path)!r} holds a study with other settings; "
                    "use another path or remove the file"
                )
            self.header = old
            for line in lines[1:]:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by an interruption
                    continue
                self.records[rec["replicate"]] = rec
            self._rewrite()  # drops a partial last line (and a replicate written twice)
        else:
            self._rewrite()

    @property
    def closed(self):
        return self.path is not None and self._lock is None

    def close(self):
        """Release the file's writer lock; the records stay readable in ``records``."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _check_open(self):
        if self.closed:
            raise ValueError(f"the stream of path={str(self.path)!r} is closed")

    def set_header(self, header):
        self._check_open()
        self.header = header
        if self.path is not None:
            self._rewrite()

    def _rewrite(self):
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "w") as f:
            f.write(json.dumps(self.header) + "\n")
            for i in sorted(self.records):
                f.write(json.dumps(self.records[i]) + "\n")
        os.replace(tmp, self.path)

    def add(self, records):
        self._check_open()
        new = [r for r in records if r["replicate"] not in self.records]
        for r in new:
            self.records[r["replicate"]] = r
        if self.path is not None and new:
            with open(self.path, "a") as f:
                f.write("".join(json.dumps(r) + "\n" for r in new))
                f.flush()
                os.fsync(f.fileno())


class _Lock:
    """Exclusive writer lock on ``<path>.lock``, taken at once or ``ValueError``."""

    def __init__(self, path):
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self.fd = None
        if fcntl is not None:
            self._flock()
        else:
            self._exclusive_file()

    def _busy(self, hint=""):
        try:
            pid = self.lock_path.read_text().strip() or "unknown"
        except OSError:
            pid = "unknown"
        return ValueError(f"path={str(self.path)!r} is being written by another process "
                          f"(pid {pid}); wait for it or use another path{hint}")

    def _flock(self):
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._busy() from None
            except BaseException:
                os.close(fd)
                raise
            # the holder before us may have removed the file (release) after we opened it:
            # the lock counts only on the file that the path still names
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.lock_path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self.fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())

    def _exclusive_file(self):
        try:
            fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise self._busy(f" (if it no longer runs, remove {str(self.lock_path)!r})") \
                from None
        try:
            os.write(fd, f"{os.getpid()}\n".encode())
        finally:
            os.close(fd)
        self.fd = -1

    def release(self):
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:  # removed while still held, so that no other writer holds it meanwhile
            os.unlink(self.lock_path)
        except OSError:
            pass
        if fd >= 0:
            os.close(fd)  # drops the flock


def make_progress_bar(total, initial, enabled, desc):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, initial=initial, desc=desc, unit="rep")


def execute(task, batches, stream, *, executor, address, progress, desc, total):
    """Run ``task(batch)`` for each batch of replicate indices; stream records as they come.

    The records are written here, in the calling process (Dask workers only compute), and
    the stream is closed (its file's lock released) when the study ends or fails.
    """
    todo = [b for b in batches if any(i not in stream.records for i in b)]
    bar = make_progress_bar(total, len(stream.records), progress, desc)
    try:
        if executor == "dask":
            client, owned = _dask_client(address)
            try:
                from distributed import as_completed

                futures = [client.submit(task, b, pure=False) for b in todo]
                for fut in as_completed(futures):
                    recs = fut.result()
                    stream.add(recs)
                    if bar is not None:
                        bar.update(len(recs))
            finally:
                if owned:
                    cluster = getattr(client, "cluster", None)
                    client.close()
                    if cluster is not None:
                        cluster.close()
        else:
            for b in todo:
                recs = task(b)
                stream.add(recs)
                if bar is not None:
                    bar.update(len(recs))
    finally:
        if bar is not None:
            bar.close()
        stream.close()


def _dask_client(address):
    """A Dask client for ``address`` (a scheduler address, a Client, or None: LocalCluster)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover
        raise ImportError("executor='dask' needs dask.distributed: pip install 'bayesnq[dask]'") from e
    if isinstance(address, Client):
        return address, False
    if address is None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster), True
    return Client(address), True


def batches(replicates, batch_size):
    return [list(range(i, min(i + batch_size, replicates)))
            for i in range(0, replicates, batch_size)]


def digest(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def read_study(path, kind=None):
    """The header and the records of a study file, in replicate order; no lock taken.

    Of a replicate the file holds more than once (two writers before the lock), the last
    complete record counts; a line cut short by an interruption is skipped. ``kind``, when
    given, is the study the header must name (``bayesnq_study``).
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"path={str(path)!r} is not a file")
    lines = p.read_text().splitlines()
    try:
        header = json.loads(lines[0])
        found = header["bayesnq_study"]
    except (IndexError, json.JSONDecodeError, KeyError, TypeError):
        found = None
    if found is None or (kind is not None and found != kind):
        what = f"a {kind} study file" if kind else "a bayesnq study file"
        raise ValueError(f"path={str(path)!r} is not {what}")
    by_replicate = {}
    for line in lines[1:]:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        by_replicate[rec["replicate"]] = rec
    return header, [by_replicate[i] for i in sorted(by_replicate)]
