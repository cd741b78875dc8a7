# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restore drills: what a drill checks, which files it samples and what it may spend.

A drill proves a profile restores. It checks the latest chain's metadata in the bucket
(check_chain()), picks a random sample of the latest backup's files that fits the
profile's budget (choose()), preferring files whose volumes are readable now, and
compares what duplicity restores with the source (compare()). Files whose volumes sit in
an archive class are requested first and the drill finishes on a later run (the pending
state). The runner (offsite_runner) does the I/O: duply, S3, mail, monitors, metrics.

Standard library only: the runner imports it on the backup host.
"""

from __future__ import annotations

import os
import re
import stat
import typing as t

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils import offsite_metrics, restore_estimate
    from ansible_collections.offsite.backup.plugins.module_utils.restore_selection import set_is_complete
else:  # on the host this file is a top-level module beside the others
    import offsite_metrics  # pylint: disable=import-error
    import restore_estimate  # pylint: disable=import-error
    from restore_selection import set_is_complete  # pylint: disable=import-error

DAY = 86400
READABLE = ('not_archived', 'restored')
TIERS = ('Bulk', 'Standard', 'Expedited')

# name: (types, default); None: required.
SETTINGS = {
    'every_days': ((int,), 30),
    'files': ((int,), 20),
    'max_bytes': ((int,), 512 * 1024 * 1024),
    'max_cost_usd': ((int, float), 0.05),
    'tier': ((str,), 'Bulk'),
    'days': ((int,), 2),
    'bucket': ((str,), None),
    'prefix': ((str,), ''),
    'endpoint_url': ((str,), ''),
    'region': ((str,), ''),
    'source': ((str,), None),
}

# duplicity's list-current-files: time.asctime() of the mtime, a space, the path.
_LISTED = re.compile(r'^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} (.+)$')
_VOLUME = re.compile(rb'^Volume ([0-9]+):', re.I)


def settings_errors(data, where='drill'):
    """What is wrong with a profile's drill settings (a dict), as messages that say what to fix."""
    if not isinstance(data, dict):
        return ['%s must be a mapping' % where]
    problems = ['%s has an unknown key %s' % (where, key) for key in sorted(set(data) - set(SETTINGS))]
    for key, (kinds, default) in SETTINGS.items():
        value = data.get(key, default)
        if value is None:
            problems.append('%s needs %s' % (where, key))
        elif not isinstance(value, kinds) or isinstance(value, bool):
            problems.append('%s: %s must be a %s, not %r' % (where, key, kinds[0].__name__, value))
    if problems:
        return problems
    for key in ('every_days', 'files', 'days'):
        if data.get(key, SETTINGS[key][1]) < 1:
            problems.append('%s: %s must be 1 or more' % (where, key))
    for key in ('max_bytes', 'max_cost_usd'):
        if data.get(key, SETTINGS[key][1]) < 0:
            problems.append('%s: %s must be 0 or more' % (where, key))
    if data.get('tier', 'Bulk') not in TIERS:
        problems.append('%s: tier must be one of %s, not %r' % (where, ', '.join(TIERS), data['tier']))
    return problems


def parse_settings(data):
    """The drill settings with defaults filled in; ValueError says what to fix."""
    problems = settings_errors(data)
    if problems:
        raise ValueError('; '.join(problems))
    out = dict((key, data.get(key, default)) for key, (dummy, default) in SETTINGS.items())
    out['max_cost_usd'] = float(out['max_cost_usd'])
    return out


def listed_paths(lines):
    """The paths duplicity's list-current-files printed (duply list), without the root '.'."""
    out = []
    for line in lines:
        match = _LISTED.match(line)
        if match and match.group(1) != '.':
            out.append(match.group(1))
    return out


def leaves(paths):
    """The paths no other path is under: files, links and empty directories, sorted."""
    parents = set(path.rsplit('/', 1)[0] for path in paths if '/' in path)
    return sorted(set(path for path in paths if path not in parents))


def unquote(text):
    """A path of a manifest, as duplicity's manifest.Quote wrote it (bytes)."""
    if not text.startswith(b'"'):
        return text
    return re.sub(rb'\\x([0-9a-fA-F]{2})', lambda m: bytes([int(m.group(1), 16)]), text[1:-1])


def _index(text):
    path = unquote(text)
    return () if path == b'.' else tuple(path.split(b'/'))


def parse_manifest(data):
    """{volume number: (start index, end index)} of a duplicity manifest (bytes, decrypted).

    An index is the tuple of a path's components (bytes), () for the root. ValueError
    when the manifest has no volume or a volume lacks its paths.
    """
    volumes = {}
    for block in re.split(rb'\n(?=Volume [0-9]+:)', data):
        lines = block.strip().split(b'\n')
        match = _VOLUME.match(lines[0])
        if not match:
            continue
        fields = {}
        for line in lines[1:]:
            words = line.split()
            if len(words) >= 2:
                fields[words[0].lower()] = words[1]
        if b'startingpath' not in fields or b'endingpath' not in fields:
            raise ValueError('volume %s has no StartingPath or EndingPath' % match.group(1).decode())
        volumes[int(match.group(1))] = (_index(fields[b'startingpath']), _index(fields[b'endingpath']))
    if not volumes:
        raise ValueError('no volume in the manifest')
    return volumes


