import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { serializeRtp } from '../../../src/media/rtp/packet.js';
import { detectTones, ToneGenerator } from '../../support/audio.js';
import {
  Cleanups,
  concat,
  connectedPair,
  driveTone,
  recordPcm,
  sleep,
  until,
} from '../../support/caller-endpoint-harness.js';
import { G711Codec } from '../../../src/media/codecs/g711.js';
import { receiverReport } from '../../support/fake-bridge/rtp-builders.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const CANDIDATES = [440, 700, 1000, 1800];

/** A plain UDP socket on loopback that records what reaches it. */
async function listener(): Promise<{ socket: dgram.Socket; port: number; count: () => number }> {
  const socket = dgram.createSocket('udp4');
  let n = 0;
  socket.on('message', () => n++);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  cleanups.add(() => new Promise<void>((r) => socket.close(() => r())));
  return { socket, port: socket.address().port, count: () => n };
}

describe('CallerEndpoint symmetric RTP latching', () => {
  it('replies to where the RTP comes from, not to the wrong port the SDP advertised', async () => {
    const decoy = await listener();
    const { ep, phone } = await connectedPair(cleanups, 'PCMU', {}, { port: decoy.port });
    const latched: string[] = [];
    ep.on('latched', (a, p) => latched.push(`${a}:${p}`));
    driveTone(cleanups, ep, 700);
    // Before the phone sends anything, the SDP address is all we know.
    await until(() => decoy.count() >= 3, 1000, 'packets to the SDP port');
    expect(phone.received).toHaveLength(0);

    phone.startTone(1000);
    await phone.waitForPackets(10);
    expect(latched).toEqual([`127.0.0.1:${phone.port}`]);
    const decoyAfter = decoy.count();
    await sleep(200);
    expect(decoy.count()).toBe(decoyAfter);
    expect(detectTones(phone.audio(3), 8000, CANDIDATES, 0.3)).toEqual([700]);
    expect(ep.stats().sendingTo).toBe(`127.0.0.1:${phone.port}`);
  });

  it('follows a NAT rebinding (new source port, same SSRC) at once', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMA', { relatchAfterSilenceMs: 5000 });
    const latched: number[] = [];
    ep.on('latched', (_a, p) => latched.push(p));
    const heard = recordPcm(ep);
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);
    await phone.waitForPackets(10);
    const oldPort = phone.port;

    const newPort = await phone.changeSourcePort();
    expect(newPort).not.toBe(oldPort);
    const before = phone.received.length;
    const changedAt = performance.now();
    // Audio to the new port arrives well before the 5 s silence rule could have allowed it.
    await until(() => phone.received.length >= before + 10, 1000, 'audio at the new port');
    expect(performance.now() - changedAt).toBeLessThan(1000);
    expect(latched).toEqual([oldPort, newPort]);
    expect(detectTones(phone.audio(before + 2), 8000, CANDIDATES, 0.3)).toEqual([700]);
    const heardFrom = heard.length;
    await until(() => heard.length >= heardFrom + 10, 1000, 'audio from the new port');
    expect(detectTones(concat(heard.slice(heardFrom)), 8000, CANDIDATES, 0.3)).toEqual([1000]);
  });

  it('lets a source with a new SSRC take over only after the old one has been silent for the rule time', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU', { relatchAfterSilenceMs: 400 });
    const latched: Array<[number, number]> = [];
    const t0 = performance.now();
    ep.on('latched', (_a, p) => latched.push([p, performance.now() - t0]));
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);
    await phone.waitForPackets(10);

    phone.ssrc = (phone.ssrc + 1) >>> 0; // the phone restarted its stream on a new port
    const newPort = await phone.changeSourcePort();
    const changedAt = performance.now() - t0;
    await until(() => latched.length === 2, 2000, 're-latch');
    expect(latched[1]![0]).toBe(newPort);
    expect(latched[1]![1] - changedAt).toBeGreaterThanOrEqual(300);
    expect(ep.stats().dropped.foreignSource).toBeGreaterThan(5);
    const before = phone.received.length;
    await phone.waitForPackets(before + 5);
  });

  it('takes the call back from a stray stream that latched before the phone spoke', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU', { relatchAfterSilenceMs: 1500 });
    // An old call's phone, still sending to a port this call now has.
    const stray = await listener();
    let seq = 0;
    const spray = setInterval(() => {
      const pkt = serializeRtp({ payloadType: 0, sequenceNumber: seq++, timestamp: seq * 160, ssrc: 0x01d, payload: Buffer.alloc(160, 0xff) });
      stray.socket.send(pkt, ep.localPort, '127.0.0.1');
    }, 20);
    cleanups.add(() => clearInterval(spray));
    driveTone(cleanups, ep, 700);
    await until(() => ep.stats().latchedTo === `127.0.0.1:${stray.port}`, 2000, 'the stray stream latched');
    await until(() => stray.count() >= 3, 2000, 'our audio going to the stray source');

    // The phone the SDP names speaks: it takes over at once, though the stray stream goes on.
    phone.startTone(1000);
    await until(() => ep.stats().latchedTo === `127.0.0.1:${phone.port}`, 2000, 'latched to the phone');
    const from = phone.received.length;
    await phone.waitForPackets(from + 25, 5000);
    expect(detectTones(phone.audio(from + 5), 8000, CANDIDATES, 0.3)).toEqual([700]);
    await until(() => ep.stats().dropped.foreignSource >= 5, 2000, 'the stray packets refused');
    expect(ep.stats().latchedTo).toBe(`127.0.0.1:${phone.port}`);
  });

  it('ignores a stranger spraying valid RTP while the caller talks', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU', { relatchAfterSilenceMs: 1500 });
    const stranger = await listener();
    const heard = recordPcm(ep);
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);
    await phone.waitForPackets(5);

    const codec = new G711Codec('PCMU');
    const tone = new ToneGenerator(1800, 8000, 12000);
    let seq = 0;
    const spray = setInterval(() => {
      const pkt = serializeRtp({ payloadType: 0, sequenceNumber: seq++, timestamp: seq * 160, ssrc: 0xbad, payload: codec.encode(tone.next(160)) });
      stranger.socket.send(pkt, ep.localPort, '127.0.0.1');
    }, 10);
    cleanups.add(() => clearInterval(spray));
    const heardFrom = heard.length;
    // Counted, not timed: a loaded machine fires the spray's timer less often.
    await until(() => ep.stats().dropped.foreignSource > 20 && heard.length >= heardFrom + 15, 5000, 'the stranger sprayed and the phone heard');
    clearInterval(spray);

    expect(stranger.count()).toBe(0);
    expect(ep.stats().latchedTo).toBe(`127.0.0.1:${phone.port}`);
    expect(ep.stats().dropped.foreignSource).toBeGreaterThan(20);
    expect(detectTones(concat(heard.slice(heardFrom)), 8000, CANDIDATES, 0.05)).toEqual([1000]);
  });

  it('drops and counts garbage, wrong payload types and RTCP from anywhere without latching', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU');
    const stranger = await listener();
    const send = (b: Buffer): void => void stranger.socket.send(b, ep.localPort, '127.0.0.1');
    send(Buffer.from('hello, is this the SIP port?'));
    send(Buffer.alloc(8));
    send(serializeRtp({ payloadType: 18, sequenceNumber: 1, timestamp: 0, ssrc: 7, payload: Buffer.alloc(20) })); // G.729, not ours
    send(receiverReport(7, 8)); // RFC 5761 rtcp-mux on our RTP port
    await until(() => {
      const d = ep.stats().dropped;
      return d.malformed + d.payloadType + d.rtcp >= 4;
    }, 1000, 'drops counted');
    const { dropped, latchedTo, packetsIn } = ep.stats();
    expect(dropped).toMatchObject({ malformed: 2, payloadType: 1, rtcp: 1 });
    expect(latchedTo).toBeUndefined();
    expect(packetsIn).toBe(0);

    // The real caller still latches afterwards.
    phone.startTone(1000);
    await until(() => ep.stats().latchedTo === `127.0.0.1:${phone.port}`, 1000, 'latch to the phone');
  });

  it('unlatches when a re-INVITE moves the media, and sends to the new SDP address at once', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU');
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);
    await phone.waitForPackets(5);
    phone.stopAudio();
    const moved = await listener();
    ep.reconfigure(phone.offer({ port: moved.port }));
    expect(ep.stats().latchedTo).toBeUndefined();
    await until(() => moved.count() >= 5, 1000, 'packets at the new SDP port');
  });
});
