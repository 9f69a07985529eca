// PM2 runs two cluster workers per pod: the pod's CPU limit is 2 cores and its memory
// limit 1Gi, so 2 x 256 MiB of heap stays under 75 % of the limit and 2 x 400M restart
// thresholds stay under the limit itself.
module.exports = {
  apps: [
    {
      name: 'enterprise-service',
      script: 'dist/main.js',
      exec_mode: 'cluster',
      instances: 2,
      node_args: '--max-old-space-size=256',
      max_memory_restart: '400M',
      kill_timeout: 30000,
      wait_ready: true,
      listen_timeout: 10000,
      autorestart: true,
      max_restarts: 10,
      min_uptime: '10s',
      exp_backoff_restart_delay: 100,
      env: {
        PORT: 3000,
      },
      env_production: {
        NODE_ENV: 'production',
        PORT: 3000,
      },
    },
  ],
};
