module.exports = {
  apps: [
    {
      name: 'legacy-service',
      script: 'dist/main.js',
      instances: 1,
      autorestart: false,
      env: {
        PORT: 8080,
      },
    },
  ],
};
