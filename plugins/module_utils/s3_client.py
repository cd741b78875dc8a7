# -*- coding: utf-8 -*-
# Copyright (c) offsite.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The S3 client every module of the collection uses: amazon.aws's, the only retry layer.

Its retry decorator retries throttling (S3 says SlowDown) and server errors
(s3_engine.AWS_RETRY_CODES); the engines retry nothing. The connection pool has one
connection per worker thread. Modules pass ``CALL_ARGS`` with every request."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.s3 import s3_extra_params

from ansible_collections.offsite.backup.plugins.module_utils.s3_engine import AWS_RETRY_CODES

CALL_ARGS = {'aws_retry': True}


def connect(module, concurrency):
    """The module's S3 client, with ``concurrency`` pooled connections; fails the module when it cannot be made."""
    extra_params = s3_extra_params(module.params)
    extra_params['config'] = dict(extra_params.get('config') or {}, max_pool_connections=concurrency)
    retry_decorator = AWSRetry.jittered_backoff(catch_extra_error_codes=list(AWS_RETRY_CODES))
    try:
        return module.client('s3', retry_decorator=retry_decorator, **extra_params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg='Failed to connect to AWS')
    return None
