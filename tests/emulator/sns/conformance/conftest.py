"""The SNS conformance suite: what AWS answers, compared exactly.

Each module names the AWS page it follows: the SNS API Reference
(https://docs.aws.amazon.com/sns/latest/api/API_<Action>.html), the SNS Developer Guide, and,
for AWS's exact words, responses recorded on AWS and published with LocalStack's snapshot tests
(``tests/aws/services/sns/test_sns.snapshot.json`` and ``test_sns_filter_policy.snapshot.json``,
recorded 2023-2025; each test names the recorded response it follows as ``snapshot: <test>
/ <key>``). AWS's JSON parser appends the position of a filter-policy error
(``\\n at [Source: ...]``); the emulator gives the message without it.
"""

from __future__ import annotations

import pytest
from botocore.config import Config

from labkit.stack.clients import emulator_client
from tests.emulator.conformance.conftest import error_of, expect_error

API = "https://docs.aws.amazon.com/sns/latest/api/"
GUIDE = "https://docs.aws.amazon.com/sns/latest/dg/"
SNAPSHOT = "localstack tests/aws/services/sns/test_sns.snapshot.json"
FILTER_SNAPSHOT = "localstack tests/aws/services/sns/test_sns_filter_policy.snapshot.json"

__all__ = ["API", "FILTER_SNAPSHOT", "GUIDE", "SNAPSHOT", "error_of", "expect_error"]


@pytest.fixture(scope="module")
def loose_sns(sqs_endpoint, account):
    """An SNS client in the module's account that sends what botocore would refuse to (a
    missing DataType), as the recorded tests did, so the server's own answer is compared."""
    return emulator_client(
        sqs_endpoint,
        service="sns",
        account=account,
        retries={"max_attempts": 1},
        parameter_validation=False,
    )


@pytest.fixture(scope="module")
def other_account(sqs_endpoint):
    """(sqs, sns) clients of another account, 210987654321."""
    return (
        emulator_client(sqs_endpoint, account="210987654321", retries={"max_attempts": 1}),
        emulator_client(
            sqs_endpoint, service="sns", account="210987654321", retries={"max_attempts": 1}
        ),
    )


def no_retries() -> Config:
    return Config(retries={"max_attempts": 1})
