"""Prometheus metrics of one server process, in a registry of its own.

Counters and histograms are per process: with several server processes, Prometheus scrapes
each (or sums them); see docs/operations.md. Gauges of stored state (cases by state, queue
depth) are counted in the database at scrape time, so every process reports the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from xray_core.jobs.model import JobCounts
from xray_core.workers.model import WorkerStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# From a quick poll to a slow bcrypt login or a large upload.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A worker takes seconds to minutes; a doctor confirms within minutes, perhaps hours.
CASE_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 7200)


class _StoredCounts(Collector):
    """Gauges read from the database on each scrape."""

    def __init__(self) -> None:
        self.counts: Callable[[], JobCounts] | None = None
        self.fleet: Callable[[], list[WorkerStatus]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.counts is None:
            return
        try:
            counts = self.counts()
        except Exception:
            yield GaugeMetricFamily(
                "teddy_xray_counts_up", "Whether the stored counts could be read", value=0
            )
            return
        yield GaugeMetricFamily(
            "teddy_xray_counts_up", "Whether the stored counts could be read", value=1
        )
        cases = GaugeMetricFamily("teddy_xray_cases", "Cases by state", labels=["state"])
        for status, n in sorted(counts.by_status.items()):
            cases.add_metric([status.value], n)
        yield cases
        yield GaugeMetricFamily(
            "teddy_xray_queue_waiting_slots",
            "Result slots of active cases waiting for a worker",
            value=counts.waiting_slots,
        )
        yield from self._fleet()

    def _fleet(self) -> Iterator[GaugeMetricFamily]:
        if self.fleet is None:
            return
        try:
            fleet = self.fleet()
        except Exception:
            return
        workers = GaugeMetricFamily(
            "teddy_xray_workers",
            "Known workers by state (gone: silent for WORKER_GONE_SECONDS, holding no live lease)",
            labels=["state"],
        )
        for state in ("alive", "gone"):
            workers.add_metric([state], sum(1 for w in fleet if w.gone == (state == "gone")))
        yield workers
        yield GaugeMetricFamily(
            "teddy_xray_worker_slots_held",
            "Result slots leased to workers right now",
            value=sum(w.slots_held for w in fleet),
        )


class PrometheusMetrics:
    """Implements the core's JobMetrics and AuthMetrics, and counts HTTP requests."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._requests = Counter(
            "teddy_xray_http_requests",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=r,
        )
        self._latency = Histogram(
            "teddy_xray_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._uploads = Counter("teddy_xray_uploads", "Photos accepted as new cases", registry=r)
        self._first_result = Histogram(
            "teddy_xray_time_to_first_result_seconds",
            "Time from upload to a case's first x-ray",
            buckets=CASE_BUCKETS,
            registry=r,
        )
        self._confirmed = Histogram(
            "teddy_xray_time_to_confirmation_seconds",
            "Time from upload to confirmation",
            buckets=CASE_BUCKETS,
            registry=r,
        )
        self._login_failures = Counter(
            "teddy_xray_login_failures", "Logins refused for a wrong password", registry=r
        )
        self._stored = _StoredCounts()
        r.register(self._stored)

    def watch(
        self,
        counts: Callable[[], JobCounts],
        fleet: Callable[[], list[WorkerStatus]] | None = None,
    ) -> None:
        """Report the stored counts (and the worker fleet) on every scrape."""
        self._stored.counts = counts
        self._stored.fleet = fleet

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered HTTP request."""
        self._requests.labels(method, route, str(status)).inc()
        self._latency.labels(method, route).observe(seconds)

    def job_uploaded(self) -> None:
        """Count an upload."""
        self._uploads.inc()

    def first_result(self, seconds: float) -> None:
        """Observe the time to a case's first result."""
        self._first_result.observe(seconds)

    def confirmed(self, seconds: float) -> None:
        """Observe the time to a case's confirmation."""
        self._confirmed.observe(seconds)

    def login_failed(self) -> None:
        """Count a failed login."""
        self._login_failures.inc()

    def exposition(self) -> bytes:
        """Return every metric in the Prometheus text format."""
        return generate_latest(self.registry)
