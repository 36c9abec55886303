"""Streaming and execution of a study: a JSON-lines file that resumes, local or Dask runs.

Every finished batch of replicates is appended to the study's file (JSON lines: a header
with the settings, then one record per replicate) and flushed, so an interrupted study
started again with the same file and settings resumes after the last finished batch.
``executor="dask"`` sends the batches to Dask distributed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

__all__ = ["Stream", "execute", "batches", "digest", "progress_bar", "EXECUTORS"]

EXECUTORS = (None, "local", "dask")


class Stream:
    """JSON-lines file: a header with the study's settings, then one line per replicate."""

    def __init__(self, path, header, compare=None):
        self.path = None if path is None else Path(path)
        self.header = header
        self.records = {}
        if self.path is None:
            return
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
            self._rewrite()  # drops a partial last line
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._rewrite()

    def set_header(self, header):
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
        new = [r for r in records if r["replicate"] not in self.records]
        for r in new:
            self.records[r["replicate"]] = r
        if self.path is not None and new:
            with open(self.path, "a") as f:
                f.write("".join(json.dumps(r) + "\n" for r in new))
                f.flush()
                os.fsync(f.fileno())


def progress_bar(total, initial, enabled, desc):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, initial=initial, desc=desc, unit="rep")


def execute(task, batches, stream, *, executor, address, progress, desc, total):
    """Run ``task(batch)`` for each batch of replicate indices; stream records as they come."""
    todo = [b for b in batches if any(i not in stream.records for i in b)]
    bar = progress_bar(total, len(stream.records), progress, desc)
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

