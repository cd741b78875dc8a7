# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What state an S3 object is in for a restore: its storage class, the ``x-amz-restore``
header of HeadObject and Intelligent-Tiering's ArchiveStatus (restore_state(), classify())."""

from __future__ import annotations

import datetime
import email.utils
import re

if __name__.startswith('ansible_collections.'):
    from ansible_collections.offsite.backup.plugins.module_utils.restore_times import now_utc
else:  # imported as top-level modules beside each other (host helpers, benchmarks)
    from restore_times import now_utc  # pylint: disable=import-error


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

_UTC = datetime.timezone.utc
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


def needs_head(storage_class, entry=None):
    """True when only HeadObject can tell the object's restore state.

    A listing ``entry`` that carries ``restore_status`` (iter_objects(restore_status=True),
    from an endpoint trusted to honour it) answers for GLACIER and DEEP_ARCHIVE objects;
    Intelligent-Tiering's archive tiers still need HeadObject's ArchiveStatus.
    """
    storage_class = storage_class_of(storage_class)
    if entry is not None and 'restore_status' in entry and storage_class in ARCHIVE_CLASSES:
        return False
    return storage_class in HEAD_CLASSES


def listed_restore(restore_status):
    """The ``x-amz-restore`` header equivalent of a listing's RestoreStatus (None: no restore).

    S3 leaves RestoreStatus out for an object no one asked to restore; IsRestoreInProgress
    is true while a restore runs, false with RestoreExpiryDate once the copy is readable.
    """
    if not restore_status:
        return None
    if restore_status.get('IsRestoreInProgress'):
        return 'ongoing-request="true"'
    expiry = restore_status.get('RestoreExpiryDate')
    if isinstance(expiry, datetime.datetime):
        if expiry.tzinfo is None:
            expiry = expiry.replace(tzinfo=_UTC)
        return 'ongoing-request="false", expiry-date="%s"' % email.utils.format_datetime(expiry, usegmt=True)
    return 'ongoing-request="false"'


def classify(entry, head=None, now=None):
    """The state of a listed object, with HeadObject's answer when it needed one.

    Returns a dict: state, expiry (aware datetime or None), archive_tier (None when
    readable), storage_class, error (HeadObject's, then state is None).
    """
    storage_class = storage_class_of(entry.get('storage_class'))
    if head is None:
        if needs_head(storage_class, entry):
            raise ValueError('%s needs a HeadObject to know its state' % entry.get('key'))
        if storage_class in ARCHIVE_CLASSES:
            state, expiry = restore_state(storage_class, listed_restore(entry['restore_status']), None, now)
            return {'state': state, 'expiry': expiry, 'archive_tier': storage_class,
                    'storage_class': storage_class, 'error': None}
        return {'state': 'not_archived', 'expiry': None, 'archive_tier': None,
                'storage_class': storage_class, 'error': None}
    if head.get('error'):
        return {'state': None, 'expiry': None, 'archive_tier': archive_tier(storage_class),
                'storage_class': storage_class, 'error': head['error']}
    storage_class = storage_class_of(head.get('storage_class') or storage_class)
    state, expiry = restore_state(storage_class, head.get('restore'), head.get('archive_status'), now)
    return {'state': state, 'expiry': expiry, 'archive_tier': archive_tier(storage_class, head.get('archive_status')),
            'storage_class': storage_class, 'error': None}
