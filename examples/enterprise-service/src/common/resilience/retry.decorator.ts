export interface RetryOptions {
  maxAttempts: number;
  initialDelay: number;
  maxDelay: number;
  factor: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries an async method with exponential backoff and jitter. */
export function Retry(options: RetryOptions): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value;
    descriptor.value = async function (...args: unknown[]) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await original.apply(this, args);
        } catch (error) {
          if (attempt >= options.maxAttempts) throw error;
          const base = Math.min(options.initialDelay * options.factor ** (attempt - 1), options.maxDelay);
          await sleep(base + Math.random() * 0.3 * base);
        }
      }
    };
    return descriptor;
  };
}
