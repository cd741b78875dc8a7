# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which objects a ``duplicity restore`` to a time needs: inventory() groups a listing by
folder and set, select() picks the chain and sets and their objects."""

from __future__ import annotations

import typing as t

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import group_sets, parse
    from ansible_collections.offsite.backup.plugins.module_utils.restore_states import storage_class_of
    from ansible_collections.offsite.backup.plugins.module_utils.restore_times import iso, time_key
else:  # imported as top-level modules beside each other (host helpers, benchmarks)
    from duplicity_names import group_sets, parse  # pylint: disable=import-error
    from restore_states import storage_class_of  # pylint: disable=import-error
    from restore_times import iso, time_key  # pylint: disable=import-error


class SelectionError(ValueError):
    """No backup chain can restore the requested time."""


class Inventory(t.NamedTuple):
    """What a listing holds, grouped by folder.

    ``objects`` maps every key to its listing entry (dict with key, size, storage_class);
    ``groupings`` maps each folder (the dirname of duplicity objects, '' for the bucket's
    root) to duplicity_names.group_sets() of the duplicity objects in it; ``other`` is the
    list of keys that are not duplicity names.
    """

    objects: t.Dict[str, dict]
    groupings: t.Dict[str, t.Any]
    other: t.Tuple[str, ...]


def normalise_prefix(prefix):
    """A duplicity target's folder: '' or text ending in '/'."""
    prefix = prefix or ''
    if prefix and not prefix.endswith('/'):
        prefix += '/'
    return prefix


def inventory(entries):
    """Group listing entries (dicts with at least 'key'; 'size', 'storage_class') by folder and set."""
    objects = {}
    by_folder = {}
    other = []
    for entry in entries:
        entry = dict(entry)
        entry.setdefault('size', 0)
        entry['storage_class'] = storage_class_of(entry.get('storage_class'))
        objects[entry['key']] = entry
        parsed = parse(entry['key'])
        if parsed is None:
            other.append(entry['key'])
            continue
        by_folder.setdefault(parsed.dirname, []).append(parsed)
    groupings = dict((folder, group_sets(by_folder[folder])) for folder in sorted(by_folder))
    return Inventory(objects, groupings, tuple(sorted(other)))


def set_is_complete(backup_set):
    """True when the set has a manifest (duplicity ignores sets without one)."""
    return any(not f.partial for f in backup_set.manifests)


def needed_files(backup_set):
    """The objects of a set a restore reads: volumes, manifest, signatures and jsonstat, not .part files."""
    return tuple(f for f in backup_set.files if not f.partial)


class Selection(t.NamedTuple):
    """The result of select(): the chain, its sets up to the time, their objects' keys."""

    folder: str
    chain: t.Any
    sets: t.Tuple[t.Any, ...]
    keys: t.Tuple[str, ...]
    warnings: t.Tuple[str, ...]


def select(grouping, moment=None, folder=''):
    """Choose what a duplicity restore to ``moment`` (aware datetime, None: latest) needs.

    The chain is the one whose full set is the latest complete one at or before the
    time; the sets are its full set and its incrementals whose end time is at or before
    the time, in order, up to the first incomplete one (no manifest), as duplicity reads
    them. The objects are every volume, manifest, signature file and jsonstat file of
    those sets (so the chain's full signatures too), without duplicity's .part files,
    and the manifests and signature files of every other set of the folder: before a
    restore, duplicity copies every one of those its cache lacks (all of them on a
    replacement host), whatever time it restores to. Raises SelectionError when no
    chain qualifies.
    """
    limit = None if moment is None else time_key(moment)
    where = 'under %r' % folder if folder else 'at the root of the bucket'
    warnings = []
    chains = [chain for chain in grouping.chains if set_is_complete(chain.full)]
    if not chains:
        if grouping.chains:
            raise SelectionError('no complete full backup %s: the full sets at %s have no manifest' % (
                where, ', '.join(iso(chain.full.end_time) for chain in grouping.chains)))
        raise SelectionError('no duplicity backup chain %s (%d incremental sets without their full)' % (
            where, len(grouping.orphans)))
    candidates = [chain for chain in chains if limit is None or chain.full.end_time <= limit]
    if not candidates:
        raise SelectionError(
            'no backup %s is as old as %s: the earliest full backup is from %s' % (
                where, iso(moment), iso(chains[0].full.end_time)))
    chain = candidates[-1]
    for other in grouping.chains:
        if other.full.end_time > chain.full.end_time and (limit is None or other.full.end_time <= limit) \
                and not set_is_complete(other.full):
            warnings.append('the full set of %s has no manifest (an interrupted backup?); using the chain of %s' % (
                iso(other.full.end_time), iso(chain.full.end_time)))
    sets = [chain.full]
    for increment in chain.incrementals:
        if limit is not None and increment.end_time > limit:
            break
        if not set_is_complete(increment):
            warnings.append('the incremental set of %s has no manifest (an interrupted backup?); '
                            'duplicity restores up to %s' % (iso(increment.end_time), iso(sets[-1].end_time)))
            break
        sets.append(increment)
    keys = [f.key for backup_set in sets for f in needed_files(backup_set)]
    chosen = set(keys)
    for backup_set in grouping.sets.values():
        for parsed in backup_set.manifests + backup_set.signatures:
            if not parsed.partial and parsed.key not in chosen:
                keys.append(parsed.key)
                chosen.add(parsed.key)
    return Selection(folder, chain, tuple(sets), tuple(keys), tuple(warnings))
