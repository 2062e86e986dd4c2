"""The TPMs the scenario suite and the benchmark talk to through tpm2-tools.

Two kinds, each started fresh in its own temporary directory and stopped at
the end:

* ``sim``: our engine behind ``svsm-vtpm-sim`` (the Microsoft simulator
  protocol), reached with the TCTI ``mssim:host=127.0.0.1,port=P``;
* ``swtpm``: Debian's swtpm (libtpms), the reference, reached with the TCTI
  ``swtpm:host=127.0.0.1,port=P`` (control channel on P + 1).
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

TOOL_TIMEOUT = 60


class ToolResult:
    """One tpm2-tools run: exit status, outputs and the TPM response code."""

    def __init__(self, argv, proc, seconds):
        self.argv = argv
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.seconds = seconds

    @property
    def tpm_rc(self):
        """The TPM response code the tool reported, or None.

        tpm2-tools prints ``ERROR: Esys_X(0x98E) - tpm:...`` for a TPM error;
        the last such code is the one that failed the tool.
        """
        codes = re.findall(r"\(0x([0-9A-Fa-f]+)\) - tpm:", self.stderr)
        return int(codes[-1], 16) if codes else None

    def describe(self):
        err = self.stderr.strip().splitlines()
        # The TPM's own answer says more than the tool's last words.
        tpm = [line for line in err if ") - tpm:" in line]
        tail = (tpm or err or [""])[-1]
        return f"`{' '.join(self.argv)}` exited {self.returncode}: {tail}"


def _free_port_pair():
    """A port P on 127.0.0.1 with P + 1 free too (both protocols use two)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise RuntimeError("no free pair of ports on 127.0.0.1")


def _wait_for_port(port, proc, what):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} does not listen on port {port}")


class Target:
    """A running TPM and the TCTI that reaches it; a context manager."""

    name = "?"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix=f"vtpm-{self.name}-")
        self.proc = None
        self.tcti = None

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def tool(self, *argv, stdin=None):
        """Runs one tpm2-tools program against this TPM."""
        argv = [str(a) for a in argv]
        env = dict(os.environ, TPM2TOOLS_TCTI=self.tcti)
        start = time.perf_counter()
        proc = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=self.dir,
            timeout=TOOL_TIMEOUT,
        )
        return ToolResult(argv, proc, time.perf_counter() - start)


class SimTarget(Target):
    """svsm-vtpm-sim on a port it picks itself (``--port 0``) and prints."""

    name = "sim"
    flags = []

    def __init__(self, binary):
        self.binary = binary
        super().__init__()

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "--port", "0", *self.flags],
            stdout=subprocess.PIPE,
            stderr=open(self.path("sim.log"), "w"),
            text=True,
        )
        line = self.proc.stdout.readline()
        match = re.search(r"port (\d+)", line)
        if not match:
            self.stop()
            raise RuntimeError(f"svsm-vtpm-sim printed no port: {line!r}")
        self.port = int(match.group(1))
        _wait_for_port(self.port, self.proc, "svsm-vtpm-sim")
        self.tcti = f"mssim:host=127.0.0.1,port={self.port}"

    def power_cycle(self):
        """POWER_OFF then POWER_ON on the platform port: _TPM_Init."""
        with socket.create_connection(("127.0.0.1", self.port + 1), timeout=10) as s:
            for signal in (2, 1):  # POWER_OFF, POWER_ON
                s.sendall(signal.to_bytes(4, "big"))
                ack = s.recv(4)
                if ack != bytes(4):
                    raise RuntimeError(f"platform signal {signal} answered {ack!r}")
            s.sendall((20).to_bytes(4, "big"))  # SESSION_END


class SimGateTarget(SimTarget):
    """svsm-vtpm-sim ``--gate``: the engine as the kernel runs it, every
    crypto call through the crypto gate's two ends (in one process)."""

    name = "sim-gate"
    flags = ["--gate"]


class SwtpmTarget(Target):
    """swtpm with a fresh state directory, already started (startup-clear)."""

    name = "swtpm"

    def start(self):
        port = _free_port_pair()
        self.proc = subprocess.Popen(
            [
                "swtpm", "socket", "--tpm2",
                "--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
                "--ctrl", f"type=tcp,port={port + 1},bindaddr=127.0.0.1",
                "--flags", "not-need-init,startup-clear",
                "--tpmstate", f"dir={self.dir}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.path("swtpm.log"), "w"),
        )
        _wait_for_port(port, self.proc, "swtpm")
        self.tcti = f"swtpm:host=127.0.0.1,port={port}"
        self.ctrl = f"127.0.0.1:{port + 1}"

    def power_cycle(self):
        """CMD_INIT on the control channel: _TPM_Init."""
        subprocess.run(["swtpm_ioctl", "--tcp", self.ctrl, "-i"], check=True,
                       capture_output=True, timeout=TOOL_TIMEOUT)


def make_target(kind, sim_binary):
    if kind == "sim":
        return SimTarget(sim_binary)
    if kind == "sim-gate":
        return SimGateTarget(sim_binary)
    if kind == "swtpm":
        return SwtpmTarget()
    raise ValueError(f"unknown target {kind}")
