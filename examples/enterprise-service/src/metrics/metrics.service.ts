import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, collectDefaultMetrics, register } from 'prom-client';

collectDefaultMetrics();

@Injectable()
export class MetricsService {
  readonly httpRequests = new Counter({
    name: 'enterprise_service_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
  });

  readonly httpDuration = new Histogram({
    name: 'enterprise_service_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10],
  });

  readonly inFlight = new Gauge({ name: 'enterprise_service_http_requests_in_flight', help: 'Requests in flight' });

  readonly dbOperations = new Counter({
    name: 'enterprise_service_db_operations_total',
    help: 'Database operations',
    labelNames: ['operation', 'collection', 'status'],
  });

  readonly dbDuration = new Histogram({
    name: 'enterprise_service_db_operation_duration_seconds',
    help: 'Database operation latency',
    labelNames: ['operation', 'collection'],
  });

  readonly eventLoopLag = new Gauge({ name: 'enterprise_service_event_loop_lag_seconds', help: 'Event loop lag' });

  readonly organizations = new Gauge({ name: 'enterprise_service_organizations_total', help: 'Organizations' });

  metrics(): Promise<string> {
    return register.metrics();
  }
}
