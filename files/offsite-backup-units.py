# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""offsite-backup-units: the units of a split duply profile, on a backup host.

The runner (offsite-backup) calls this for profiles with ``split``. It needs python3 only.
Install it in one directory with the two library files it imports, for example
/usr/local/lib/offsite-backup/ (root-owned, 0644):

    files/offsite-backup-units.py                   -> offsite-backup-units.py
    plugins/module_utils/duplicity_units.py         -> duplicity_units.py
    plugins/module_utils/duply_globs.py             -> duply_globs.py

    python3 offsite-backup-units.py list --source DIR --depth N [--order name|size] [--exclude FILE]
    python3 offsite-backup-units.py prepare --profile-dir /etc/duply/P --runtime-dir DIR \
        --source DIR --depth N [--order name|size]
    python3 offsite-backup-units.py profile --profile-dir /etc/duply/P --runtime-dir DIR \
        --source DIR --slug SLUG

Both print one line per unit, in the order to back them up: SLUG, source bytes and the
unit's directory (control characters shown as '?', the remainder as '(rest)'), separated
by tabs; prepare adds the unit's duply profile directory before the directory name.
prepare writes RUNTIME/P/P--SLUG/ for each unit (0700; files 0600): a conf that sources
the profile's conf and points SOURCE at the unit and TARGET at PREFIX/SLUG, the unit's
exclude file, and links to the profile's hooks and key files. duply names the unit's
duplicity cache after that directory, so each unit keeps its own. Exit status: 0, 1 when
the source cannot be split, 2 for bad arguments or missing library files.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import sys


def load(lib_dir):
    sys.path.insert(0, os.path.abspath(lib_dir or os.path.dirname(os.path.abspath(__file__))))
    import duplicity_units  # pylint: disable=import-error,import-outside-toplevel
    return duplicity_units


def read_lines(path):
    with open(path, 'rb') as handle:
        text = handle.read().decode('utf-8', 'surrogateescape')
    return [line for line in text.splitlines() if line[:2] in ('+ ', '- ')]


def display(relpath):
    if relpath is None:
        return '(rest)'
    return re.sub(r'[\x00-\x1f\x7f\udc80-\udcff]', '?', relpath)


def ordered(units_mod, source, units, order):
    base = os.path.normpath(source)
    inside = {os.path.join(base, u.relpath) for u in units if u.relpath is not None}
    sizes = {u.slug: units_mod.tree_size(os.path.join(base, u.relpath)) if u.relpath is not None
             else units_mod.tree_size(base, skip=inside) for u in units}
    if order == 'size':
        units = sorted(units, key=lambda u: sizes[u.slug])
    return units, sizes


def write(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(text.encode('utf-8', 'surrogateescape'))


def unit_dir(args, slug, label, source, filelist):
    """Write the duply profile of one unit below RUNTIME/PROFILE/; return its path."""
    profile = os.path.basename(os.path.normpath(args.profile_dir))
    path = os.path.join(args.runtime_dir, profile, '%s--%s' % (profile, slug))
    os.mkdir(path, 0o700)
    write(os.path.join(path, 'conf'),
          '# Unit %s of duply profile %s, written by offsite-backup-units.\n'
          '. %s\nSOURCE=%s\nTARGET="$TARGET/%s"\n'
          % (label, profile, shlex.quote(os.path.join(args.profile_dir, 'conf')), shlex.quote(source), slug))
    write(os.path.join(path, 'exclude'), ''.join(line + '\n' for line in filelist))
    for name in os.listdir(args.profile_dir):
        if name in ('pre', 'post') or name.startswith('gpgkey.'):
            os.symlink(os.path.join(args.profile_dir, name), os.path.join(path, name))
    return path


def fresh_root(args, slug=None):
    """Make RUNTIME/PROFILE/ (0700) anew, or only the directory of the unit slug."""
    profile = os.path.basename(os.path.normpath(args.profile_dir))
    root = os.path.join(args.runtime_dir, profile)
    for path in (args.runtime_dir, root):
        os.makedirs(path, mode=0o700, exist_ok=True)
        os.chmod(path, 0o700)
    shutil.rmtree(os.path.join(root, '%s--%s' % (profile, slug)) if slug else root, ignore_errors=True)
    if not slug:
        os.mkdir(root, 0o700)


def prepare(units_mod, args, units, lines):
    fresh_root(args)
    source = os.path.normpath(args.source)
    return {u.slug: unit_dir(args, u.slug, display(u.relpath), os.path.join(source, u.relpath) if u.relpath else source,
                             units_mod.unit_filelist(lines, args.source, u.relpath, units))
            for u in units}


def main(argv=None):
    parser = argparse.ArgumentParser(prog='offsite-backup-units', description=__doc__.splitlines()[0])
    parser.add_argument('command', choices=['list', 'prepare', 'profile'])
    parser.add_argument('--slug', help='the unit (profile)')
    parser.add_argument('--source', required=True)
    parser.add_argument('--depth', type=int, help='split depth (list, prepare)')
    parser.add_argument('--order', choices=['name', 'size'], default='name')
    parser.add_argument('--exclude', help="the profile's exclude file (default: PROFILE-DIR/exclude)")
    parser.add_argument('--profile-dir', help='the duply profile directory (prepare)')
    parser.add_argument('--runtime-dir', default='/run/offsite-backup', help='where prepare writes (default: %(default)s)')
    parser.add_argument('--lib-dir', default=os.environ.get('OFFSITE_BACKUP_LIB'))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command != 'profile' and not args.depth:
        parser.error('%s needs --depth' % args.command)
    if args.command != 'list' and not args.profile_dir:
        parser.error('%s needs --profile-dir' % args.command)
    if args.command == 'profile':
        if not args.slug or not re.match(r'^[A-Za-z0-9._-]+$', args.slug) or args.slug in ('.', '..'):
            parser.error('profile needs --slug, a unit name as the bucket shows it')
        # For restores: no discovery, so the source need not exist.
        fresh_root(args, args.slug)
        print(unit_dir(args, args.slug, args.slug, os.path.normpath(args.source), []))
        return 0
    exclude = args.exclude or (os.path.join(args.profile_dir, 'exclude') if args.profile_dir else None)
    try:
        units_mod = load(args.lib_dir)
    except ImportError as exc:
        print('offsite-backup-units: %s' % exc, file=sys.stderr)
        return 2
    try:
        lines = read_lines(exclude) if exclude else []
        units = units_mod.discover(args.source, args.depth, lines)
        units, sizes = ordered(units_mod, args.source, units, args.order)
        dirs = prepare(units_mod, args, units, lines) if args.command == 'prepare' else {}
    except (OSError, ValueError) as exc:
        print('offsite-backup-units: %s' % exc, file=sys.stderr)
        return 1
    for unit in units:
        fields = [unit.slug, str(sizes[unit.slug])] + ([dirs[unit.slug]] if dirs else []) + [display(unit.relpath)]
        sys.stdout.buffer.write(('\t'.join(fields) + '\n').encode('utf-8', 'replace'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