def volumes_of(volumes, path):
    """The numbers of the volumes that may hold path (text), as duplicity's VolumeInfo.contains decides."""
    index = tuple(os.fsencode(path).split(b'/'))
    return [number for number, (start, end) in sorted(volumes.items()) if start[:len(index)] <= index <= end]


def latest_chain(grouping):
    """The chain a restore of the latest backup reads (the newest with a complete full), or None."""
    chains = [chain for chain in grouping.chains if set_is_complete(chain.full)]
    return chains[-1] if chains else None


def chain_sets(chain):
    """The sets of the chain duplicity restores from: up to the first without a manifest."""
    out = []
    for backup_set in chain.sets:
        if not set_is_complete(backup_set):
            break
        out.append(backup_set)
    return out


def check_chain(grouping, states, manifests, where=''):
    """Problems of the latest chain's metadata, as text; [] when a restore can read it.

    ``states`` maps keys to restore_states.classify() results; ``manifests`` maps each
    set's key (type, start, end) to parse_manifest()'s result, or to the text of why it
    could not be read or parsed; None leaves the manifests' volumes unchecked.
    """
    where = ' under %s' % where if where else ''
    chain = latest_chain(grouping)
    if chain is None:
        return ['no complete backup chain%s' % where]
    problems = []
    if grouping.orphans:
        problems.append('%d incremental set(s)%s extend no chain (a gap in the chain?): %s' % (
            len(grouping.orphans), where, ', '.join(s.end_time for s in grouping.orphans)))
    sets = chain_sets(chain)
    if len(sets) < len(chain.sets):
        problems.append('the incremental set of %s has no manifest: the chain ends before it' % chain.sets[len(sets)].end_time)
    for backup_set in sets:
        name = '%s set %s' % ('full' if backup_set.type == 'full' else 'incremental', backup_set.end_time)
        if not [f for f in backup_set.signatures if not f.partial]:
            problems.append('the %s has no signatures' % name)
        for parsed in [f for f in backup_set.manifests + backup_set.signatures if not f.partial]:
            state = states.get(parsed.key) or {}
            if state.get('error'):
                problems.append('%s: %s' % (parsed.key, state['error']))
            elif state.get('state') not in READABLE:
                problems.append('%s is in %s (%s): restores cannot read it' % (
                    parsed.key, state.get('storage_class'), state.get('state')))
        if manifests is None:
            continue
        volumes = manifests.get(backup_set.key)
        if not isinstance(volumes, dict):
            problems.append('the manifest of the %s cannot be used: %s' % (name, volumes or 'not in the local archive'))
            continue
        present = set(f.volume for f in backup_set.volumes if not f.partial)
        missing = sorted(set(volumes) - present)
        if missing:
            problems.append('the %s lacks volume(s) %s' % (name, ', '.join(str(n) for n in missing)))
    return problems


def needed_volumes(sets, manifests, path):
    """The keys of the volumes a restore of path reads, in every set of the chain."""
    keys = []
    for backup_set in sets:
        numbers = set(volumes_of(manifests[backup_set.key], path))
        keys.extend(f.key for f in backup_set.volumes if not f.partial and f.volume in numbers)
    return keys


class Sample(t.NamedTuple):
    """choose()'s result: the files, the keys to request, what reading them costs."""

    files: t.Tuple[str, ...]
    request: t.Tuple[str, ...]
    read_bytes: int
    request_bytes: int
    cost_usd: float
    skipped: t.Tuple[str, ...]


def cost_of(keys, objects, states, tier, days):
    """USD to restore keys from their archive tiers at tier for days (retrieval, requests, copies), or
    None when the tier cannot restore one of them."""
    items = [(states[key]['archive_tier'], objects[key]['size']) for key in keys]
    prices = restore_estimate.PRICES
    if any(tier not in prices[name] for name, dummy in items):
        return None
    # From the price table, not estimate()'s rounded figures: a budget of 0 must refuse even
    # a tiny retrieval.
    total = sum(size / restore_estimate.GIB * prices[name][tier]['per_gb'] + prices[name][tier]['per_1000_requests'] / 1000.0
                for name, size in items)
    copies = sum(size for name, size in items if not name.startswith('IT_'))
    return total + copies / restore_estimate.GIB * restore_estimate.RESTORED_COPY_PER_GB_MONTH * days / 30.0


