type State = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface CircuitBreakerOptions {
  failureThreshold: number;
  successThreshold: number;
  timeout: number;
  monitoringPeriod: number;
}

export class CircuitBreaker {
  private state: State = 'CLOSED';
  private failures: number[] = [];
  private successes = 0;
  private openedAt = 0;

  constructor(private readonly options: CircuitBreakerOptions) {}

  async executeWithFallback<T>(call: () => Promise<T>, fallback: () => T): Promise<T> {
    try {
      return await this.execute(call);
    } catch {
      return fallback();
    }
  }

  async execute<T>(call: () => Promise<T>): Promise<T> {
    if (this.state === 'OPEN') {
      if (Date.now() - this.openedAt < this.options.timeout) throw new Error('circuit open');
      this.state = 'HALF_OPEN';
      this.successes = 0;
    }
    try {
      const result = await call();
      this.onSuccess();
      return result;
    } catch (error) {
      this.onFailure();
      throw error;
    }
  }

  private onSuccess(): void {
    if (this.state === 'HALF_OPEN' && ++this.successes >= this.options.successThreshold) {
      this.state = 'CLOSED';
      this.failures = [];
    }
  }

  private onFailure(): void {
    const now = Date.now();
    this.failures = this.failures.filter((t) => now - t < this.options.monitoringPeriod).concat(now);
    if (this.state === 'HALF_OPEN' || this.failures.length >= this.options.failureThreshold) {
      this.state = 'OPEN';
      this.openedAt = now;
    }
  }
}
