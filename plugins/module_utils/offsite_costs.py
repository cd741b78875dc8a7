# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a profile's settings cost before they are paid: guardrails and a monthly estimate.

* ``retention_days``: the shortest time a profile's purges keep a volume, from its duply
  batch and chain settings.
* ``early_deletion_problem``: a purge that deletes archived volumes before the archive
  class's minimum storage duration (charged as if they had stayed).
* ``volume_size_warning``: volumes so small that the per-object charges of an archive
  class (a transition or upload request and 40 KB of metadata) outweigh their storage.
* ``monthly_estimate``: what the objects in the bucket cost per month, by storage class.

Pure Python on the price table in s3_prices.py.
"""

from __future__ import annotations

import re

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils import s3_prices
else:  # imported as a top-level module beside its siblings (host helpers, benchmarks)
    import s3_prices  # pylint: disable=import-error

# duplicity's time units (duplicity/dup_time.py): a month is 30 days, a year 365.
_UNIT_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'D': 86400, 'W': 7 * 86400, 'M': 30 * 86400, 'Y': 365 * 86400}
_INTERVAL = re.compile(r'^([0-9]+[smhDWMY])+$')
_PART = re.compile(r'([0-9]+)([smhDWMY])')
# duply batch commands that delete backup sets, and the chain settings each one reads.
PURGES = ('purge', 'purgeFull', 'purgeIncr')
# Below this share of a volume's cost, per-object charges are noise; above it they dominate.
OVERHEAD_SHARE_WARN = 0.5
MB = 1024 * 1024


def interval_days(text):
    """Days in a duplicity interval (``6M``, ``1Y2M``, ``14D``); None for anything else."""
    text = str(text or '').strip()
    if not _INTERVAL.match(text):
        return None
    seconds = sum(int(count) * _UNIT_SECONDS[unit] for count, unit in _PART.findall(text))
    return seconds / 86400.0


def batch_purges(batch):
    """The purge commands of a duply batch (``backup_purge --force``: ['purge'])."""
    commands = str(batch or '').split()[0:1]
    if not commands:
        return []
    steps = re.split(r'[_+]', commands[0])
    return [step for step in steps if step in PURGES]


def retention_days(batch, max_age, max_full_age, max_full_backups, max_fulls_with_incrs):
    """The shortest time the batch's purges keep any volume: (days, reason), or (None, None).

    ``purge`` deletes sets older than max_age. ``purgeFull`` keeps the chains of the
    newest max_full_backups fulls, and ``purgeIncr`` the incrementals of the newest
    max_fulls_with_incrs: with a full every max_full_age, a removed chain's last set was
    written at least (N - 1) fulls ago. None when the batch purges nothing, or when a
    setting is not an interval this can read (a date, say).
    """
    found = []
    for command in batch_purges(batch):
        if command == 'purge':
            days = interval_days(max_age)
            reason = 'purge (max_age %s)' % max_age
        else:
            count = max_full_backups if command == 'purgeFull' else max_fulls_with_incrs
            name = 'max_full_backups' if command == 'purgeFull' else 'max_fulls_with_incrs'
            full_days = interval_days(max_full_age)
            try:
                count = int(count)
            except (TypeError, ValueError):
                count = None
            if full_days is None or count is None:
                days = None
            else:
                days = max(count - 1, 0) * full_days
            reason = '%s (%s %s, max_full_age %s)' % (command, name, count, max_full_age)
        if days is not None:
            found.append((days, reason))
    if not found:
        return None, None
    return min(found)


def days_in_class(tiering, retention):
    """Days a volume spends in the archive class before its purge, at the least."""
    if tiering.get('strategy') == 'storage_class':
        return retention
    return retention - int(tiering.get('days') or 0)


def _days_text(days):
    return '%g days' % round(days, 1)


def early_deletion_problem(tiering, batch, chain):
    """A message when the profile's purges delete archived volumes early, else None.

    tiering: the effective tiering dict (strategy, storage_class, days,
    accept_early_deletion); chain: max_age, max_full_age, max_full_backups,
    max_fulls_with_incrs.
    """
    strategy = tiering.get('strategy')
    storage_class = tiering.get('storage_class')
    if strategy not in ('prefix', 'tags', 'storage_class') or storage_class not in s3_prices.MINIMUM_DAYS:
        return None
    if tiering.get('accept_early_deletion') is True:
        return None
    retention, reason = retention_days(batch, chain.get('max_age'), chain.get('max_full_age'),
                                       chain.get('max_full_backups'), chain.get('max_fulls_with_incrs'))
    if retention is None:
        return None
    # Purges keep sets at least this long, some longer: any set that lives to move is
    # deleted early, however few of them that is.
    in_class = max(days_in_class(tiering, retention), 0)
    minimum = s3_prices.MINIMUM_DAYS[storage_class]
    if in_class >= minimum:
        return None
    if strategy == 'storage_class':
        where = 'volumes are uploaded to %s' % storage_class
        need = minimum
    else:
        where = 'volumes move to %s after %s days' % (storage_class, int(tiering.get('days') or 0))
        need = minimum + int(tiering.get('days') or 0)
    return ('%s and %s can delete them after %s, %s in %s: less than its %d-day minimum storage duration, '
            'so every purge pays early-deletion charges for the days left. Keep backups at least %d days '
            '(max_age %dD, or more fulls), move volumes sooner, or set tiering.accept_early_deletion: true'
            % (where, reason, _days_text(retention), _days_text(in_class), storage_class, minimum, need, need))


def volume_overhead(storage_class, volume_bytes, months, moved):
    """(fixed per-object charges, storage charges) of one volume over ``months``.

    moved: the volume reaches the class by a lifecycle transition (True) or is uploaded
    to it (False); either request is billed per object.
    """
    table = s3_prices.TRANSITION_PER_1000 if moved else s3_prices.PUT_PER_1000
    request = table.get(storage_class, 0.0) / 1000.0
    metadata = (s3_prices.ARCHIVE_OVERHEAD_STANDARD_BYTES / s3_prices.GIB * s3_prices.STORAGE_PER_GB_MONTH['STANDARD']
                + s3_prices.ARCHIVE_OVERHEAD_CLASS_BYTES / s3_prices.GIB * s3_prices.STORAGE_PER_GB_MONTH[storage_class])
    storage = volume_bytes / s3_prices.GIB * s3_prices.STORAGE_PER_GB_MONTH[storage_class]
    return request + metadata * months, storage * months


def volume_size_warning(tiering, volume_size_mb, retention=None):
    """A message when per-object charges would outweigh what full volumes cost to store."""
    storage_class = tiering.get('storage_class')
    if tiering.get('strategy') not in ('prefix', 'tags', 'storage_class') or storage_class not in s3_prices.ARCHIVE_CLASSES:
        return None
    try:
        size_mb = float(volume_size_mb)
    except (TypeError, ValueError):
        return None
    if size_mb <= 0:
        return None
    minimum = s3_prices.MINIMUM_DAYS[storage_class]
    days = max(minimum, days_in_class(tiering, retention) if retention is not None else minimum)
    months = days / 30.0
    moved = tiering.get('strategy') != 'storage_class'
    fixed, storage = volume_overhead(storage_class, size_mb * MB, months, moved)
    share = fixed / (fixed + storage)
    if share <= OVERHEAD_SHARE_WARN:
        return None
    # The size at which the fixed charges fall to the threshold's share.
    per_mb = volume_overhead(storage_class, MB, months, moved)[1]
    enough = fixed * (1 - OVERHEAD_SHARE_WARN) / OVERHEAD_SHARE_WARN / per_mb
    return ('volume_size %g MB: each volume in %s costs %s request and 40 KB of metadata, %d%% of what it '
            'costs over %d days there; set volume_size to %d or more for those charges to stop dominating'
            % (size_mb, storage_class, 'a transition' if moved else 'an upload', round(share * 100), days,
               int(enough) + 1))


def monthly_estimate(objects):
    """What ``objects`` cost per month: an iterable of (storage class, size in bytes).

    Returns {'by_class': {CLASS: {'objects', 'bytes', 'usd'}}, 'total_usd', 'prices'}.
    Archive classes include their 40 KB of metadata per object; requests are left out.
    """
    by_class = {}
    for storage_class, size in objects:
        storage_class = storage_class or 'STANDARD'
        entry = by_class.setdefault(storage_class, {'objects': 0, 'bytes': 0, 'usd': 0.0})
        entry['objects'] += 1
        entry['bytes'] += int(size or 0)
        entry['usd'] += s3_prices.storage_month_usd(storage_class, int(size or 0))
    for entry in by_class.values():
        entry['usd'] = round(entry['usd'], 6)
    total = round(sum(entry['usd'] for entry in by_class.values()), 6)
    return {'by_class': by_class, 'total_usd': total, 'prices': s3_prices.about()}
