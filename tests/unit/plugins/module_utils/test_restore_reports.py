# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.offsite.backup.plugins.module_utils.restore_reports import report
from ansible_collections.offsite.backup.plugins.module_utils.restore_states import classify

FULL = '20261101T020000Z'
INC = '20261102T020000Z'
SPAN = '%s.to.%s' % (FULL, INC)


def entry(key, size=100, storage_class='STANDARD'):
    return {'key': key, 'size': size, 'storage_class': storage_class}


def states_of(listing, heads=None):
    heads = heads or {}
    return dict((item['key'], classify(item, heads.get(item['key']))) for item in listing)


def test_report_counts_a_chain_an_orphan_and_other_objects():
    listing = [
        entry('pi/docs/duplicity-full.%s.manifest.gpg' % FULL),
        entry('pi/docs/duplicity-full-signatures.%s.sigtar.gpg' % FULL),
        entry('pi/docs/duplicity-full.%s.vol1.difftar.gpg' % FULL, 1000, 'DEEP_ARCHIVE'),
        entry('pi/docs/duplicity-full.%s.vol2.difftar.gpg' % FULL, 500, 'DEEP_ARCHIVE'),
        entry('pi/docs/duplicity-inc.%s.manifest.gpg' % SPAN),
        entry('pi/docs/duplicity-new-signatures.%s.sigtar.gpg' % SPAN),
        entry('pi/docs/duplicity-inc.%s.vol1.difftar.gpg' % SPAN, 300),
        # An incremental whose chain is gone: an orphan.
        entry('pi/old/duplicity-inc.20250101T000000Z.to.20250102T000000Z.manifest.gpg'),
        entry('pi/docs/README.txt', 7),
    ]
    archived = {'storage_class': 'DEEP_ARCHIVE', 'restore': None}
    states = states_of([item for item in listing if not item['key'].endswith('.txt')],
                       {item['key']: archived for item in listing if item['storage_class'] == 'DEEP_ARCHIVE'})
    chains, orphans, other, totals = report(listing, states)
    assert other == 1
    assert [(chain['prefix'], chain['incrementals'], chain['volumes'], chain['objects']) for chain in chains] == [
        ('pi/docs/', 1, 3, 7)]
    assert chains[0]['bytes'] == 1000 + 500 + 300 + 4 * 100
    assert chains[0]['storage_classes'] == {'STANDARD': 5, 'DEEP_ARCHIVE': 2}
    assert chains[0]['restore_states']['archived'] == 2
    assert [orphan['prefix'] for orphan in orphans] == ['pi/old/']
    assert totals['chains'] == 1 and totals['listed'] == len(listing)
    assert totals['objects'] == 8


def test_report_of_an_empty_listing():
    chains, orphans, other, totals = report([], {})
    assert (chains, orphans, other) == ([], [], 0)
    assert (totals['chains'], totals['listed'], totals['objects'], totals['volumes']) == (0, 0, 0, 0)
