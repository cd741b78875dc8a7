# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The remote filename grammar of duplicity, shared by the whole collection.

Every module, filter and helper of ``offsite.backup`` that needs to know what
a duplicity object is must use this file; do not re-implement the grammar.

Only the *basename* of a key (the text after the last ``/``) is examined. The
basename has the form::

    <file_prefix>duplicity-<rest>

where ``<file_prefix>`` is arbitrary (possibly empty) text coming from
duplicity's ``--file-prefix`` plus ``--file-prefix-archive``,
``--file-prefix-manifest``, ``--file-prefix-signature`` or
``--file-prefix-jsonstat``, and ``<rest>`` is exactly one of (``T``, ``T1``,
``T2`` are ``%Y%m%dT%H%M%SZ`` UTC timestamps, ``N`` a volume number)::

    duplicity-full.T.manifest                     full-manifest
    duplicity-inc.T1.to.T2.manifest               inc-manifest
    duplicity-full.T.volN.difftar                 full-volume
    duplicity-inc.T1.to.T2.volN.difftar           inc-volume
    duplicity-full-signatures.T.sigtar            full-signatures
    duplicity-new-signatures.T1.to.T2.sigtar      new-signatures
    duplicity-full.T.jsonstat                     jsonstat (duplicity >= 2.1)
    duplicity-inc.T1.to.T2.jsonstat               jsonstat (duplicity >= 2.1)

optionally followed by ``.part`` (duplicity's local partial files) and then
by at most one encoding suffix: ``.gpg`` (encrypted), ``.gz`` (compressed) or
``.p7m`` (accepted for tools that store S/MIME-encrypted copies; upstream
duplicity 0.8 to 3.0 only writes ``.gpg`` and ``.gz``). Nothing else may
follow: ``...manifest.gpg.bak`` is *not* a duplicity file (duplicity itself
is more lenient there). Volume numbers start at 1 and have no leading zero.

Checked against duplicity's ``file_naming.py`` (0.8.x and 2.0 to 3.0.1): the
names are ``<prefix>`` + body + ``.part`` when partial + suffix; jsonstat files
appeared in 2.1.0 (prefix option ``--file-prefix-jsonstat``).

Not supported:

* duplicity's ``--short-filenames`` forms (``df.<base36>...dt``, ``dfs...st``,
  ``.z``/``.g`` suffixes...). The option was deprecated in 0.8 and removed in
  duplicity 2.0; such objects are reported as non-duplicity files (None).
* the ``--old-filenames`` timestamps with separators and a local offset
  (``2002-08-17T16:17:01-07:00``; the default before 2009, deprecated in
  0.8, removed in 2.0).
* file prefixes containing ``/``: the part before the last ``/`` is reported
  as ``dirname`` and the prefix as empty.
