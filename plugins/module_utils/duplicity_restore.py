# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restores of duplicity backups from S3's archive storage classes: one import for all of it.

The logic behind ``offsite.backup.duplicity_info`` and ``offsite.backup.glacier_restore``
lives in one file per concern; this module gathers their names for callers that want
them all (the benchmark, the unit tests):

* restore_times.py: duplicity's time formats, resolved to one absolute moment;
* restore_states.py: what state an object is in (storage class, ``x-amz-restore``);
* restore_selection.py: which objects a ``duplicity restore`` to a time needs;
* restore_estimate.py: what the retrieval will take and cost, by tier;
* restore_requests.py: HeadObject, RestoreObject and the wait, concurrently, on
  s3_engine.py (pagination, the thread pool, errors; no retries: the client's);
* restore_reports.py: sets and chains as plain dicts for module results.

Restore status comes from HeadObject, one request per archived object, or from the
listing: ListObjectsV2 with ``OptionalObjectAttributes=['RestoreStatus']`` (botocore >=
1.31.67) gives it for every object with a restore in progress or done, and nothing for
the others. Endpoints that ignore the header (moto, many S3-compatible services) give
nothing for every object, so a listing cannot tell "never restored" from "not supported":
``states_from_listing()`` trusts it on AWS only, unless told otherwise. HeadObject answers
the same way everywhere.
"""

from __future__ import annotations

# pylint: disable=unused-import
if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.restore_estimate import (  # noqa: F401
        DEFAULT_DAYS, DEFAULT_TIER, GIB, PRICE_REGION, PRICES, PRICES_AS_OF, RESTORED_COPY_PER_GB_MONTH, TIERS, TIMES,
        estimate)
    from ansible_collections.offsite.backup.plugins.module_utils.restore_reports import (  # noqa: F401
        describe_chain, describe_set, merge_summaries, summarise)
    from ansible_collections.offsite.backup.plugins.module_utils.restore_requests import (  # noqa: F401
        DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, classify_all, head_object, head_objects, list_objects,
        restore_object, restore_objects, restore_request, states_from_listing, wait_until_readable)
    from ansible_collections.offsite.backup.plugins.module_utils.restore_selection import (  # noqa: F401
        Inventory, Selection, SelectionError, inventory, needed_files, normalise_prefix, select, set_is_complete)
    from ansible_collections.offsite.backup.plugins.module_utils.restore_states import (  # noqa: F401
        ARCHIVE_CLASSES, ARCHIVE_TIERS, DEEP_TIERS, HEAD_CLASSES, INTELLIGENT_TIERING, IT_ARCHIVE_STATUSES, STATES,
        archive_tier, classify, listed_restore, needs_head, parse_restore_header, restore_state, storage_class_of)
    from ansible_collections.offsite.backup.plugins.module_utils.restore_times import (  # noqa: F401
        TIME_FORMS, duplicity_time, iso, now_utc, parse_time, time_key)
    from ansible_collections.offsite.backup.plugins.module_utils.s3_engine import (  # noqa: F401
        DEFAULT_CONCURRENCY, MAX_CONCURRENCY, NOT_RETRYABLE_CODES, RETRYABLE_HEAD_CODES, ListingError,
        check_concurrency, run_concurrently)
else:  # imported as a top-level module beside the files it gathers (benchmarks)
    from restore_estimate import (  # noqa: F401  pylint: disable=import-error
        DEFAULT_DAYS, DEFAULT_TIER, GIB, PRICE_REGION, PRICES, PRICES_AS_OF, RESTORED_COPY_PER_GB_MONTH, TIERS, TIMES,
        estimate)
    from restore_reports import describe_chain, describe_set, merge_summaries, summarise  # noqa: F401  pylint: disable=import-error
    from restore_requests import (  # noqa: F401  pylint: disable=import-error
        DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, classify_all, head_object, head_objects, list_objects,
        restore_object, restore_objects, restore_request, states_from_listing, wait_until_readable)
    from restore_selection import (  # noqa: F401  pylint: disable=import-error
        Inventory, Selection, SelectionError, inventory, needed_files, normalise_prefix, select, set_is_complete)
    from restore_states import (  # noqa: F401  pylint: disable=import-error
        ARCHIVE_CLASSES, ARCHIVE_TIERS, DEEP_TIERS, HEAD_CLASSES, INTELLIGENT_TIERING, IT_ARCHIVE_STATUSES, STATES,
        archive_tier, classify, listed_restore, needs_head, parse_restore_header, restore_state, storage_class_of)
    from restore_times import TIME_FORMS, duplicity_time, iso, now_utc, parse_time, time_key  # noqa: F401  pylint: disable=import-error
    from s3_engine import (  # noqa: F401  pylint: disable=import-error
        DEFAULT_CONCURRENCY, MAX_CONCURRENCY, NOT_RETRYABLE_CODES, RETRYABLE_HEAD_CODES, ListingError,
        check_concurrency, run_concurrently)

EngineError = ListingError
