"""What `terraform/` declares, read offline, and put on a running SQS/SNS.

    read    every *.tf parsed (python-hcl2) and merged; what its names refer to (variables,
            locals, resources and their for_each instances, dynamic blocks)
                                                           -> TerraformFiles, Unresolved
    expressions  HCL expressions evaluated on python-hcl2's parse tree (what is known before
            `terraform apply`)                             -> Expression, Evaluator
    facts   the lab's queues (SQS attributes, dead-letter queues first) and ECS services
                                                           -> TerraformFolder, queue_definitions
    attributes  Terraform arguments -> AWS API attributes, per resource type (queues, topics,
            subscriptions)                             -> API_ATTRIBUTES, api_attributes
    topics  SNS topics, their SQS subscriptions, queue policies; made on an endpoint
                                                           -> topic_definitions, ensure_topics
    sync    queues created (idempotent) on an endpoint, drift from it
                                                           -> ensure_queues, queue_drift

The lab creates its local queues from the same `aws_sqs_queue` blocks students apply on AWS,
so the two cannot drift. A new kind of fact (another resource type) is a function in `facts`
or a module beside `topics`, reading `TerraformFolder.resources(...)`.
"""

from __future__ import annotations

from labkit.terraform.facts import (
    QUEUE_ATTRIBUTES,
    QueueDefinition,
    Service,
    TaskDefinition,
    TerraformFolder,
    queue_definitions,
    with_prefix,
)
from labkit.terraform.read import OFFLINE_ACCOUNT_ID, TerraformError, TerraformFiles, Unresolved
from labkit.terraform.sync import ensure_queues, queue_drift
from labkit.terraform.topics import (
    SubscriptionDefinition,
    TopicDefinition,
    ensure_topics,
    queue_policies,
    topic_definitions,
)

__all__ = [
    "OFFLINE_ACCOUNT_ID",
    "QUEUE_ATTRIBUTES",
    "QueueDefinition",
    "Service",
    "SubscriptionDefinition",
    "TaskDefinition",
    "TerraformError",
    "TerraformFiles",
    "TerraformFolder",
    "TopicDefinition",
    "Unresolved",
    "ensure_queues",
    "ensure_topics",
    "queue_definitions",
    "queue_drift",
    "queue_policies",
    "topic_definitions",
    "with_prefix",
]
