# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Restores of duplicity backups from S3's archive storage classes.

The logic behind ``offsite.backup.duplicity_info`` and ``offsite.backup.glacier_restore``:

* what state an object is in, from its storage class and the ``x-amz-restore`` header
  of HeadObject (restore_state());
* duplicity's time formats (parse_time());
* which objects a ``duplicity restore`` to a time needs (inventory(), select());
* what the retrieval will take and cost, by tier (estimate());
* a bounded concurrent engine that lists, reads (HeadObject) and restores
  (RestoreObject) objects, and waits until they are readable.

It never imports boto3 or botocore: the caller passes a ready S3 client (a boto3 client,
or amazon.aws's retrying wrapper of one); errors are recognised by their ``response``
attribute, as botocore's ``ClientError`` carries it. Like ``duplicity_tagging.py`` it can
also be imported as a top-level module from ``plugins/module_utils`` (the benchmark does).

Restore status comes from HeadObject, one request per archived object. ListObjectsV2 can
return it too (``OptionalObjectAttributes=['RestoreStatus']``, botocore >= 1.31.67), but
moto's S3 server ignores that header and returns no RestoreStatus at all, so a listing
cannot tell "never restored" from "not supported"; HeadObject answers the same way on S3
and on every S3-compatible service.
"""

from __future__ import annotations

import datetime
import email.utils
import re
import time
import typing as t
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.duplicity_names import (
        TIME_FORMAT,
        group_sets,
        parse,
    )
    from ansible_collections.offsite.backup.plugins.module_utils.duplicity_tagging import (
        Retrier,
        describe_error,
        error_code,
        is_retryable,
    )
else:  # imported as a top-level module beside duplicity_names.py (benchmarks)
    from duplicity_names import TIME_FORMAT, group_sets, parse  # pylint: disable=import-error
    from duplicity_tagging import Retrier, describe_error, error_code, is_retryable  # pylint: disable=import-error

DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 64
DEFAULT_DAYS = 7
DEFAULT_TIER = 'Standard'
DEFAULT_WAIT_TIMEOUT = 43200
DEFAULT_POLL_INTERVAL = 60
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_BACKOFF = 0.5

TIERS = ('Expedited', 'Standard', 'Bulk')
STATES = ('not_archived', 'archived', 'restore_in_progress', 'restored')

# Storage classes whose objects must be restored before they can be read.
ARCHIVE_CLASSES = frozenset(('GLACIER', 'DEEP_ARCHIVE'))
# S3 Intelligent-Tiering objects may sit in an archive access tier, which only
# HeadObject's ArchiveStatus shows.
INTELLIGENT_TIERING = 'INTELLIGENT_TIERING'
IT_ARCHIVE_STATUSES = frozenset(('ARCHIVE_ACCESS', 'DEEP_ARCHIVE_ACCESS'))
# Classes whose objects need a HeadObject to know their state.
HEAD_CLASSES = ARCHIVE_CLASSES | frozenset((INTELLIGENT_TIERING,))

# The archive "tier" an object is restored from: decides the price, the time and
# whether Expedited is possible.
ARCHIVE_TIERS = ('GLACIER', 'DEEP_ARCHIVE', 'IT_ARCHIVE_ACCESS', 'IT_DEEP_ARCHIVE_ACCESS')
DEEP_TIERS = frozenset(('DEEP_ARCHIVE', 'IT_DEEP_ARCHIVE_ACCESS'))

# Approximate AWS list prices, us-east-1, in US dollars, as published on the Amazon S3
# pricing page (figures known to the authors as of 2025-06; check the page before
# relying on them): data retrieval per GB (2**30 bytes) and restore requests per 1,000.
# S3 Intelligent-Tiering charges nothing to restore from its archive access tiers.
PRICES_AS_OF = '2025-06'
PRICE_REGION = 'us-east-1'
PRICES = {
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
# A restored copy is billed as S3 Standard storage for the days it is kept.
RESTORED_COPY_PER_GB_MONTH = 0.023

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

GIB = float(1 << 30)

# Extra error codes worth another attempt besides duplicity_tagging's: HeadObject
# answers have no body, so botocore reports the HTTP status as the code.
RETRYABLE_HEAD_CODES = ('500', '502', '503', '504')
# Answered with HTTP 503 but not transient: Expedited capacity is not available now.
NOT_RETRYABLE_CODES = frozenset(('GlacierExpeditedRetrievalNotAvailable',))

TIME_FORMS = (
    "'now' (the latest backup), an ISO 8601 date or date and time (2026-11-22, "
    "2026-11-22T01:02:03, 2026-11-22T01:02:03Z, 2026-11-22T03:02:03+02:00; no offset means "
    "UTC), YYYY/MM/DD or MM/DD/YYYY, duplicity's own 20261122T010203Z, seconds since the "
    "epoch, or an interval meaning that long ago: a sequence of numbers with units s, m, h, "
    "D, W, M, Y (seconds, minutes, hours, days, weeks, 30-day months, 365-day years), "
    "for example 3D, 2W, 1M, 1Y or 1h30m"
)


class SelectionError(ValueError):
    """No backup chain can restore the requested time."""


class EngineError(Exception):
    """A listing failed; ``cause`` is the exception from the client."""

    def __init__(self, message, cause):
        super(EngineError, self).__init__(message)
        self.cause = cause


# ---- times ---------------------------------------------------------------------------

_UTC = datetime.timezone.utc
_INTERVAL = re.compile(r'(?:[0-9]+[smhDWMY])+')
_INTERVAL_PART = re.compile(r'([0-9]+)([smhDWMY])')
_INTERVAL_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'D': 86400, 'W': 7 * 86400, 'M': 30 * 86400, 'Y': 365 * 86400}
_ISO = re.compile(
    r'(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})'
    r'(?:[T ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<frac>[0-9]{1,6})[0-9]*)?)?)?'
    r'(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?'
)
_SLASH_YMD = re.compile(r'(?P<y>[0-9]{4})/(?P<mo>[0-9]{1,2})/(?P<d>[0-9]{1,2})')
_SLASH_MDY = re.compile(r'(?P<mo>[0-9]{1,2})/(?P<d>[0-9]{1,2})/(?P<y>[0-9]{4})')
_COMPACT = re.compile(r'[0-9]{8}T[0-9]{6}Z')


def now_utc():
    """The current time, aware, in UTC."""
    return datetime.datetime.now(_UTC)


def parse_time(value, now=None):
    """Parse a restore time in one of duplicity's formats; return an aware UTC datetime.

    None, '' and 'now' (or 'latest') return None, meaning the latest backup. ``now`` is
    the reference for intervals (default: the current time). Raises ValueError naming
    the accepted forms.
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError('time must be a string, got %r' % (value,))
    text = str(value).strip()
    if text.lower() in ('', 'now', 'latest'):
        return None
    if now is None:
        now = now_utc()
    try:
        if text.isdigit():
            return datetime.datetime.fromtimestamp(int(text), _UTC)
        if _COMPACT.fullmatch(text):
            return datetime.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=_UTC)
        match = _ISO.fullmatch(text)
        if match:
            return _from_iso(match)
        match = _SLASH_YMD.fullmatch(text) or _SLASH_MDY.fullmatch(text)
        if match:
            return datetime.datetime(int(match.group('y')), int(match.group('mo')), int(match.group('d')),
                                     tzinfo=_UTC)
        if _INTERVAL.fullmatch(text):
            seconds = sum(int(number) * _INTERVAL_SECONDS[unit] for number, unit in _INTERVAL_PART.findall(text))
            return now - datetime.timedelta(seconds=seconds)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError('time %r is not a valid time (%s); use %s' % (text, exc, TIME_FORMS))
    raise ValueError('time %r is not in a format duplicity understands; use %s' % (text, TIME_FORMS))


