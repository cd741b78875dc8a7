# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""offsite-backup-tag: tag the duplicity objects under a bucket prefix, on a backup host.

The host-side twin of the module offsite.backup.duplicity_tags, for the duply post step
of the ``tags`` strategy. It needs python3 and boto3 (Debian's python3-boto3 is enough),
not Ansible. Install these five files in one directory, for example
/usr/local/lib/offsite-backup/ (root-owned, 0644):

    roles/duply/files/offsite-backup-tag.py         -> offsite-backup-tag.py
    plugins/module_utils/duplicity_names.py         -> duplicity_names.py
    plugins/module_utils/duplicity_tagging.py       -> duplicity_tagging.py
    plugins/module_utils/s3_engine.py               -> s3_engine.py
    plugins/module_utils/offsite_metrics.py         -> offsite_metrics.py (state files)

and run it with python3 (it has no shebang and is not executable):

    python3 /usr/local/lib/offsite-backup/offsite-backup-tag.py --bucket B --prefix P \
        [--endpoint-url URL] [--region R] [--tag-key K --archive-value V --keep-value V] \
        [--concurrency N] [--state-dir DIR [--sweep-days D] [--full-sweep]] [--check] [--json]

The library files are imported from --lib-dir, else $OFFSITE_BACKUP_LIB, else the
directory of this script. Credentials come from the environment only (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, or boto3's usual chain such as AWS_PROFILE),
never from arguments. The endpoint defaults to $AWS_ENDPOINT_URL_S3 or $AWS_ENDPOINT_URL,
the region to $AWS_REGION or $AWS_DEFAULT_REGION. With an endpoint, the environment's
AWS_REQUEST_CHECKSUM_CALCULATION and AWS_RESPONSE_CHECKSUM_VALIDATION default to
when_required: S3-compatible stores often reject the checksums boto3 1.36 and later send.

With --state-dir, a pass reads only the sets newer than the last complete pass over the
same bucket, prefix and tag (a file per prefix in DIR, 0600), so the pass after a backup
costs requests in proportion to what the backup uploaded; every --sweep-days days (default
7; 0: always) and with --full-sweep it reads every object again. duplicity_tagging's
plan_pass() and next_mark() decide; this script only reads and writes the file.

Prints one summary line on stdout (or the whole result as JSON with --json) and each
failed object on stderr. Exit status: 0 when every duplicity object is tagged as wanted,
1 when an object could not be tagged or the listing failed, 2 for bad arguments or
missing library files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
# Attempts per request, retries included, by botocore's standard retry mode: the only
# retry layer (the engine retries nothing).
MAX_ATTEMPTS = 5
LIBRARY = ('duplicity_names.py', 's3_engine.py', 'duplicity_tagging.py', 'offsite_metrics.py')


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='offsite-backup-tag',
        description='Tag duplicity objects in S3 by kind (volumes: archive value; manifests, '
                    'signatures, jsonstat: keep value), keeping their other tags. '
                    'Credentials come from the environment only.',
    )
    parser.add_argument('--bucket', required=True, help='bucket name')
    parser.add_argument('--prefix', default='', help='key prefix to walk (default: the whole bucket)')
    parser.add_argument('--endpoint-url', default=os.environ.get('AWS_ENDPOINT_URL_S3') or os.environ.get('AWS_ENDPOINT_URL'),
                        help='S3 endpoint (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS)')
    parser.add_argument('--region', default=os.environ.get('AWS_REGION') or os.environ.get('AWS_DEFAULT_REGION'),
                        help='region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1)')
    parser.add_argument('--tag-key', default=None, help='tag key (default: glacierable)')
    parser.add_argument('--archive-value', default=None, help='tag value for volumes (default: true)')
    parser.add_argument('--keep-value', default=None,
                        help='tag value for manifests, signatures and jsonstat files (default: false)')
    parser.add_argument('--concurrency', type=int, default=None, help='parallel requests, 1 to 64 (default: 16)')
    parser.add_argument('--state-dir', default=None,
                        help='keep what each pass tagged here, and read only newer sets next time')
    parser.add_argument('--sweep-days', type=int, default=None,
                        help='with --state-dir: read every object again after this many days (default 7; 0: always)')
    parser.add_argument('--full-sweep', action='store_true', help='with --state-dir: read every object this time')
    parser.add_argument('--check', action='store_true', help='read tags only; report what would be tagged')
    parser.add_argument('--json', action='store_true', help='print the whole result as JSON')
    parser.add_argument('--lib-dir', default=os.environ.get('OFFSITE_BACKUP_LIB'),
                        help='directory holding duplicity_names.py, s3_engine.py and duplicity_tagging.py '
                             '(default: $OFFSITE_BACKUP_LIB, else the directory of this script)')
    return parser.parse_args(argv)


def load_engine(lib_dir):
    """Import duplicity_tagging (with duplicity_names and s3_engine) and offsite_metrics from lib_dir."""
    lib_dir = os.path.abspath(lib_dir or os.path.dirname(os.path.abspath(__file__)))
    for name in LIBRARY:
        if not os.path.isfile(os.path.join(lib_dir, name)):
            raise RuntimeError('%s is missing from %s (use --lib-dir or OFFSITE_BACKUP_LIB)' % (name, lib_dir))
    sys.path.insert(0, lib_dir)
    import duplicity_tagging  # pylint: disable=import-error,import-outside-toplevel
    import offsite_metrics  # pylint: disable=import-error,import-outside-toplevel
    return duplicity_tagging, offsite_metrics


# boto3 1.36 and later send and check CRC checksums on every request unless told
# otherwise, and many S3-compatible stores reject or fail them. With an endpoint other
# than AWS, ask for checksums only where the API requires one; a value already in the
# environment wins.
CHECKSUM_SETTINGS = (
    ('AWS_REQUEST_CHECKSUM_CALCULATION', 'when_required'),
    ('AWS_RESPONSE_CHECKSUM_VALIDATION', 'when_required'),
)


def relax_checksums(endpoint_url, environ=None):
    """Default boto3's checksum settings to when_required when an endpoint is given.

    Must run before the boto3 session is made. Returns the names it set.
    """
    environ = os.environ if environ is None else environ
    if not endpoint_url:
        return []
    changed = []
    for name, value in CHECKSUM_SETTINGS:
        if not environ.get(name):
            environ[name] = value
            changed.append(name)
    return changed


def state_path(state_dir, bucket, prefix):
    digest = hashlib.sha256(('%s\0%s' % (bucket, prefix)).encode('utf-8')).hexdigest()[:20]
    return os.path.join(state_dir, 'tag-%s.json' % digest)


def write_state(metrics, path, state):
    # offsite_metrics makes missing directories with the umask's mode; this one holds only the marks.
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    metrics.write_atomic(path, json.dumps(state, sort_keys=True) + '\n', mode=0o600)


def make_client(boto3, args, max_pool):
    from botocore.config import Config  # pylint: disable=import-outside-toplevel
    session = boto3.session.Session()
    return session.client(
        's3',
        endpoint_url=args.endpoint_url or None,
        region_name=args.region or 'us-east-1',
        # Retries of throttling and transient errors are botocore's alone (standard mode);
        # one pooled connection per worker.
        config=Config(max_pool_connections=max_pool, retries={'mode': 'standard', 'total_max_attempts': MAX_ATTEMPTS}),
    )


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        engine, metrics = load_engine(args.lib_dir)
    except (RuntimeError, ImportError) as exc:
        print('offsite-backup-tag: %s' % exc, file=sys.stderr)
        return EXIT_USAGE
    options = dict(
        tag_key=engine.DEFAULT_TAG_KEY if args.tag_key is None else args.tag_key,
        archive_value=engine.DEFAULT_ARCHIVE_VALUE if args.archive_value is None else args.archive_value,
        keep_value=engine.DEFAULT_KEEP_VALUE if args.keep_value is None else args.keep_value,
        concurrency=engine.DEFAULT_CONCURRENCY if args.concurrency is None else args.concurrency,
    )
    tag = (options['tag_key'], options['archive_value'], options['keep_value'])
    sweep_days = engine.DEFAULT_SWEEP_DAYS if args.sweep_days is None else args.sweep_days
    try:
        engine.validate_tag(*tag)
        if not 1 <= options['concurrency'] <= engine.MAX_CONCURRENCY:
            raise ValueError('--concurrency must be from 1 to %d' % engine.MAX_CONCURRENCY)
        if args.state_dir is None and (args.sweep_days is not None or args.full_sweep):
            raise ValueError('--sweep-days and --full-sweep need --state-dir')
        if args.state_dir is not None and not os.path.isabs(args.state_dir):
            raise ValueError('--state-dir must be an absolute path, got %r' % args.state_dir)
        path = state = None
        plan = (None, 'every object')
        if args.state_dir is not None:
            path = state_path(args.state_dir, args.bucket, args.prefix)
            state = metrics.read_state(path)
            plan = engine.plan_pass(state, args.bucket, args.prefix, *tag, now=time.time(), sweep_days=sweep_days,
                                    force_sweep=args.full_sweep)
    except ValueError as exc:
        print('offsite-backup-tag: %s' % exc, file=sys.stderr)
        return EXIT_USAGE

    relax_checksums(args.endpoint_url)
    try:
        import boto3  # pylint: disable=import-outside-toplevel
    except ImportError:
        print('offsite-backup-tag: python3 cannot import boto3 (install python3-boto3)', file=sys.stderr)
        return EXIT_FAILED

    where = 's3://%s/%s' % (args.bucket, args.prefix)
    started = time.monotonic()
    client = None
    try:
        client = make_client(boto3, args, options['concurrency'])
        result = engine.tag_objects(client, args.bucket, prefix=args.prefix, check_mode=args.check,
                                    newer_than=plan[0], **options)
    except engine.TaggingError as exc:
        print('offsite-backup-tag: %s: %s' % (where, exc), file=sys.stderr)
        result, status = dict(exc.result, incomplete=True), EXIT_FAILED
    except Exception as exc:  # pylint: disable=broad-exception-caught
        print('offsite-backup-tag: %s: %s' % (where, engine.describe_error(exc)), file=sys.stderr)
        return EXIT_FAILED
    else:
        status = EXIT_FAILED if result['counts']['by_action']['failed'] else EXIT_OK
    if path is not None and not args.check:
        try:
            mark = engine.next_mark(state, result, args.bucket, args.prefix, *tag, now=time.time(),
                                    complete=not result.get('incomplete'))
            write_state(metrics, path, mark)
        except OSError as exc:
            # The objects are tagged as wanted; only the next pass costs more (it sweeps).
            print('offsite-backup-tag: warning: cannot keep the state in %s (the next pass reads every '
                  'object): %s' % (path, exc), file=sys.stderr)

    for failed in result['failed_objects']:
        print('offsite-backup-tag: failed: %s (%s): %s' % (json.dumps(failed['key']), failed['kind'], failed['error']),
              file=sys.stderr)
    throttle = engine.throttle_of(client) if client is not None else None
    throttling = throttle.summary() if throttle is not None else None
    if args.json:
        result = dict(result, bucket=args.bucket, prefix=args.prefix, seconds=round(time.monotonic() - started, 3),
                      plan=plan[1], throttling=throttling)
        print(json.dumps(result, sort_keys=True))
    else:
        print('offsite-backup-tag: %s%s: %s in %.1fs%s%s' % (
            where, ' (%s)' % plan[1] if path else '', engine.summary(result), time.monotonic() - started,
            ' (incomplete: the listing failed)' if result.get('incomplete') else '',
            '; throttling answers from S3: %(throttled)d, requests at once went down to %(lowest_limit)d' % throttling
            if throttling and throttling['throttled'] else ''))
    return status


if __name__ == '__main__':
    sys.exit(main())
