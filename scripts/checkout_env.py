# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Python scripts under scripts/ need before their imports, so they run as
written from a checkout: the harness venv's interpreter (it has boto3), and this
checkout importable as ``ansible_collections.offsite.backup``.

    import checkout_env  # first, before boto3 and the collection
"""

import os
import sys

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.environ.get("OFFSITE_WORK") or os.path.join(CHECKOUT, ".work")
VENV = os.environ.get("OFFSITE_VENV") or os.path.join(WORK, "venv")


def _reexec_in_venv():
    try:
        import boto3  # noqa: F401
        return
    except ImportError:
        pass
    python = os.path.join(VENV, "bin", "python")
    if not os.access(python, os.X_OK) or os.environ.get("OFFSITE_CHECKOUT_ENV_REEXEC"):
        sys.exit("%s needs boto3: run `make venv` first, or use a Python that has it" % sys.argv[0])
    os.environ["OFFSITE_CHECKOUT_ENV_REEXEC"] = "1"
    os.execv(python, [python] + sys.argv)


def _link_checkout():
    # ansible_collections/offsite/backup must be a directory of that name; a link to the
    # checkout under .work gives it one without copying anything.
    top = os.path.join(WORK, "pythonpath")
    link = os.path.join(top, "ansible_collections", "offsite", "backup")
    if os.path.realpath(link) != CHECKOUT:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        tmp = "%s.%d" % (link, os.getpid())
        os.symlink(CHECKOUT, tmp)
        os.replace(tmp, link)
    sys.path.insert(0, top)


_reexec_in_venv()
_link_checkout()
