# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test setup for the duplicity_tags target: fill a bucket prefix with mixed objects.

    python make_objects.py --endpoint-url URL --bucket B --prefix P --objects N --spec-out FILE

Credentials come from the environment. The kind of every object is known from how its
name is built here (never parsed), so the spec written to FILE is an independent
expectation: for each key its kind (None for non-duplicity objects), its initial tags and
the tags it must have after tagging with the defaults, plus the expected counts.
Prints the expected counts as JSON.
"""

from __future__ import annotations

import argparse
import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

KINDS = ('full-manifest', 'inc-manifest', 'full-signatures', 'new-signatures', 'full-volume', 'inc-volume', 'jsonstat')


def stamp(day, hour=0):
    return '2024%02d%02dT%02d0000Z' % (1 + day // 28, 1 + day % 28, hour)


class Builder:
    def __init__(self, prefix):
        self.prefix = prefix
        self.objects = []  # (key, kind or None, fixed initial tags or None)

    def add(self, key, kind, tags=None):
        self.objects.append((self.prefix + key, kind, tags))

    def chain(self, folder, full_volumes, incrementals, inc_volumes, suffix='.gpg',
              vol_prefix='', manifest_prefix='', sig_prefix='', jsonstat_every=0, day=0):
        t0 = stamp(day)
        self.add('%s%sduplicity-full.%s.manifest%s' % (folder, manifest_prefix, t0, suffix), 'full-manifest')
        self.add('%s%sduplicity-full-signatures.%s.sigtar%s' % (folder, sig_prefix, t0, suffix), 'full-signatures')
        for volume in range(1, full_volumes + 1):
            self.add('%s%sduplicity-full.%s.vol%d.difftar%s' % (folder, vol_prefix, t0, volume, suffix), 'full-volume')
        previous = t0
        for number in range(1, incrementals + 1):
            current = stamp(day + number)
            span = '%s.to.%s' % (previous, current)
            self.add('%s%sduplicity-inc.%s.manifest%s' % (folder, manifest_prefix, span, suffix), 'inc-manifest')
            self.add('%s%sduplicity-new-signatures.%s.sigtar%s' % (folder, sig_prefix, span, suffix), 'new-signatures')
            for volume in range(1, inc_volumes + 1):
                self.add('%s%sduplicity-inc.%s.vol%d.difftar%s' % (folder, vol_prefix, span, volume, suffix),
                         'inc-volume')
            if jsonstat_every and number % jsonstat_every == 0:
                self.add('%sduplicity-inc.%s.jsonstat%s' % (folder, span, suffix), 'jsonstat')
            previous = current


def mixed(prefix, total):
    """About `total` objects: several chains, awkward names and plain files."""
    scale = max(total, 200) / 3000.0
    b = Builder(prefix)
    b.chain('host a/photos/', int(700 * scale), int(30 * scale) or 1, 8, jsonstat_every=5)
    b.chain('nas/mail/', int(600 * scale), int(20 * scale) or 1, 6, suffix='.gz',
            vol_prefix='nas_arch_', manifest_prefix='nas_meta_', sig_prefix='nas_sig_', day=40)
    b.chain('ünïcødé ☃ dir/with  two spaces/', int(300 * scale), 2, 3, vol_prefix='café ', manifest_prefix='café ',
            sig_prefix='café ', day=80)
    # a folder named "manifest" holding volumes, and folders named like duplicity files
    for volume in range(1, int(300 * scale) + 1):
        b.add('manifest/duplicity-inc.%s.to.%s.vol%d.difftar' % (stamp(1), stamp(2), volume), 'inc-volume',
              {'glacierable': 'false', 'owner': 'ops', 'note': 'keep me'} if volume == 7 else None)
    for volume in range(1, int(50 * scale) + 1):
        b.add('duplicity-full.%s.manifest/duplicity-full.%s.vol%d.difftar.p7m' % (stamp(3), stamp(3), volume),
              'full-volume')
    b.add('signatures.sigtar.gpg/duplicity-full.%s.manifest' % stamp(4), 'full-manifest')
    b.add('host a/photos/duplicity-full.%s.jsonstat' % stamp(0), 'jsonstat')
    # duplicity's partial names are duplicity names too
    b.add('host a/photos/duplicity-full.%s.vol1.difftar.part' % stamp(90), 'full-volume')
    b.add('host a/photos/duplicity-full.%s.manifest.part.gpg' % stamp(90), 'full-manifest')
    # not duplicity files
    for key in (
        'host a/photos/duplicity-full.garbage',
        'host a/photos/duplicity-full.%s.manifest.gpg.bak' % stamp(0),
        'host a/photos/duplicity-full.20241301T000000Z.manifest.gpg',
        'host a/photos/duplicity-inc.%s.to.%s.vol01.difftar.gpg' % (stamp(0), stamp(1)),
        'host a/photos/df.1ab2c3.dt.g',
        'signatures/',
        'README.txt',
        'notes/ünïcødé duplicity-full notes.txt',
        'volumes/duplicity-full.%s.vol1.difftar.gpg/' % stamp(0),
    ):
        b.add(key, None)
    # a plain file with the tag is left as it is
    b.add('manifest', None, {'glacierable': 'true', 'owner': 'ops', 'note': 'keep me'})
    number = 0
    while len(b.objects) < total:
        b.add('misc/file %04d.txt' % number, None)
        number += 1
    return b.objects


def initial_tags(index, kind, fixed):
    """Pre-existing tags: unrelated ones, some already right, some wrong."""
    if fixed is not None:
        return dict(fixed)
    tags = {}
    if index % 7 == 0:
        tags.update({'owner': 'ops', 'note': 'keep me'})
    if kind is not None and index % 11 == 0:
        tags['glacierable'] = expected_value(kind)
    elif kind is not None and index % 13 == 0:
        tags['glacierable'] = 'maybe'
    elif kind is None and index % 5 == 0:
        tags['glacierable'] = 'true'
    return tags


def expected_value(kind):
    return 'true' if kind.endswith('volume') else 'false'


def build_spec(objects):
    spec = {}
    counts = {
        'total': len(objects),
        # skipped_earlier stays 0: the module reads every object (only the host's pass after a
        # backup skips the sets an earlier pass tagged).
        'by_action': {'tagged': 0, 'already_correct': 0, 'skipped_archived': 0, 'skipped_earlier': 0,
                      'skipped_not_duplicity': 0, 'failed': 0},
        'by_kind': dict((kind, {'total': 0, 'tagged': 0, 'already_correct': 0, 'skipped_archived': 0,
                                'skipped_earlier': 0, 'failed': 0}) for kind in KINDS),
    }
    for index, (key, kind, fixed) in enumerate(objects):
        tags = initial_tags(index, kind, fixed)
        final = dict(tags)
        if kind is None:
            counts['by_action']['skipped_not_duplicity'] += 1
        else:
            final['glacierable'] = expected_value(kind)
            action = 'already_correct' if tags.get('glacierable') == final['glacierable'] else 'tagged'
            counts['by_action'][action] += 1
            counts['by_kind'][kind]['total'] += 1
            counts['by_kind'][kind][action] += 1
        spec[key] = {'kind': kind, 'initial': tags, 'expected': final}
    return spec, counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--endpoint-url', required=True)
    parser.add_argument('--region', default='us-east-1')
    parser.add_argument('--bucket', required=True)
    parser.add_argument('--prefix', required=True)
    parser.add_argument('--objects', type=int, default=3000)
    parser.add_argument('--spec-out', required=True)
    parser.add_argument('--workers', type=int, default=16)
    args = parser.parse_args()

    objects = mixed(args.prefix, args.objects)
    assert len(set(item[0] for item in objects)) == len(objects), 'duplicate keys'
    spec, counts = build_spec(objects)
    client = boto3.client('s3', endpoint_url=args.endpoint_url, region_name=args.region,
                          config=Config(max_pool_connections=args.workers))

    def put(key):
        extra = {}
        if spec[key]['initial']:
            extra['Tagging'] = urllib.parse.urlencode(spec[key]['initial'])
        client.put_object(Bucket=args.bucket, Key=key, Body=b'x', **extra)

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        list(pool.map(put, spec))

    with open(args.spec_out, 'w', encoding='utf-8') as handle:
        json.dump({'bucket': args.bucket, 'prefix': args.prefix, 'objects': spec, 'counts': counts}, handle)
    print(json.dumps(counts))


if __name__ == '__main__':
    main()