"""

from __future__ import annotations

import datetime
import re
import typing as t

TIME_FORMAT = '%Y%m%dT%H%M%SZ'

KINDS = (
    'full-manifest',
    'inc-manifest',
    'full-signatures',
    'new-signatures',
    'full-volume',
    'inc-volume',
    'jsonstat',
)

CATEGORIES = ('manifest', 'signature', 'volume', 'jsonstat')

ENCODINGS = ('gpg', 'gz', 'p7m')

_CATEGORY_OF_KIND = {
    'full-manifest': 'manifest',
    'inc-manifest': 'manifest',
    'full-signatures': 'signature',
    'new-signatures': 'signature',
    'full-volume': 'volume',
    'inc-volume': 'volume',
    'jsonstat': 'jsonstat',
}

_TIME = r'[0-9]{8}T[0-9]{6}Z'
_FULL = r'\.(?P<end>' + _TIME + r')'
_INC = r'\.(?P<start>' + _TIME + r')\.to\.(?P<end>' + _TIME + r')'
_VOL = r'\.vol(?P<volume>[1-9][0-9]*)\.difftar'

# (kind, type, text after 'duplicity-' up to the optional .part/.encoding)
_FORMS = (
    ('full-manifest', 'full', r'full' + _FULL + r'\.manifest'),
    ('inc-manifest', 'inc', r'inc' + _INC + r'\.manifest'),
    ('full-volume', 'full', r'full' + _FULL + _VOL),
    ('inc-volume', 'inc', r'inc' + _INC + _VOL),
    ('full-signatures', 'full', r'full-signatures' + _FULL + r'\.sigtar'),
    ('new-signatures', 'inc', r'new-signatures' + _INC + r'\.sigtar'),
    ('jsonstat', 'full', r'full' + _FULL + r'\.jsonstat'),
    ('jsonstat', 'inc', r'inc' + _INC + r'\.jsonstat'),
)

# Each form is matched against the whole basename. The prefix is lazy, so the
# first 'duplicity-' from which the remainder is a complete name wins (a
# prefix may itself contain 'duplicity-').
_MATCHERS = tuple(
    (kind, set_type, re.compile(
        r'(?P<prefix>.*?)duplicity-' + body
        + r'(?P<partial>\.part)?(?:\.(?P<encoding>gpg|gz|p7m))?',
        re.DOTALL,
    ))
    for kind, set_type, body in _FORMS
)


class DuplicityFile(t.NamedTuple):
    """One parsed duplicity object name (immutable).

    ``dirname`` is everything before the basename including the trailing
    ``/`` (so ``key == dirname + basename``), or ``''``.
    For full sets ``start_time`` is None and ``end_time`` is the set time;
    for incremental sets and new-signatures ``start_time`` is the first time
    and ``end_time`` the ``to`` time. ``volume`` is an int for volumes only.
    ``encoding`` is ``'gpg'``, ``'gz'``, ``'p7m'`` or None.
    """

    key: str
    dirname: str
    file_prefix: str
    kind: str
    type: str
    start_time: t.Optional[str]
    end_time: str
    volume: t.Optional[int]
    encoding: t.Optional[str]
    partial: bool

    @property
    def category(self):
        """'manifest', 'signature', 'volume' or 'jsonstat'."""
        return _CATEGORY_OF_KIND[self.kind]

    @property
    def basename(self):
        """The key without its dirname."""
        return self.key[len(self.dirname):]

    @property
    def set_key(self):
        """(type, start_time, end_time): identifies the backup set."""
        return (self.type, self.start_time, self.end_time)

    def as_dict(self):
        """All fields plus 'category' as a plain dict."""
        result = dict(self._asdict())
        result['category'] = self.category
        return result


def _valid_time(value):
    try:
        datetime.datetime.strptime(value, TIME_FORMAT)
    except ValueError:
        return False
    return True


def parse(key):
    """Parse an object key; return a DuplicityFile or None.

    None is returned for anything that is not exactly a duplicity name
    (including non-string input and keys ending in '/').
    """
    if not isinstance(key, str):
        return None
    dirname, sep, basename = key.rpartition('/')
    if 'duplicity-' not in basename:
        return None
    for kind, set_type, matcher in _MATCHERS:
        match = matcher.fullmatch(basename)
        if match is not None:
            break
    else:
        return None

    start_time = match.group('start') if set_type == 'inc' else None
    end_time = match.group('end')
    for value in (start_time, end_time):
        if value is not None and not _valid_time(value):
            return None

    volume = match.groupdict().get('volume')
    return DuplicityFile(
        key=key,
        dirname=dirname + sep,
        file_prefix=match.group('prefix'),
        kind=kind,
        type=set_type,
        start_time=start_time,
        end_time=end_time,
        volume=None if volume is None else int(volume),
        encoding=match.group('encoding'),
        partial=match.group('partial') is not None,
    )


def time_to_datetime(value):
    """Convert a duplicity time string (20240101T000000Z) to an aware UTC datetime.

    None gives None; anything else that is not a valid time raises ValueError.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(_TIME, value):
        raise ValueError('not a duplicity time string: %r' % (value,))
    parsed = datetime.datetime.strptime(value, TIME_FORMAT)
    return parsed.replace(tzinfo=datetime.timezone.utc)


