import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

const SHUTDOWN_TIMEOUT_MS = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 30000);

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();

  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`${signal} received: draining for up to ${SHUTDOWN_TIMEOUT_MS} ms`);
    const timer = setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    await app.close(); // stops the HTTP server, then closes MongoDB and Redis
    process.exit(0);
  };

  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('uncaughtException', (error) => {
    console.error('uncaught exception', error);
    void shutdown('uncaughtException');
  });
  process.on('unhandledRejection', (reason) => {
    console.error('unhandled rejection', reason);
    void shutdown('unhandledRejection');
  });

  await app.listen(Number(process.env.PORT ?? 3000));
  if (process.send) {
    process.send('ready'); // PM2 wait_ready
  }
}

void bootstrap();
