/**
 * µs per 20 ms frame for the caller endpoint's media path. Run with `npx tsx bench/caller-endpoint.ts`.
 *
 *  - "in-process": packetize (encode + RTP header) → parse + latch check + jitter buffer push →
 *    pull (pop + decode), with no socket in between: the endpoint's own cost.
 *  - "loopback": two CallerEndpoints talking over real UDP on 127.0.0.1; process CPU time (user +
 *    system, so the send/receive syscalls are included) divided by the frames carried. Both
 *    directions' work for one frame is counted once: one frame sent by A and received by B.
 *    Run with RTCP off and on (CALLER_RTCP), interleaved, for what phone RTCP adds per packet.
 */
import { CallerEndpoint } from '../src/media/caller/caller-endpoint.js';
import { SymmetricRtpLatch } from '../src/media/caller/latch.js';
import { CallerRtpReceiver } from '../src/media/caller/rtp-receiver.js';
import { CallerRtpSender } from '../src/media/caller/rtp-sender.js';
import { createCodec, type CodecName } from '../src/media/codecs/index.js';
import { PortAllocator } from '../src/media/port-allocator.js';
import { createRtpPacketView, tryParseRtp } from '../src/media/rtp/packet.js';

const CODECS: Array<[CodecName, number]> = [
  ['PCMU', 0],
  ['PCMA', 8],
  ['G722', 9],
  ['opus', 111],
];

function speechLike(rate: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  let seed = 7;
  for (let i = 0; i < samples; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const v = 3000 * Math.sin((2 * Math.PI * 180 * i) / rate) + 1500 * Math.sin((2 * Math.PI * 1100 * i) / rate) + (((seed >>> 16) % 400) - 200);
    out[i] = Math.round(v * (0.55 + 0.45 * Math.sin((2 * Math.PI * 4 * i) / rate)));
  }
  return out;
}

function framesOf(rate: number): Int16Array[] {
  const n = rate / 50;
  const pcm = speechLike(rate, n * 100);
  return Array.from({ length: 100 }, (_, i) => pcm.slice(i * n, (i + 1) * n));
}

function inProcess(name: CodecName, pt: number): number {
  const txCodec = createCodec(name, { sampleRate: 16000 });
  const rxCodec = createCodec(name, { sampleRate: 16000 });
  const frames = framesOf(txCodec.sampleRate);
  const view = createRtpPacketView();
  const latch = new SymmetricRtpLatch();
  const receiver = new CallerRtpReceiver({ codec: rxCodec, payloadType: pt, telephoneEventPt: 101 }, () => {});
  let now = 0;
  const sender = new CallerRtpSender({ codec: txCodec, payloadType: pt, telephoneEventPt: 101 }, (buf, length) => {
    const v = tryParseRtp(buf.subarray(0, length), view)!;
    if (receiver.accepts(v.payloadType) && latch.consider('127.0.0.1', 40000, v.ssrc, now) !== 'rejected') {
      receiver.receive(v, length, now);
    }
  });
  const run = (count: number): void => {
    for (let i = 0; i < count; i++) {
      now += 20;
      sender.tick(frames[i % 100]!, true, now);
      receiver.pull();
    }
  };
  run(500);
  const n = 20_000;
  const start = process.hrtime.bigint();
  run(n);
  const us = Number(process.hrtime.bigint() - start) / 1000 / n;
  txCodec.close?.();
  rxCodec.close?.();
  return us;
}

async function loopback(name: CodecName, rtcp: 'on' | 'off'): Promise<number> {
  const ports = new PortAllocator({ min: 0, max: 0 });
  const a = await CallerEndpoint.create({ bindAddress: '127.0.0.1', portAllocator: ports, codecs: [name], mediaTimeoutMs: 0, rtcp });
  const b = await CallerEndpoint.create({ bindAddress: '127.0.0.1', portAllocator: ports, codecs: [name], mediaTimeoutMs: 0, rtcp });
  b.acceptAnswer(a.answer(b.offer()));
  const frames = framesOf(a.sampleRate);
  const batch = 10;
  const rounds = 1500;
  const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
  const exchange = async (count: number): Promise<void> => {
    for (let r = 0; r < count; r++) {
      for (let i = 0; i < batch; i++) a.sendPcm(frames[(r * batch + i) % 100]!);
      await yieldToLoop();
      await yieldToLoop();
      for (let i = 0; i < batch; i++) b.pullFrame();
    }
  };
  await exchange(100);
  const received0 = b.stats().packetsIn;
  const cpu0 = process.cpuUsage();
  await exchange(rounds);
  const cpu = process.cpuUsage(cpu0);
  const received = b.stats().packetsIn - received0;
  await a.close();
  await b.close();
  return (cpu.user + cpu.system) / received;
}

const rows: Array<[string, number]> = [];
for (const [name, pt] of CODECS) rows.push([`${name} in-process send+receive`, inProcess(name, pt)]);
for (const [name] of CODECS) {
  // Alternated and repeated, so that a busy neighbour skews both settings alike; the lower of each.
  const off: number[] = [];
  const on: number[] = [];
  for (let i = 0; i < 3; i++) {
    off.push(await loopback(name, 'off'));
    on.push(await loopback(name, 'on'));
  }
  rows.push([`${name} loopback UDP send+receive (CPU), RTCP off`, Math.min(...off)]);
  rows.push([`${name} loopback UDP send+receive (CPU), RTCP on`, Math.min(...on)]);
}
const width = Math.max(...rows.map(([n]) => n.length));
console.log('caller endpoint, µs per 20 ms frame');
for (const [n, us] of rows) console.log(`  ${n.padEnd(width)}  ${us.toFixed(1).padStart(7)} µs`);
