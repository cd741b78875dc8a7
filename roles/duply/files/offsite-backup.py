#!/bin/sh
''':'
exec /usr/bin/python3 -I "$0" "$@"
'''
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# offsite-backup PROFILE: one unattended run of a duply profile, as cron starts it.
#
# The lines above start the host's python3 (isolated: no PYTHON* variables, no user
# site) on this file from sh, and are a string to Python. The duply role installs this
# file in duply_helper_dir beside the host library it imports (offsite_runner.py,
# duplicity_units.py, duply_globs.py) and links it from duply_runner_path. The run
# itself, its settings and its exit codes are described in offsite_runner.py.

import os
import sys

LIB_DIR = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, LIB_DIR)

import offsite_runner  # noqa: E402 pylint: disable=import-error,wrong-import-position

if __name__ == '__main__':
    sys.exit(offsite_runner.main(sys.argv[1:], LIB_DIR))