def _from_iso(match):
    parts = match.groupdict()
    frac = parts['frac'] or ''
    moment = datetime.datetime(
        int(parts['y']), int(parts['mo']), int(parts['d']),
        int(parts['h'] or 0), int(parts['mi'] or 0), int(parts['s'] or 0),
        int(frac.ljust(6, '0')) if frac else 0)
    zone = parts['tz']
    if zone in (None, 'Z'):
        return moment.replace(tzinfo=_UTC)
    sign = 1 if zone[0] == '+' else -1
    digits = zone[1:].replace(':', '')
    offset = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if offset >= datetime.timedelta(hours=24):
        raise ValueError('offset %s out of range' % zone)
    return moment.replace(tzinfo=datetime.timezone(sign * offset)).astimezone(_UTC)


def time_key(moment):
    """An aware datetime as a duplicity time string (20261122T010203Z), comparable with set times."""
    return moment.astimezone(_UTC).strftime(TIME_FORMAT)


def iso(value):
    """A duplicity time string or an aware datetime as ISO 8601 UTC (2026-11-22T01:02:03Z); None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(_UTC).strftime('%Y-%m-%dT%H:%M:%SZ')
    return datetime.datetime.strptime(value, TIME_FORMAT).strftime('%Y-%m-%dT%H:%M:%SZ')


# ---- object states -------------------------------------------------------------------

_HEADER_FIELD = re.compile(r'([A-Za-z-]+)\s*=\s*"([^"]*)"')


def storage_class_of(value):
    """The storage class as S3 names it; listings and HeadObject leave STANDARD out."""
    return value or 'STANDARD'


def parse_restore_header(value):
    """Parse S3's ``x-amz-restore`` header (HeadObject's ``Restore``).

    Returns (ongoing, expiry): ``ongoing`` is True for ``ongoing-request="true"``, False
    for ``ongoing-request="false"`` and None without a header; ``expiry`` is the aware
    datetime of ``expiry-date`` or None.
    """
    if not value:
        return None, None
    fields = dict((name.lower(), text) for name, text in _HEADER_FIELD.findall(value))
    ongoing = fields.get('ongoing-request')
    ongoing = None if ongoing is None else ongoing.strip().lower() == 'true'
    expiry = None
    if fields.get('expiry-date'):
        try:
            expiry = email.utils.parsedate_to_datetime(fields['expiry-date'])
        except (TypeError, ValueError, IndexError):
            expiry = None
        if expiry is not None and expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=_UTC)
    return ongoing, expiry


def archive_tier(storage_class, archive_status=None):
    """The archive an object must be restored from (one of ARCHIVE_TIERS), or None if it is readable.

    ``archive_status`` is HeadObject's ArchiveStatus (S3 Intelligent-Tiering only).
    """
    storage_class = storage_class_of(storage_class)
    if storage_class in ARCHIVE_CLASSES:
        return storage_class
    if storage_class == INTELLIGENT_TIERING and archive_status in IT_ARCHIVE_STATUSES:
        return 'IT_' + archive_status
    return None


def restore_state(storage_class, restore=None, archive_status=None, now=None):
    """(state, expiry) of an object.

    ``state`` is one of STATES: 'not_archived' (readable: STANDARD, STANDARD_IA,
    GLACIER_IR, ...), 'archived' (not readable, no restore asked for or the restored
    copy has expired), 'restore_in_progress' or 'restored' (a readable copy exists until
    ``expiry``, an aware datetime or None when S3 gives none). ``restore`` is the
    ``x-amz-restore`` header.
    """
    if archive_tier(storage_class, archive_status) is None:
        return 'not_archived', None
    ongoing, expiry = parse_restore_header(restore)
    if ongoing:
        return 'restore_in_progress', None
    if ongoing is False:
        if expiry is not None and expiry <= (now or now_utc()):
            return 'archived', None
        return 'restored', expiry
    return 'archived', None


def needs_head(storage_class):
    """True when only HeadObject can tell the object's restore state."""
    return storage_class_of(storage_class) in HEAD_CLASSES


