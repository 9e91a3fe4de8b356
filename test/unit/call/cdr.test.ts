import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { callSnapshot } from '../../../src/call/call-snapshot.js';
import { CdrWriter, callDetailRecord } from '../../../src/call/cdr.js';
import { endedBy, Reasons } from '../../../src/call/close-reason.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const started = Date.parse('2026-05-01T10:00:00.000Z');
const snapshot = callSnapshot(
  {
    id: 'abc-123',
    direction: 'in',
    room: 'room1@muc.example',
    phase: 'connected',
    startedAt: started,
    answeredAt: started + 1500,
    parties: { shownAs: 'Alice', phoneNumber: '+15550100', calledNumber: '4000', sipCallId: 'abc' },
    media: undefined,
  },
  started + 61_500,
);
const end = { reason: Reasons.callerBye, endedBy: endedBy(Reasons.callerBye), sipStatus: 200, endedAtMs: started + 61_500 };

describe('call detail records', () => {
  it('carry ids, parties, times, the end reason and side, the SIP status and the quality', () => {
    const cdr = callDetailRecord(snapshot, end, 'direct');
    expect(cdr).toMatchObject({
      callId: 'abc-123',
      sipCallId: 'abc',
      shownAs: 'Alice',
      phoneNumber: '+15550100',
      calledNumber: '4000',
      room: 'room1@muc.example',
      startedAt: '2026-05-01T10:00:00.000Z',
      answeredAt: '2026-05-01T10:00:01.500Z',
      endedAt: '2026-05-01T10:01:01.500Z',
      talkSeconds: 60,
      setupSeconds: 1.5,
      endReason: 'caller-bye',
      endClass: 'normal',
      endedBy: 'phone',
      sipStatus: 200,
      mediaMode: 'direct',
      quality: { phoneToMeeting: { packets: 0, mos: null }, rttAvgMs: null },
    });
  });

  it('name the side that ended the call', () => {
    expect(endedBy(Reasons.kicked)).toBe('meeting');
    expect(endedBy(Reasons.calleeBusy)).toBe('phone');
    expect(endedBy(Reasons.noSessionInitiate)).toBe('gateway');
    expect(endedBy({ cls: 'upstream_error', cause: 'bridge-ice-timeout' })).toBe('gateway');
  });

  it('go to the log, and with CDR_FILE to one JSON line per call, in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdr-'));
    dirs.push(dir);
    const file = join(dir, 'cdr.jsonl');
    const { logger, lines } = capture();
    const w = new CdrWriter({ logger, file, mediaMode: 'direct' });
    w.record(snapshot, end);
    w.record({ ...snapshot, id: 'second' }, { ...end, reason: Reasons.kicked, endedBy: 'meeting' });
    await w.flush();
    expect(lines.map((l) => l['msg'])).toEqual(['call detail record', 'call detail record']);
    expect((lines[0]!['cdr'] as Record<string, unknown>)['callId']).toBe('abc-123');
    const written = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(written.map((r) => [r['callId'], r['endReason']])).toEqual([
      ['abc-123', 'caller-bye'],
      ['second', 'kicked'],
    ]);
  });

  it('log a file that cannot be written instead of throwing', async () => {
    const { logger, lines } = capture();
    const w = new CdrWriter({ logger, file: join(tmpdir(), 'no-such-dir-for-cdr', 'x', 'cdr.jsonl'), mediaMode: 'direct' });
    expect(() => w.record(snapshot, end)).not.toThrow();
    await w.flush();
    expect(lines.map((l) => l['msg'])).toEqual(['call detail record', 'CDR not written to CDR_FILE']);
  });
});
