# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one price table of the collection: what S3 charges for what the backups do.

Approximate AWS list prices for us-east-1 in US dollars, as published on the Amazon S3
pricing page (figures known to the authors as of 2025-06; prices change, and other
regions differ: check the page before relying on them). Sizes are per GB of 2**30 bytes,
requests per 1,000. Pure Python: the restore estimate, the cost guardrails and the
monthly estimate read it, on the controller and on backup hosts.
"""

from __future__ import annotations

AS_OF = '2025-06'
REGION = 'us-east-1'
SOURCE = 'https://aws.amazon.com/s3/pricing/'
GIB = float(1 << 30)

# Storage, per GB-month (the first 50 TB tier, which is where a home's backups stay).
STORAGE_PER_GB_MONTH = {
    'STANDARD': 0.023,
    'INTELLIGENT_TIERING': 0.023,
    'STANDARD_IA': 0.0125,
    'ONEZONE_IA': 0.01,
    'GLACIER_IR': 0.004,
    'GLACIER': 0.0036,
    'DEEP_ARCHIVE': 0.00099,
}

# Uploads (PUT, COPY, POST, LIST) per 1,000, by the class an object is written to.
PUT_PER_1000 = {
    'STANDARD': 0.005,
    'INTELLIGENT_TIERING': 0.005,
    'STANDARD_IA': 0.01,
    'ONEZONE_IA': 0.01,
    'GLACIER_IR': 0.02,
    'GLACIER': 0.03,
    'DEEP_ARCHIVE': 0.05,
}

# Lifecycle transitions per 1,000, by the class objects move to.
TRANSITION_PER_1000 = {
    'STANDARD_IA': 0.01,
    'ONEZONE_IA': 0.01,
    'INTELLIGENT_TIERING': 0.01,
    'GLACIER_IR': 0.02,
    'GLACIER': 0.03,
    'DEEP_ARCHIVE': 0.05,
}

# Days an object is billed for at least once it is in the class: deleting it sooner
# costs the days left (early deletion).
MINIMUM_DAYS = {
    'STANDARD_IA': 30,
    'ONEZONE_IA': 30,
    'GLACIER_IR': 90,
    'GLACIER': 90,
    'DEEP_ARCHIVE': 180,
}

# Every object in GLACIER or DEEP_ARCHIVE carries 40 KB of metadata: 8 KB billed at
# STANDARD's price and 32 KB at the archive class's.
ARCHIVE_OVERHEAD_STANDARD_BYTES = 8 * 1024
ARCHIVE_OVERHEAD_CLASS_BYTES = 32 * 1024
ARCHIVE_CLASSES = ('GLACIER', 'DEEP_ARCHIVE')

# Restores from the archive classes (and Intelligent-Tiering's archive access tiers, which
# charge nothing to restore): data retrieval per GB and restore requests per 1,000.
RETRIEVAL = {
    'GLACIER': {
        'Expedited': {'per_gb': 0.03, 'per_1000_requests': 10.00},
        'Standard': {'per_gb': 0.01, 'per_1000_requests': 0.05},
        'Bulk': {'per_gb': 0.0, 'per_1000_requests': 0.025},
    },
    'DEEP_ARCHIVE': {
        'Standard': {'per_gb': 0.02, 'per_1000_requests': 0.10},
        'Bulk': {'per_gb': 0.0025, 'per_1000_requests': 0.025},
    },
    'IT_ARCHIVE_ACCESS': {
        'Expedited': {'per_gb': 0.0, 'per_1000_requests': 0.0},
        'Standard': {'per_gb': 0.0, 'per_1000_requests': 0.0},
        'Bulk': {'per_gb': 0.0, 'per_1000_requests': 0.0},
    },
    'IT_DEEP_ARCHIVE_ACCESS': {
        'Standard': {'per_gb': 0.0, 'per_1000_requests': 0.0},
        'Bulk': {'per_gb': 0.0, 'per_1000_requests': 0.0},
    },
}
# A restored copy is billed as STANDARD storage for the days it is kept.
RESTORED_COPY_PER_GB_MONTH = STORAGE_PER_GB_MONTH['STANDARD']


def about():
    """Where the figures come from, for reports that quote them."""
    return {'as_of': AS_OF, 'region': REGION, 'source': SOURCE, 'currency': 'USD'}


def storage_month_usd(storage_class, size):
    """One month of storing ``size`` bytes in ``storage_class``, archive overhead included."""
    price = STORAGE_PER_GB_MONTH.get(storage_class, STORAGE_PER_GB_MONTH['STANDARD'])
    cost = size / GIB * price
    if storage_class in ARCHIVE_CLASSES:
        cost += (ARCHIVE_OVERHEAD_STANDARD_BYTES / GIB * STORAGE_PER_GB_MONTH['STANDARD']
                 + ARCHIVE_OVERHEAD_CLASS_BYTES / GIB * price)
    return cost
