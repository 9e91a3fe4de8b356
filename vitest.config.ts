import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests start real servers (Prosody, UDP sockets); two cores means two files at a time.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
    // The leak test forces garbage collection before it compares memory.
    execArgv: ['--expose-gc'],
  },
});