def glacierable(kind):
    """True if objects of this kind may go to a cold storage class.

    Only volumes (difftar) may: duplicity must read manifests, signatures and
    jsonstat files on every run. Accepts a kind string or a DuplicityFile.
    """
    if isinstance(kind, DuplicityFile):
        kind = kind.kind
    if kind not in _CATEGORY_OF_KIND:
        raise ValueError('unknown duplicity file kind: %r' % (kind,))
    return _CATEGORY_OF_KIND[kind] == 'volume'


class BackupSet(t.NamedTuple):
    """All files of one backup set, whatever their file prefix.

    ``files`` is sorted by (category, volume, key).
    """

    type: str
    start_time: t.Optional[str]
    end_time: str
    files: t.Tuple[DuplicityFile, ...]

    @property
    def key(self):
        return (self.type, self.start_time, self.end_time)

    def _of(self, category):
        return tuple(f for f in self.files if f.category == category)

    @property
    def manifests(self):
        return self._of('manifest')

    @property
    def volumes(self):
        return self._of('volume')

    @property
    def signatures(self):
        return self._of('signature')

    @property
    def jsonstats(self):
        return self._of('jsonstat')


class BackupChain(t.NamedTuple):
    """A full set followed by the incrementals that extend it, in order."""

    full: BackupSet
    incrementals: t.Tuple[BackupSet, ...]

    @property
    def sets(self):
        return (self.full,) + self.incrementals

    @property
    def start_time(self):
        """Time of the full backup."""
        return self.full.end_time

    @property
    def end_time(self):
        """Time of the last set of the chain."""
        return self.sets[-1].end_time


class Grouping(t.NamedTuple):
    """Result of group_sets().

    ``sets`` maps (type, start_time, end_time) to BackupSet, ordered by time;
    ``chains`` are ordered by full time; ``orphans`` are the incremental sets
    that extend no chain.
    """

    sets: t.Dict[t.Tuple[str, t.Optional[str], str], BackupSet]
    chains: t.Tuple[BackupChain, ...]
    orphans: t.Tuple[BackupSet, ...]


_CATEGORY_ORDER = dict((c, i) for i, c in enumerate(CATEGORIES))


def _set_order(set_key):
    set_type, start_time, end_time = set_key
    return (end_time, 0 if set_type == 'full' else 1, start_time or '')


def group_sets(parsed_files):
    """Group DuplicityFile objects into backup sets and chains.

    ``parsed_files`` is any iterable of parse() results; None entries are
    skipped, so ``group_sets(parse(k) for k in keys)`` works. Files are grouped
    on (type, start_time, end_time) only, ignoring file prefix and dirname, so
    pass the files of one duplicity target. Signatures and jsonstat files
    belong to the set with the same times.

    A chain starts at each full set; an incremental set is appended to the
    chain whose current end time equals the incremental's start time (the
    most recent such chain if several match). Incremental sets that fit no
    chain are returned as orphans.
    """
    buckets = {}
    for parsed in parsed_files:
        if parsed is None:
            continue
        if not isinstance(parsed, DuplicityFile):
            raise TypeError('group_sets() expects DuplicityFile objects, got %r' % (parsed,))
        buckets.setdefault(parsed.set_key, []).append(parsed)

    sets = {}
    for set_key in sorted(buckets, key=_set_order):
        files = sorted(
            buckets[set_key],
            key=lambda f: (_CATEGORY_ORDER[f.category], f.volume or 0, f.key),
        )
        sets[set_key] = BackupSet(set_key[0], set_key[1], set_key[2], tuple(files))

    chains = []  # list of [full_set, [incrementals]]
    orphans = []
    for backup_set in sets.values():
        if backup_set.type == 'full':
            chains.append([backup_set, []])
            continue
        for chain in reversed(chains):
            current_end = chain[1][-1].end_time if chain[1] else chain[0].end_time
            if current_end == backup_set.start_time:
                chain[1].append(backup_set)
                break
        else:
            orphans.append(backup_set)

    return Grouping(
        sets=sets,
        chains=tuple(BackupChain(full, tuple(incs)) for full, incs in chains),
        orphans=tuple(orphans),
    )
