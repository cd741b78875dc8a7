# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""offsite-backup-units: the units of a split duply profile, on a backup host.

The runner (offsite-backup) backs split profiles up unit by unit itself; this program
shows the units as it finds them and writes one unit's duply profile for a restore. It
needs python3 only; the role installs it in duply_helper_dir beside the host library
(duplicity_units.py, duply_globs.py):

    python3 offsite-backup-units.py list --source DIR --depth N [--order name|size] [--exclude FILE]
    python3 offsite-backup-units.py profile --profile-dir /etc/duply/P --runtime-dir DIR \\
        --source DIR --slug SLUG

list prints one line per unit, in the order the runner backs them up: SLUG, source
bytes and the unit's directory (control characters shown as '?', the remainder as
'(rest)'), separated by tabs. profile writes RUNTIME/P/P--SLUG/ (0700; files 0600): a
conf that sources the profile's conf and points SOURCE at the unit and TARGET at
PREFIX/SLUG, and links to the profile's hooks and key files; it prints that directory.
Exit status: 0, 1 when the source cannot be split, 2 for bad arguments or missing
library files.
"""

from __future__ import annotations

import argparse
import os
import re
import sys


def load(lib_dir):
    sys.path.insert(0, os.path.abspath(lib_dir or os.path.dirname(os.path.realpath(__file__))))
    import duplicity_units  # pylint: disable=import-error,import-outside-toplevel
    return duplicity_units


def main(argv=None):
    parser = argparse.ArgumentParser(prog='offsite-backup-units', description=__doc__.splitlines()[0])
    parser.add_argument('command', choices=['list', 'profile'])
    parser.add_argument('--slug', help='the unit (profile)')
    parser.add_argument('--source', required=True)
    parser.add_argument('--depth', type=int, help='split depth (list)')
    parser.add_argument('--order', choices=['name', 'size'], default='name')
    parser.add_argument('--exclude', help='a duply exclude file (list)')
    parser.add_argument('--profile-dir', help='the duply profile directory (profile)')
    parser.add_argument('--runtime-dir', default='/run/offsite-backup', help='where profile writes (default: %(default)s)')
    parser.add_argument('--lib-dir', default=os.environ.get('OFFSITE_BACKUP_LIB'))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == 'list' and not args.depth:
        parser.error('list needs --depth')
    if args.command == 'profile' and (not args.profile_dir or not args.slug
                                      or not re.match(r'^[A-Za-z0-9._-]+$', args.slug) or args.slug in ('.', '..')):
        parser.error('profile needs --profile-dir and --slug, a unit name as the bucket shows it')
    try:
        units_mod = load(args.lib_dir)
    except ImportError as exc:
        print('offsite-backup-units: %s' % exc, file=sys.stderr)
        return 2
    if args.command == 'profile':
        # For restores: no discovery, so the source need not exist.
        units_mod.fresh_runtime(args.profile_dir, args.runtime_dir, args.slug)
        print(units_mod.write_unit_profile(args.profile_dir, args.runtime_dir, args.slug, args.slug,
                                           os.path.normpath(args.source), []))
        return 0
    try:
        lines = units_mod.read_filelist(args.exclude) if args.exclude else []
        units = units_mod.discover(args.source, args.depth, lines)
        units, sizes = units_mod.ordered(args.source, units, args.order)
    except (OSError, ValueError) as exc:
        print('offsite-backup-units: %s' % exc, file=sys.stderr)
        return 1
    for unit in units:
        fields = [unit.slug, str(sizes[unit.slug]), units_mod.display(unit.relpath)]
        sys.stdout.buffer.write(('\t'.join(fields) + '\n').encode('utf-8', 'replace'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
