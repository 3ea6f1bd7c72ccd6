"""Run a command on a fresh pseudo-terminal, as a user's shell would, and report what it left in
that terminal's input queue once it ended: text pushed with TIOCSTI lands there and would be read
(and run) by the caller's shell next.

usage: python3 pty-harness.py JSON_ARGV   -> the command's terminal output, then one line
       HARNESS-RESULT {"status": N, "leftover": "..."}
"""
import fcntl
import json
import os
import pty
import subprocess
import sys
import termios

argv = json.loads(sys.argv[1])
pid, master = pty.fork()
if pid == 0:
    # The child: the pty slave is our controlling terminal and fd 0/1/2, like an interactive shell.
    status = subprocess.call(argv)
    pending = fcntl.ioctl(0, termios.FIONREAD, b"\0\0\0\0")
    n = int.from_bytes(pending, sys.byteorder)
    os.set_blocking(0, False)
    left = b""
    while n > 0:
        try:
            chunk = os.read(0, 4096)
        except BlockingIOError:
            break
        if not chunk:
            break
        left += chunk
        n -= len(chunk)
    line = json.dumps({"status": status, "leftover": left.decode("latin-1")})
    os.write(1, b"\r\nHARNESS-RESULT " + line.encode() + b"\r\n")
    os._exit(0)

out = b""
while True:
    try:
        data = os.read(master, 4096)
    except OSError:  # EIO once the slave side is closed
        break
    if not data:
        break
    out += data
os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
