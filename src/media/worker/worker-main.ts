/**
 * Entry point of a media worker thread: one MediaEngine serving the calls the main thread gives
 * it, through the messages of protocol.ts. Its log lines go to the main thread's logger.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../log.js';
import { MediaEngine } from '../engine/media-engine.js';
import { PromptStore } from '../prompts/prompt-store.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import { MediaWorkerHost } from './worker-host.js';

const port = parentPort;
if (port === null) throw new Error('worker-main runs only as a worker thread');
const init = workerData as WorkerInit;
const post = (msg: FromWorker): void => port.postMessage(msg);

const logger = createLogger({ level: init.logLevel, destination: { write: (line: string) => post({ t: 'log', line }) } });
const engine = new MediaEngine({
  ...init.engine,
  logger,
  ...(init.promptsDir !== undefined ? { prompts: PromptStore.load(init.promptsDir) } : {}),
});
const host = new MediaWorkerHost(engine, post, logger);
port.on('message', (msg: ToWorker) => {
  if (msg.t === 'exit') process.exit(msg.code);
  host.handle(msg);
});
host.startReporting();
post({ t: 'ready' });
