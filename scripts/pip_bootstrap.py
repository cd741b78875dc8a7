# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stands in for the get-pip script ansible-test downloads into a fresh virtual
environment: install pip with ensurepip, then bring it to the version ansible-test asks
for (its arguments are pip requirement specifiers and a few get-pip flags)."""

import subprocess
import sys

GET_PIP_FLAGS = {"--no-setuptools", "--no-wheel", "--disable-pip-version-check"}


def main():
    wanted = [arg for arg in sys.argv[1:] if arg not in GET_PIP_FLAGS]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"],
                          stdout=subprocess.DEVNULL)
    if wanted:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + wanted)


if __name__ == "__main__":
    main()