# ---- inventory and selection ---------------------------------------------------------

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


# ---- estimate ------------------------------------------------------------------------

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


# ---- the engine ----------------------------------------------------------------------

class Caller(Retrier):
    """Calls client methods with ``call_args`` added, retrying retryable errors with full-jitter backoff.

    ``max_attempts=1`` leaves retries to the client (amazon.aws's AWSRetry wrapper).
    Besides what the tagging engine retries, a HeadObject's bare 5xx is retried; the
    codes in NOT_RETRYABLE_CODES never are.
    """

    def __init__(self, call_args=None, max_attempts=DEFAULT_MAX_ATTEMPTS, backoff=DEFAULT_BACKOFF, sleep=time.sleep):
        super().__init__(max_attempts, backoff, sleep, call_args)

    def should_retry(self, exc):
        code, dummy = error_code(exc)
        return code not in NOT_RETRYABLE_CODES and (is_retryable(exc) or code in RETRYABLE_HEAD_CODES)


def check_concurrency(concurrency):
    """Raise ValueError unless concurrency is an int from 1 to MAX_CONCURRENCY."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError('concurrency must be from 1 to %d, got %r' % (MAX_CONCURRENCY, concurrency))


def run_concurrently(function, items, concurrency):
    """Yield (item, function(item)) for every item, at most ``concurrency`` at a time, as they finish.

    At most 4 x concurrency items are queued, so long inputs are never all in memory at
    once. ``function`` must not raise.
    """
    check_concurrency(concurrency)
    window = concurrency * 4
    pending = {}
    with ThreadPoolExecutor(max_workers=concurrency) as executor:
        for item in items:
            pending[executor.submit(function, item)] = item
            if len(pending) >= window:
                done, dummy = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()
        while pending:
            done, dummy = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()


def list_objects(client, bucket, prefix='', call=None):
    """Every object under ``prefix`` as dicts (key, size, storage_class), a ListObjectsV2 page at a time.

    Raises EngineError when a page cannot be read.
    """
    call = call or Caller()
    params = {'Bucket': bucket, 'Prefix': prefix}
    result = []
    while True:
        try:
            page = call(client.list_objects_v2, **params)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            raise EngineError('listing s3://%s/%s failed after %d keys: %s' % (
                bucket, prefix, len(result), describe_error(exc)), exc)
        for item in page.get('Contents') or ():
            result.append({'key': item['Key'], 'size': int(item.get('Size') or 0),
                           'storage_class': storage_class_of(item.get('StorageClass'))})
        token = page.get('NextContinuationToken')
        if not page.get('IsTruncated') or not token:
            return result
        params['ContinuationToken'] = token


def head_object(client, bucket, key, call=None):
    """HeadObject of one key: dict with storage_class, size, restore, archive_status, or error."""
    call = call or Caller()
    try:
        response = call(client.head_object, Bucket=bucket, Key=key)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        code, status = error_code(exc)
        return {'error': describe_error(exc), 'code': code, 'status': status}
    return {
        'storage_class': storage_class_of(response.get('StorageClass')),
        'size': int(response.get('ContentLength') or 0),
        'restore': response.get('Restore'),
        'archive_status': response.get('ArchiveStatus'),
        'error': None,
    }


def head_objects(client, bucket, keys, concurrency=DEFAULT_CONCURRENCY, call=None):
    """HeadObject for every key, concurrently; return {key: head_object() result}."""
    call = call or Caller()
    return dict(run_concurrently(lambda key: head_object(client, bucket, key, call), list(keys), concurrency))


def restore_request(days, tier, tier_name):
    """The RestoreRequest for an object in archive tier ``tier_name``.

    Objects in S3 Intelligent-Tiering's archive tiers take no Days: a restore moves them
    back to the frequent access tier for good.
    """
    request = {'GlacierJobParameters': {'Tier': tier}}
    if not (tier_name or '').startswith('IT_'):
        request['Days'] = int(days)
    return request


def restore_object(client, bucket, key, days, tier, tier_name=None, call=None):
    """RestoreObject for one key; return (outcome, error text).

    ``outcome`` is 'requested' (S3 accepted the request, HTTP 202), 'already_restored'
    (HTTP 200: a restored copy exists; S3 extends its expiry), 'in_progress'
    (RestoreAlreadyInProgress) or 'failed'.
    """
    call = call or Caller()
    try:
        response = call(client.restore_object, Bucket=bucket, Key=key,
                        RestoreRequest=restore_request(days, tier, tier_name))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        code, dummy = error_code(exc)
        if code == 'RestoreAlreadyInProgress':
            return 'in_progress', None
        return 'failed', describe_error(exc)
    status = (response.get('ResponseMetadata') or {}).get('HTTPStatusCode')
    return ('already_restored' if status == 200 else 'requested'), None


def restore_objects(client, bucket, objects, days=DEFAULT_DAYS, tier=DEFAULT_TIER,
                    concurrency=DEFAULT_CONCURRENCY, call=None):
    """RestoreObject for every (key, archive tier) of ``objects``, concurrently.

    Returns {key: (outcome, error text)} with restore_object()'s outcomes.
    """
    call = call or Caller()

    def one(item):
        key, tier_name = item
        return restore_object(client, bucket, key, days, tier, tier_name, call)
    return dict((item[0], outcome) for item, outcome in run_concurrently(one, list(objects), concurrency))


def classify(entry, head=None, now=None):
    """The state of a listed object, with HeadObject's answer when it needed one.

    Returns a dict: state, expiry (aware datetime or None), archive_tier (None when
    readable), storage_class, error (HeadObject's, then state is None).
    """
    storage_class = storage_class_of(entry.get('storage_class'))
    if head is None:
        if needs_head(storage_class):
            raise ValueError('%s needs a HeadObject to know its state' % entry.get('key'))
        return {'state': 'not_archived', 'expiry': None, 'archive_tier': None,
                'storage_class': storage_class, 'error': None}
    if head.get('error'):
        return {'state': None, 'expiry': None, 'archive_tier': archive_tier(storage_class),
                'storage_class': storage_class, 'error': head['error']}
    storage_class = storage_class_of(head.get('storage_class') or storage_class)
    state, expiry = restore_state(storage_class, head.get('restore'), head.get('archive_status'), now)
    return {'state': state, 'expiry': expiry, 'archive_tier': archive_tier(storage_class, head.get('archive_status')),
            'storage_class': storage_class, 'error': None}


def classify_all(client, bucket, entries, concurrency=DEFAULT_CONCURRENCY, call=None, now=None):
    """classify() every listing entry, with a concurrent HeadObject for those that need one.

    Returns ({key: classify() result}, number of HeadObject requests).
    """
    entries = list(entries)
    to_head = [entry['key'] for entry in entries if needs_head(entry.get('storage_class'))]
    heads = head_objects(client, bucket, to_head, concurrency, call) if to_head else {}
    return dict((entry['key'], classify(entry, heads.get(entry['key']), now)) for entry in entries), len(to_head)


def wait_until_readable(client, bucket, keys, timeout=DEFAULT_WAIT_TIMEOUT, interval=DEFAULT_POLL_INTERVAL,
                        concurrency=DEFAULT_CONCURRENCY, call=None, log=None,
                        clock=time.monotonic, sleep=time.sleep, stuck_polls=3, history_size=100):
    """Poll HeadObject until every key is readable, ``timeout`` seconds pass, or restores stall.

    A key is readable when it is restored or not archived. Each poll reads only the keys
    not yet readable, then sleeps ``interval`` seconds (less near the timeout). A key
    that shows no restore in progress and no restored copy in ``stuck_polls`` polls in a
    row stops the wait: it will never become readable by waiting.

    Returns a dict: ``readable`` (bool), ``reason`` ('readable', 'timeout' or 'stalled'),
    ``seconds``, ``polls``, ``unreadable`` (sorted list of {key, state, error}),
    ``history`` (the last ``history_size`` polls: poll, elapsed, readable, in_progress,
    archived, errors) and ``history_truncated``.
    """
    call = call or Caller()
    keys = list(dict.fromkeys(keys))
    pending = dict((key, {'key': key, 'state': 'unknown', 'error': None}) for key in keys)
    archived_polls = dict((key, 0) for key in keys)
    history = []
    polls = 0
    started = clock()
    reason = 'readable'
    while pending:
        polls += 1
        heads = head_objects(client, bucket, list(pending), concurrency, call)
        counts = {'in_progress': 0, 'archived': 0, 'errors': 0}
        for key, head in heads.items():
            if head.get('error'):
                pending[key].update(state='unknown', error=head['error'])
                counts['errors'] += 1
                continue
            state, dummy = restore_state(head.get('storage_class'), head.get('restore'), head.get('archive_status'))
            if state in ('restored', 'not_archived'):
                del pending[key]
                continue
            pending[key].update(state=state, error=None)
            if state == 'archived':
                archived_polls[key] += 1
                counts['archived'] += 1
            else:
                archived_polls[key] = 0
                counts['in_progress'] += 1
        elapsed = clock() - started
        entry = {'poll': polls, 'elapsed': round(elapsed, 1), 'readable': len(keys) - len(pending),
                 'in_progress': counts['in_progress'], 'archived': counts['archived'], 'errors': counts['errors']}
        history.append(entry)
        if log is not None:
            log('glacier_restore: poll %d after %.0f s: %d of %d readable, %d restoring, %d not restoring, %d errors' % (
                polls, elapsed, entry['readable'], len(keys), entry['in_progress'], entry['archived'], entry['errors']))
        if not pending:
            break
        if any(archived_polls[key] >= stuck_polls for key in pending):
            reason = 'stalled'
            break
        remaining = timeout - elapsed
        if remaining <= 0:
            reason = 'timeout'
            break
        sleep(min(interval, remaining))
    return {
        'readable': not pending,
        'reason': reason,
        'seconds': round(clock() - started, 1),
        'polls': polls,
        'unreadable': [pending[key] for key in sorted(pending)],
        'history': history[-history_size:],
        'history_truncated': len(history) > history_size,
    }


# ---- reports -------------------------------------------------------------------------

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