def choose(candidates, needs, objects, states, settings, rng):
    """A random sample of up to settings['files'] candidates that fits the budget.

    ``needs`` maps each candidate to the keys of the volumes its restore reads. Files whose
    volumes are all readable come first; the others join while the bytes the drill reads
    stay within max_bytes and the archived volumes they add cost at most max_cost_usd at
    the settings' tier. ``skipped`` says why files were left out for the budget.
    """
    order = list(candidates)
    rng.shuffle(order)
    readable = [path for path in order if all(states[key]['state'] in READABLE for key in needs[path])]
    archived = [path for path in order if path not in readable]
    chosen, reading, requesting, skipped = [], set(), set(), []
    cost = 0.0
    for path in readable + archived:
        if len(chosen) >= settings['files']:
            break
        keys = set(needs[path])
        wanted = reading | keys
        size = sum(objects[key]['size'] for key in wanted)
        if size > settings['max_bytes']:
            skipped.append('%s: reading its volumes would bring the drill to %d bytes, over max_bytes %d' % (
                path, size, settings['max_bytes']))
            continue
        archived_keys = requesting | set(key for key in keys if states[key]['state'] not in READABLE)
        new_cost = cost_of(sorted(archived_keys), objects, states, settings['tier'], settings['days'])
        if new_cost is None:
            skipped.append('%s: its volumes cannot be restored with the %s tier' % (path, settings['tier']))
            continue
        if new_cost > settings['max_cost_usd']:
            skipped.append('%s: restoring its archived volumes would bring the drill to $%.6f, over max_cost_usd $%.2f'
                           % (path, new_cost, settings['max_cost_usd']))
            continue
        chosen.append(path)
        reading, requesting, cost = wanted, archived_keys, new_cost
    request = sorted(key for key in requesting if states[key]['state'] == 'archived')
    return Sample(tuple(chosen), tuple(request), sum(objects[key]['size'] for key in reading),
                  sum(objects[key]['size'] for key in requesting), cost, tuple(skipped))


def state_path(state_dir, profile):
    return os.path.join(state_dir, profile + '.drill.json')


def status(drill, state, now):
    """What ``offsite-backup status`` says of a profile's drills (None: the profile has none)."""
    if not drill:
        return None
    pending = state.get('pending') or {}
    return {'last_success': state.get('last_success'), 'last_end': state.get('last_end'),
            'last_ok': state.get('last_ok'), 'files': state.get('files'), 'cost_usd': state.get('cost_usd'),
            'pending': bool(pending), 'pending_since': pending.get('since'),
            'due': due(state, drill['every_days'], now)}


def due(state, every_days, now):
    """True when a scheduled drill should run: one is pending, or the last success is every_days old."""
    if state.get('pending'):
        return True
    last = state.get('last_success')
    return last is None or now - last >= every_days * DAY - 3600


def same_bytes(first, second, chunk=1 << 20):
    """True when two files hold the same bytes (filecmp caches by stat; this reads)."""
    with open(first, 'rb') as one, open(second, 'rb') as two:
        while True:
            left, right = one.read(chunk), two.read(chunk)
            if left != right:
                return False
            if not left:
                return True


def compare(source, restored):
    """('ok' | 'changed' | 'differs' | 'missing', detail) for a restored file against the source.

    A file whose source changed since the backup (other size or mtime, another type, or
    gone) is 'changed', not a failure; 'missing' means the restore produced nothing.
    """
    try:
        got = os.lstat(restored)
    except FileNotFoundError:
        return 'missing', 'the restore produced no file'
    try:
        have = os.lstat(source)
    except FileNotFoundError:
        return 'changed', 'gone from the source since the backup'
    if stat.S_IFMT(got.st_mode) != stat.S_IFMT(have.st_mode):
        return 'changed', 'another type in the source now'
    if stat.S_ISLNK(got.st_mode):
        same = os.readlink(source) == os.readlink(restored)
        return ('ok', 'symlink') if same else ('differs', 'the link target differs')
    if not stat.S_ISREG(got.st_mode):
        return 'ok', 'not a regular file: type checked'
    if got.st_size != have.st_size or int(got.st_mtime) != int(have.st_mtime):
        return 'changed', 'size or mtime changed since the backup'
    if same_bytes(source, restored):
        return 'ok', '%d bytes equal' % got.st_size
    return 'differs', 'same size and mtime as the source, other bytes'


METRICS = (
    ('last_success', 'drill_last_success_timestamp_seconds', 'End of the last drill that passed, seconds since the epoch.'),
    ('last_end', 'drill_last_end_timestamp_seconds', 'End of the last drill, seconds since the epoch.'),
    ('last_ok', 'drill_last_ok', '1 when the last drill passed, 0 when it failed.'),
    ('files', 'drill_files_checked', 'Files the last finished drill restored and checked.'),
    ('bytes', 'drill_bytes_read', 'Bytes of volumes the last finished drill read.'),
    ('cost_usd', 'drill_cost_usd', 'Estimated cost of the archived volumes the last drill requested.'),
    ('pending_flag', 'drill_pending', '1 while a drill waits for archived volumes to be restored.'),
)


def render_metrics(profile, state):
    """The Prometheus text of a profile's drill state."""
    values = dict(state, pending_flag=bool(state.get('pending')))
    label = 'profile="%s"' % offsite_metrics.escape(profile)
    return '\n'.join(line for key, name, text in METRICS
                     for line in offsite_metrics.gauge(name, text, [(label, values.get(key))])) + '\n'
