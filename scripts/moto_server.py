"""moto's server as the tests and the demo run it: moto_server with two fixes that
make it answer as S3 does.

- RestoreObject honours a versionId. moto 5.2 restores the current version of a key
  whatever version the request names, and answers InvalidObjectState when that one is
  not archived; S3 restores the version named (what s3_rewind asks for when an
  archived version was overwritten).
- With IAM enforced, HeadBucket needs s3:ListBucket, as AWS documents; moto asks for
  an action s3:HeadBucket that IAM does not have, so no real policy could allow it.

and one that only saves time: the backend that serves a host is looked up once per
host, not again for every request. moto's dispatcher does that lookup under one lock for
all threads, and each time lists its package directory and tries every service's URL
patterns; it was most of the endpoint's CPU per request (benchmarks/endpoint).

Everything else is moto's own. Started by scripts/services with moto_server's arguments.
"""

import contextvars
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.s3 import models, responses
from moto.server import main

_VERSION = contextvars.ContextVar('restore_version', default=None)
_key_response_post = responses.S3Response._key_response_post
_restore_object = models.S3Backend.restore_object


def key_response_post(self, request, body, bucket_name, query, key_name):
    token = _VERSION.set((query.get('versionId') or [None])[0])
    try:
        return _key_response_post(self, request, body, bucket_name, query, key_name)
    finally:
        _VERSION.reset(token)


def restore_object(self, bucket_name, key_name, days, type_):
    version_id = _VERSION.get()
    if version_id is None:
        return _restore_object(self, bucket_name, key_name, days, type_)
    key = self.get_object(bucket_name, key_name, version_id=version_id)
    if not key:
        raise models.MissingKey(key=key_name)
    if key.storage_class not in models.ARCHIVE_STORAGE_CLASSES:
        raise models.InvalidObjectState(storage_class=key.storage_class)
    had_expiry_date = key.expiry_date is not None
    if days:
        key.restore(int(days))
    return had_expiry_date


_backend_for_host = DomainDispatcherApplication.get_backend_for_host
_BACKENDS = {}


def backend_for_host(self, host):
    # The answer depends only on the host and on moto's installed services. Called
    # under the dispatcher's lock.
    try:
        return _BACKENDS[host]
    except KeyError:
        backend = _BACKENDS[host] = _backend_for_host(self, host)
        return backend


responses.ACTION_MAP['BUCKET']['HEAD']['DEFAULT'] = 'ListBucket'
DomainDispatcherApplication.get_backend_for_host = backend_for_host
responses.S3Response._key_response_post = key_response_post
models.S3Backend.restore_object = restore_object

if __name__ == '__main__':
    sys.exit(main())
