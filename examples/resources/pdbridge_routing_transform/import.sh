# Only a transform published into an Event Orchestration can be imported,
# by EVENT_ORCHESTRATION_ID/TRANSFORM_ID. The transform id is in the label
# of every rule it published: "[pdbridge:PRIORITY:TRANSFORM_ID] label".
terraform import pdbridge_routing_transform.zenoss b02e973d-9620-4e0a-9edc-00fedf7d4694/3f0c5a1e-8b1d-4c55-9a43-0e6f2d1b7c88
