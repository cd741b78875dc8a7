# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backup sets and chains as plain dicts for module results: counts, sizes, storage
classes and restore states."""

from __future__ import annotations

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.restore_selection import inventory, set_is_complete
    from ansible_collections.offsite.backup.plugins.module_utils.restore_states import STATES
    from ansible_collections.offsite.backup.plugins.module_utils.restore_times import iso
else:  # imported as top-level modules beside each other (host helpers, benchmarks)
    from restore_selection import inventory, set_is_complete  # pylint: disable=import-error
    from restore_states import STATES  # pylint: disable=import-error
    from restore_times import iso  # pylint: disable=import-error


def _later(first, second):
    if first is None:
        return second
    if second is None:
        return first
    return max(first, second)


def _earlier(first, second):
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second)


def summarise(files, objects, states):
    """Counts of a group of DuplicityFile: objects, volumes, bytes, storage classes, restore states.

    ``objects`` maps keys to listing entries, ``states`` keys to classify() results.
    """
    summary = {'objects': 0, 'volumes': 0, 'bytes': 0, 'storage_classes': {},
               'restore_states': dict((state, 0) for state in STATES), 'unknown_state': 0,
               'restored_until': None, 'restored_first_expiry': None}
    latest = earliest = None
    for parsed in files:
        entry = objects[parsed.key]
        info = states[parsed.key]
        summary['objects'] += 1
        if parsed.category == 'volume' and not parsed.partial:
            summary['volumes'] += 1
        summary['bytes'] += int(entry.get('size') or 0)
        storage_class = info['storage_class']
        summary['storage_classes'][storage_class] = summary['storage_classes'].get(storage_class, 0) + 1
        if info['state'] is None:
            summary['unknown_state'] += 1
            continue
        summary['restore_states'][info['state']] += 1
        if info['state'] == 'restored' and info['expiry'] is not None:
            latest = _later(latest, info['expiry'])
            earliest = _earlier(earliest, info['expiry'])
    summary['restored_until'] = iso(latest)
    summary['restored_first_expiry'] = iso(earliest)
    return summary


def describe_set(backup_set, objects, states, files=None):
    """A backup set as a plain dict for module results.

    The counts cover ``files`` (default: every file of the set).
    """
    result = {
        'type': backup_set.type,
        'time': iso(backup_set.end_time),
        'start_time': iso(backup_set.start_time),
        'complete': set_is_complete(backup_set),
    }
    result.update(summarise(backup_set.files if files is None else files, objects, states))
    return result


def merge_summaries(summaries):
    """Add up summarise() results."""
    total = summarise((), {}, {})
    for item in summaries:
        for name in ('objects', 'volumes', 'bytes', 'unknown_state'):
            total[name] += item[name]
        for name, count in item['storage_classes'].items():
            total['storage_classes'][name] = total['storage_classes'].get(name, 0) + count
        for name, count in item['restore_states'].items():
            total['restore_states'][name] += count
        total['restored_until'] = _later(total['restored_until'], item['restored_until'])
        total['restored_first_expiry'] = _earlier(total['restored_first_expiry'], item['restored_first_expiry'])
    return total


def describe_chain(folder, chain, objects, states):
    """A chain as a plain dict for module results: its sets and their totals."""
    sets = [describe_set(backup_set, objects, states) for backup_set in chain.sets]
    result = {
        'prefix': folder,
        'full_time': iso(chain.start_time),
        'end_time': iso(chain.end_time),
        'incrementals': len(chain.incrementals),
    }
    result.update(merge_summaries(sets))
    result['sets'] = sets
    return result


def report(listing, states):
    """duplicity_info's view of a listing: (chains, orphans, number of other objects, totals).

    ``listing`` holds listing entries (dicts with key, size, storage_class); ``states``
    maps each duplicity object's key to its restore_requests.classify() result.
    """
    found = inventory(listing)
    chains = []
    orphans = []
    for folder, grouping in found.groupings.items():
        for chain in grouping.chains:
            chains.append(describe_chain(folder, chain, found.objects, states))
        for backup_set in grouping.orphans:
            orphan = describe_set(backup_set, found.objects, states)
            orphan['prefix'] = folder
            orphans.append(orphan)
    totals = merge_summaries(chains + orphans)
    totals.update(chains=len(chains), listed=len(listing))
    return chains, orphans, len(found.other), totals
