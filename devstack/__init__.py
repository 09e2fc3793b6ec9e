"""The local stack: what runs the project on one machine without Kubernetes. Never deployed.

It starts a real `influxd`, serves each function with parliament on its own port, and runs an
event mesh that reads the `knative/` manifests and routes CloudEvents the way Knative does.
"""
