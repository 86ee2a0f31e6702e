from django_sse.brokers.base import Broker


class MemoryBroker(Broker):
    """Only this process's own commits wake the hub (``publish()`` does that
    for every broker). For tests and single-process deployments."""

    name = "memory"
