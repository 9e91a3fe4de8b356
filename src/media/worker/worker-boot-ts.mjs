// Starts a media worker from the TypeScript sources (tests, `tsx` runs): a worker thread does not
// inherit the parent's loader, so it registers tsx itself. Built code starts worker-main.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
