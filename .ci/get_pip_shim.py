"""Offline stand-in for get-pip.py, used by ansible-test's pip bootstrap.

ansible-test creates its sanity venvs without pip and downloads get-pip.py from
ci-files.testing.ansible.com to bootstrap it; that host is unreachable here. hacking/ansible_test.sh
copies this file to ~/.ansible/test/cache/get_pip_<version>.py, which ansible-test then uses as
its cached bootstrap script. It installs pip from the interpreter's bundled ensurepip wheel, then
asks that pip for what get-pip.py was asked for (the pinned pip version) from the package index.

ensurepip sets PIP_CONFIG_FILE=/dev/null and drops the PIP_* variables while it runs; the
environment is restored afterwards, otherwise pip loses the machine's global configuration
(which may carry the CA bundle needed to reach the index).
"""
import ensurepip
import os
import subprocess
import sys


def main():
    saved = dict(os.environ)
    ensurepip.bootstrap(upgrade=True, default_pip=True)
    os.environ.clear()
    os.environ.update(saved)
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    return subprocess.call([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"] + args)


if __name__ == "__main__":
    sys.exit(main())
