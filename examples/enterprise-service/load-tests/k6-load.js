import http from 'k6/http';
import { check } from 'k6';

// Normal, peak and burst load from the standard; thresholds are its acceptance criteria.
export const options = {
  scenarios: {
    normal: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '5m', preAllocatedVUs: 50 },
    peak: { executor: 'constant-arrival-rate', rate: 500, timeUnit: '1s', duration: '5m', startTime: '5m', preAllocatedVUs: 200 },
    burst: { executor: 'constant-arrival-rate', rate: 1000, timeUnit: '1s', duration: '1m', startTime: '10m', preAllocatedVUs: 400 },
  },
  thresholds: {
    http_req_duration: ['p(95)<500', 'p(99)<1000'],
    http_req_failed: ['rate<0.001'],
  },
};

export default function () {
  const response = http.get(`${__ENV.BASE_URL || 'http://localhost:3000'}/health/readiness`);
  check(response, { 'status is 200': (r) => r.status === 200 });
}
