/**
 * A second gateway process's mapper: `node --import tsx mapper-process.ts '<json>'` with
 * {store, meetings, pins}. Asks for every meeting's PIN at once (as the first requests of many
 * browsers would), looks up the given PINs (as its PIN prompt would) and prints the answers as
 * one JSON line. It first prints `ready` and waits for a line on stdin, so that the test can
 * make both processes ask at the same moment.
 */
import { openMapper, type StoreSpec } from './mappers.js';

const input = JSON.parse(process.argv[2] ?? '{}') as { store: StoreSpec; meetings: string[]; pins: string[]; pinDigits?: number };
const mapper = await openMapper(input.store, input.pinDigits !== undefined ? { pinDigits: input.pinDigits } : {});
// Store open: say so and wait for the go, so both processes ask at the same moment.
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const allocated = await Promise.all(input.meetings.map(async (m) => (await mapper.pinFor(m)).pin));
const resolved = await Promise.all(input.pins.map((p) => mapper.roomForPin(p)));
await mapper.close();
process.stdout.write(`${JSON.stringify({ allocated, resolved: resolved.map((r) => r ?? null) })}\n`);
