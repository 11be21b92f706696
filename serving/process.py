"""Run ``bentoml serve serving.service:MatcherService`` as a child process on loopback:
start, wait for ``/readyz``, stop (the arbiter and its workers). Used by the demo, the latency
benchmark and the integration test; production runs ``bentoml serve`` (or a Bento) directly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
SERVICE = "serving.service:MatcherService"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """``with ServiceProcess(model="models/champion") as svc: httpx.post(svc.url + "/match", ...)``"""

    def __init__(
        self,
        model: str | Path | None = None,
        port: int | None = None,
        request_log: str | Path | None = None,
        env: dict[str, str] | None = None,
        workers: int | None = None,
        ready_timeout: float = 180.0,
        output: IO[Any] | int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready_timeout = ready_timeout
        self.env = {**os.environ, "BENTOML_DO_NOT_TRACK": "true", **(env or {})}
        if model is not None:
            self.env["MATCHER_MODEL"] = str(model)
        if request_log is not None:
            self.env["MATCHER_REQUEST_LOG"] = str(request_log)
        if workers is not None:  # BentoML's own config override for the service's workers
            self.env["BENTOML_CONFIG_OPTIONS"] = f"services.matcher.workers={int(workers)}"
        self._output = output
        self._logfile: IO[bytes] | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        bentoml = Path(sys.executable).with_name("bentoml")
        out = self._output
        if out is None:
            # lives as long as the process, closed in stop(): no context manager
            self._logfile = tempfile.NamedTemporaryFile(  # noqa: SIM115
                prefix="matcher-serve-", suffix=".log", delete=False
            )
            out = self._logfile
        self.proc = subprocess.Popen(
            [str(bentoml), "serve", SERVICE, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        return self

    def log_tail(self, n: int = 4000) -> str:
        if self._logfile is None:
            return ""
        return Path(self._logfile.name).read_text(errors="replace")[-n:]

    def wait_ready(self) -> float:
        """Seconds until ``/readyz`` answered 200; raises with the server log if it never does."""
        assert self.proc is not None, "start() first"
        t0 = time.monotonic()
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"bentoml serve exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - t0
            except httpx.TransportError:
                pass
            if time.monotonic() - t0 > self.ready_timeout:
                raise TimeoutError(
                    f"service not ready after {self.ready_timeout:.0f}s:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def _tree(self) -> list[Any]:
        import psutil

        if self.proc is None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    @staticmethod
    def _signal_all(procs: list[Any], sig: int) -> None:
        import psutil

        for p in reversed(procs):  # workers first
            with contextlib.suppress(psutil.NoSuchProcess):
                p.send_signal(sig)
        psutil.wait_procs(procs, timeout=20)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the arbiter and its workers (circus gives each worker a session of its own, so a
        process-group kill would miss them) and wait for them to exit."""
        self._signal_all(self._tree(), sig)

    def stop(self) -> None:
        """Graceful: SIGTERM to the arbiter (it stops the workers), then SIGKILL whatever is left."""
        if self.proc is None:
            return
        procs = self._tree()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=30)
        self._signal_all([p for p in procs if p.is_running()], signal.SIGKILL)
        self.proc.wait(timeout=10)
        if self._logfile is not None:
            self._logfile.close()
            Path(self._logfile.name).unlink(missing_ok=True)

    def __enter__(self) -> ServiceProcess:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
