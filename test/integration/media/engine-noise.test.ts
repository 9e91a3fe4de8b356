/**
 * Noise suppression in the engine: off unless the engine's default or the call asks for it, and
 * when on it works on what reaches the bridge. A steady tone is what RNNoise removes best (it is
 * no voice), so a caller's tone that the bridge hears plainly without suppression must be gone
 * with it.
 */
import { describe, expect, it } from 'vitest';
import { FakeConference } from '../../support/fake-bridge-audio.js';
import { closeAll, connectCall, testEngine, until, useEngineFixture } from './engine-harness.js';

const CALLER_HZ = 1000;
const f = useEngineFixture();

/** Levels (-dBov, 127 = silence) of the caller's audio at the bridge, after 2 s of it. */
async function levelsAtBridge(opts: { engineDefault?: boolean; perCall?: boolean }) {
  await closeAll(f.engine, f.conf, f.phones);
  f.phones = [];
  f.engine = testEngine(opts.engineDefault === undefined ? {} : { noiseSuppression: opts.engineDefault });
  f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
  const { call, phone, endpoint } = await connectCall(f.engine, f.conf, opts.perCall === undefined ? {} : { noiseSuppression: opts.perCall });
  f.phones.push(phone);
  phone.startTone(CALLER_HZ, 8000);
  // Silence goes out as one packet per 400 ms: wait on the caller's packets, not the bridge's.
  // The phone's 20 ms timer shares this process with the engine: on a loaded machine 100 packets
  // take longer than 2 s.
  await until('2 s of caller audio through the engine', () => call.stats().caller.packetsReceived >= 100, 15_000);
  const sent = endpoint.gateway(call.ssrc);
  return { levels: sent?.levels ?? [], stats: call.stats().caller, uplink: call.details().uplink };
}

describe('noise suppression in the media engine', () => {
  it('is off by default: the caller tone reaches the bridge untouched', async () => {
    const { levels, stats } = await levelsAtBridge({});
    expect(stats.denoisedFrames).toBeUndefined();
    // The tone is -15 dBov; a rebuffering tick on a busy machine now and then sends less or nothing.
    const last = levels.slice(-40);
    expect(last.length).toBe(40);
    expect(last.filter((l) => l <= 17).length).toBeGreaterThan(last.length * 0.8);
  });

  it('runs when the call asks for it, and removes a steady tone', async () => {
    const { levels, stats, uplink } = await levelsAtBridge({ perCall: true });
    expect(stats.denoisedFrames).toBeGreaterThan(50);
    // RNNoise needs a few frames to call the tone noise; then what is left is silence (level 127,
    // one packet per 400 ms as DTX) or far below the tone's -15 dBov.
    const last = levels.slice(-3);
    expect(last.length).toBe(3);
    expect(last.every((l) => l === 127 || l >= 50)).toBe(true);
    // Counted in frames, not in packets over wall time (a slow machine stretches the wait, and
    // silence goes out every 400 ms however long it is). The tone is -15 dBov, speech to the level
    // gate in every frame: without suppression no frame would go out as silence. With it, the
    // frames after RNNoise has learnt the tone (and the gate's 300 ms hangover) do: about 70 of
    // 115 on a quiet machine; fewer on a loaded one, where late packets make the engine conceal.
    expect(uplink.silence + uplink.silenceHeld).toBeGreaterThanOrEqual(25);
  });

  it("follows the engine's default, which a call can turn off", async () => {
    const on = await levelsAtBridge({ engineDefault: true });
    expect(on.stats.denoisedFrames).toBeGreaterThan(50);
    const off = await levelsAtBridge({ engineDefault: true, perCall: false });
    expect(off.stats.denoisedFrames).toBeUndefined();
  });
});
