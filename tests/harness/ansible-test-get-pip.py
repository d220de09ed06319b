"""Stand-in for ansible-test's pip bootstrap script, whose download host is not reachable from the test
machines. ansible-test runs it inside a fresh sanity venv with pip's arguments (for example `pip==24.2`):
install pip from Python's bundled ensurepip, then the requested versions from the package index."""

import ensurepip
import os
import subprocess
import sys

# ensurepip points PIP_CONFIG_FILE at /dev/null for its own run; the pip install below must see the
# machine's pip configuration (index, certificates) again.
environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--upgrade'] + args, env=environment)
# Python 3.11's ensurepip also installs setuptools; remove it when the real bootstrap would not have it.
if '--no-setuptools' in sys.argv:
    subprocess.check_call([sys.executable, '-m', 'pip', 'uninstall', '-y', '-q', 'setuptools'], env=environment)
