# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What a retrieval takes and costs, by tier (estimate())."""

from __future__ import annotations

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils import s3_prices
    from ansible_collections.offsite.backup.plugins.module_utils.restore_states import ARCHIVE_TIERS
else:  # imported as top-level modules beside each other (host helpers, benchmarks)
    import s3_prices  # pylint: disable=import-error
    from restore_states import ARCHIVE_TIERS  # pylint: disable=import-error


DEFAULT_DAYS = 7
DEFAULT_TIER = 'Standard'
TIERS = ('Expedited', 'Standard', 'Bulk')

# The figures live in s3_prices; these names are what callers of the estimate read.
PRICES_AS_OF = s3_prices.AS_OF
PRICE_REGION = s3_prices.REGION
PRICES = s3_prices.RETRIEVAL
RESTORED_COPY_PER_GB_MONTH = s3_prices.RESTORED_COPY_PER_GB_MONTH

# Typical completion times (AWS documentation): (text, upper bound in hours).
TIMES = {
    'GLACIER': {
        'Expedited': ('1-5 minutes', 5 / 60.0),
        'Standard': ('3-5 hours', 5.0),
        'Bulk': ('5-12 hours', 12.0),
    },
    'DEEP_ARCHIVE': {
        'Standard': ('within 12 hours', 12.0),
        'Bulk': ('within 48 hours', 48.0),
    },
}
TIMES['IT_ARCHIVE_ACCESS'] = TIMES['GLACIER']
TIMES['IT_DEEP_ARCHIVE_ACCESS'] = TIMES['DEEP_ARCHIVE']

GIB = s3_prices.GIB


def estimate(items, days=DEFAULT_DAYS):
    """Time and cost of restoring ``items``, an iterable of (archive tier, size in bytes), by tier.

    Returns a dict: for each of TIERS a dict with ``available`` (False when an item is
    in a deep archive tier, which has no Expedited retrieval), ``objects``, ``bytes``,
    ``typical_time`` (text), ``max_hours``, ``retrieval_usd``, ``requests_usd`` and
    ``total_usd`` (None when not available); plus ``restored_copy_usd`` (the restored
    copies at S3 Standard's price for ``days``), ``prices`` (the figures used),
    ``prices_as_of`` and ``region``.
    """
    by_archive = {}
    for tier_name, size in items:
        if tier_name not in PRICES:
            raise ValueError('unknown archive tier %r' % (tier_name,))
        count, total = by_archive.get(tier_name, (0, 0))
        by_archive[tier_name] = (count + 1, total + int(size or 0))
    objects = sum(count for count, dummy in by_archive.values())
    total_bytes = sum(size for dummy, size in by_archive.values())
    result = {}
    for tier in TIERS:
        entry = {'available': True, 'reason': None, 'objects': objects, 'bytes': total_bytes, 'typical_time': None,
                 'max_hours': 0.0, 'retrieval_usd': 0.0, 'requests_usd': 0.0, 'total_usd': 0.0}
        unavailable = sorted(name for name in by_archive if tier not in PRICES[name])
        if unavailable:
            entry.update(available=False, typical_time=None, max_hours=None,
                         retrieval_usd=None, requests_usd=None, total_usd=None,
                         reason='%s is not available for %s' % (tier, ', '.join(unavailable)))
            result[tier] = entry
            continue
        texts = []
        for name in sorted(by_archive, key=ARCHIVE_TIERS.index):
            count, size = by_archive[name]
            price = PRICES[name][tier]
            entry['retrieval_usd'] += size / GIB * price['per_gb']
            entry['requests_usd'] += count / 1000.0 * price['per_1000_requests']
            text, hours = TIMES[name][tier]
            if hours > entry['max_hours']:
                entry['max_hours'] = hours
            texts.append('%s %s' % (name, text))
        entry['typical_time'] = '; '.join(texts) if texts else 'nothing to restore'
        entry['max_hours'] = round(entry['max_hours'], 3)
        for name in ('retrieval_usd', 'requests_usd'):
            entry[name] = round(entry[name], 4)
        entry['total_usd'] = round(entry['retrieval_usd'] + entry['requests_usd'], 4)
        result[tier] = entry
    copies = sum(size for name, (dummy, size) in by_archive.items() if not name.startswith('IT_'))
    result['restored_copy_usd'] = round(copies / GIB * RESTORED_COPY_PER_GB_MONTH * days / 30.0, 4)
    result['prices'] = PRICES
    result['restored_copy_per_gb_month'] = RESTORED_COPY_PER_GB_MONTH
    result['prices_as_of'] = PRICES_AS_OF
    result['region'] = PRICE_REGION
    return result
