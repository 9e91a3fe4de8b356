/**
 * Several phone callers in one conference room: each has its own bridge transport (as each is
 * its own JVB participant), and the fake conference forwards every caller's audio to the other
 * transports as the JVB does. Each caller must hear the web speakers and the other callers, never
 * itself, while the room decodes each web speaker once.
 */
import { describe, expect, it } from 'vitest';
import { detectTones } from '../../support/audio.js';
import { FakeConference } from '../../support/fake-bridge-audio.js';
import { connectCall, ROOM, sleep, testEngine, until, useEngineFixture } from './engine-harness.js';

const f = useEngineFixture();

describe('media engine rooms', () => {
  it('lets two callers of one room hear the web speakers and each other, but not themselves', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }, { freqHz: 700 }] });
    const a = await connectCall(f.engine, f.conf, { callId: 'a' });
    const b = await connectCall(f.engine, f.conf, { callId: 'b' });
    f.phones.push(a.phone, b.phone);
    a.phone.startTone(1000, 6000);
    b.phone.startTone(1500, 6000);
    f.conf.start();
    // The JVB's copies of each caller reach the other caller's transport.
    await until('forwarded caller audio', () => (f.engine!.roomStats(ROOM)?.localEchoDropped ?? 0) > 0);
    const fromA = a.phone.received.length;
    const fromB = b.phone.received.length;
    // 1.5 s of audio at each phone, however long a loaded machine takes to deliver it.
    await a.phone.waitForPackets(fromA + 75, 10_000);
    await b.phone.waitForPackets(fromB + 75, 10_000);

    const candidates = [400, 700, 1000, 1500];
    expect(detectTones(a.phone.audio(fromA + 5), 8000, candidates)).toEqual([400, 700, 1500]);
    expect(detectTones(b.phone.audio(fromB + 5), 8000, candidates)).toEqual([400, 700, 1000]);

    const room = f.engine.roomStats(ROOM)!;
    expect(room.members).toBe(2);
    // Callers are mixed locally; the bridge's copies of their SSRCs are dropped on arrival.
    expect(room.streams.map((s) => s.ssrc).sort()).toEqual([f.conf.ssrcOf(0), f.conf.ssrcOf(1)].sort());
    expect(room.localEchoDropped).toBeGreaterThan(50);
    for (const s of room.streams) {
      // Each web packet arrives on both transports and is decoded once.
      expect(s.duplicates).toBeGreaterThan(50);
      expect(s.decoded).toBeLessThanOrEqual(s.received);
    }
    const ticks = f.engine.stats().clock.ticks;
    expect(f.engine.stats().decoded).toBeLessThanOrEqual(2 * ticks);
  });

  it('mixes narrowband and wideband callers of one room at their own rates', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }, { freqHz: 5000 }] });
    const nb = await connectCall(f.engine, f.conf, { callId: 'nb', codec: 'PCMU' });
    const wb = await connectCall(f.engine, f.conf, { callId: 'wb', codec: 'G722' });
    f.phones.push(nb.phone, wb.phone);
    nb.phone.startTone(1000, 6000);
    wb.phone.startTone(1500, 6000);
    f.conf.start();
    await sleep(400);
    const fromNb = nb.phone.received.length;
    const fromWb = wb.phone.received.length;
    await nb.phone.waitForPackets(fromNb + 75, 10_000);
    await wb.phone.waitForPackets(fromWb + 75, 10_000);

    expect(f.engine.roomStats(ROOM)!.decodeRate).toBe(16000);
    expect(detectTones(nb.phone.audio(fromNb), 8000, [400, 1000, 1500])).toEqual([400, 1500]);
    expect(detectTones(wb.phone.audio(fromWb), 16000, [400, 1000, 1500, 5000])).toEqual([400, 1000, 5000]);
  });

  it('keeps the room while one caller remains and removes it with the last', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    const a = await connectCall(f.engine, f.conf, { callId: 'a' });
    const b = await connectCall(f.engine, f.conf, { callId: 'b' });
    f.phones.push(a.phone, b.phone);
    f.conf.start();
    await a.call.close();
    expect(f.engine.roomStats(ROOM)?.members).toBe(1);
    const from = b.phone.received.length;
    await b.phone.waitForPackets(from + 25, 10_000);
    expect(detectTones(b.phone.audio(from + 3), 8000, [400])).toEqual([400]);
    b.call.disconnectBridge();
    expect(f.engine.roomStats(ROOM)).toBeUndefined();
  });
});
