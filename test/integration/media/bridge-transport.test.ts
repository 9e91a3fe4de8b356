import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeTransport, BridgeTransportError, type BridgeTransportOptions } from '../../../src/media/bridge/index.js';
import { MAX_SKIPPED_IN_A_ROW } from '../../../src/media/bridge/rtp-prefilter.js';
import { PortAllocator } from '../../../src/media/port-allocator.js';
import { FakeBridge, type FakeBridgeOptions } from '../../support/fake-bridge.js';
import { receiverReport, rtpPacket, ssrcOf } from '../../support/fake-bridge/rtp-builders.js';

const anyPort = new PortAllocator({ min: 0, max: 0 });
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function makeBridge(options?: FakeBridgeOptions): Promise<FakeBridge> {
  const bridge = await FakeBridge.create(options);
  cleanups.push(() => bridge.close());
  return bridge;
}

async function makeTransport(options: Partial<BridgeTransportOptions> = {}): Promise<BridgeTransport> {
  const transport = await BridgeTransport.create({ bindAddress: '127.0.0.1', portAllocator: anyPort, ...options });
  cleanups.push(() => transport.close());
  return transport;
}

async function connectedPair(options?: FakeBridgeOptions): Promise<{ bridge: FakeBridge; transport: BridgeTransport }> {
  const bridge = await makeBridge(options);
  const transport = await makeTransport();
  await transport.start(bridge.remoteParameters());
  await bridge.connected;
  return { bridge, transport };
}

/** Resolves with the first `count` payloads of `event`, or rejects after `timeoutMs`. */
function collect(
  source: { on(e: 'rtp' | 'rtcp', l: (p: Buffer) => void): unknown; off(e: 'rtp' | 'rtcp', l: (p: Buffer) => void): unknown },
  event: 'rtp' | 'rtcp',
  count: number,
  timeoutMs = 2000,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      source.off(event, on);
      reject(new Error(`got ${got.length} of ${count} '${event}' packets`));
    }, timeoutMs);
    const on = (p: Buffer): void => {
      got.push(Buffer.from(p));
      if (got.length === count) {
        clearTimeout(timer);
        source.off(event, on);
        resolve(got);
      }
    };
    source.on(event, on);
  });
}

function handleCounts(): { udp: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return { udp: info.filter((r) => r === 'UDPWrap').length, timers: info.filter((r) => r === 'Timeout').length };
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('BridgeTransport ↔ fake ICE-lite bridge over loopback', () => {
  // First in the file, so that no earlier test's werift timers are still running at the baseline.
  it('frees its port on close() and leaves no sockets or timers behind', async () => {
    const before = handleCounts();
    const port = await freePort();
    const allocator = new PortAllocator({ min: port, max: port });
    const bridge = await FakeBridge.create();
    const transport = await BridgeTransport.create({ bindAddress: '127.0.0.1', portAllocator: allocator });
    expect(transport.localParameters().candidates[0]?.port).toBe(port);
    await transport.start(bridge.remoteParameters());
    await bridge.connected;
    transport.sendRtp(rtpPacket(1, 1, randomBytes(10)));

    const closed = transport.waitFor('closed', 2000);
    await Promise.all([transport.close(), transport.close()]);
    await closed;
    expect(transport.state).toBe('closed');
    expect(transport.sendRtp(rtpPacket(1, 2, randomBytes(10)))).toBe(false);
    await bridge.close();

    // The port can be bound again, through the allocator too.
    const again = await allocator.bind('127.0.0.1');
    expect(again.port).toBe(port);
    await again.release();

    // werift's DTLS flight timers are not cancellable; they end on their own within ~0.5 s.
    const deadline = performance.now() + 3000;
    let now = handleCounts();
    while ((now.udp > before.udp || now.timers > before.timers) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      now = handleCounts();
    }
    expect(now.udp).toBeLessThanOrEqual(before.udp);
    expect(now.timers).toBeLessThanOrEqual(before.timers);
  });

  it('comes up with ICE, DTLS and SRTP, and the bridge gets our RTP decrypted with our SSRC', async () => {
    const bridge = await makeBridge();
    const transport = await makeTransport();
    const local = transport.localParameters();
    const connected = transport.waitFor('connected', 3000);
    const started = performance.now();
    await transport.start(bridge.remoteParameters());
    await bridge.connected;
    await connected;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(transport.state).toBe('connected');

    // We acted as the controlling agent, nominated with USE-CANDIDATE, and used our credentials.
    const checks = bridge.ice.checks;
    expect(checks.every((c) => c.iceControlling && c.username === `${bridge.ice.ufrag}:${local.ufrag}`)).toBe(true);
    expect(checks.some((c) => c.useCandidate)).toBe(true);
    expect(bridge.peer).toEqual({ host: '127.0.0.1', port: local.candidates[0]?.port });
    // The certificate we presented is the one we announce.
    expect(bridge.clientFingerprint).toBe(local.fingerprint.value);

    const sent = rtpPacket(0x11223344, 1, randomBytes(100));
    const received = collect(bridge, 'rtp', 1);
    expect(transport.sendRtp(sent)).toBe(true);
    const [got] = await received;
    expect(got?.equals(sent)).toBe(true);
    expect(ssrcOf(got!)).toBe(0x11223344);
    expect(transport.stats.rtpOut).toBe(1);
    expect(transport.stats.srtpProfile).toBe('AES_CM_128_HMAC_SHA1_80');
  });

  it('delivers RTP from every SSRC the bridge sends on the one m-line', async () => {
    const { bridge, transport } = await connectedPair();
    const ssrcs = [0xa0000001, 0xb0000002, 0xc0000003];
    const received = collect(transport, 'rtp', ssrcs.length * 5);
    const sent: Buffer[] = [];
    for (let seq = 10; seq < 15; seq++) {
      for (const ssrc of ssrcs) {
        const p = rtpPacket(ssrc, seq, randomBytes(60));
        sent.push(p);
        bridge.sendRtp(p);
      }
    }
    const got = await received;
    for (const ssrc of ssrcs) {
      const mine = got.filter((p) => ssrcOf(p) === ssrc);
      expect(mine).toHaveLength(5);
      for (const p of mine) expect(sent.some((s) => s.equals(p))).toBe(true);
    }
    expect(transport.stats.rtpIn).toBe(15);
  });

  it('carries RTCP both ways', async () => {
    const { bridge, transport } = await connectedPair();
    const toBridge = receiverReport(0x1111, 0xa0000001);
    const atBridge = collect(bridge, 'rtcp', 1);
    expect(transport.sendRtcp(toBridge)).toBe(true);
    expect((await atBridge)[0]?.equals(toBridge)).toBe(true);

    const toGateway = receiverReport(0x2222, 0x1111);
    const atGateway = collect(transport, 'rtcp', 1);
    bridge.sendRtcp(toGateway);
    expect((await atGateway)[0]?.equals(toGateway)).toBe(true);
  });

  it('uses AEAD_AES_128_GCM when the bridge selects it', async () => {
    const { bridge, transport } = await connectedPair({ srtpProfiles: ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'] });
    expect(transport.stats.srtpProfile).toBe('AEAD_AES_128_GCM');
    const p = rtpPacket(5, 7, randomBytes(50));
    const atGateway = collect(transport, 'rtp', 1);
    bridge.sendRtp(p);
    expect((await atGateway)[0]?.equals(p)).toBe(true);
    const atBridge = collect(bridge, 'rtp', 1);
    transport.sendRtp(p);
    expect((await atBridge)[0]?.equals(p)).toBe(true);
  });

  it('drops and counts packets that fail SRTP authentication, and replays', async () => {
    const { bridge, transport } = await connectedPair();
    const good = bridge.protectRtp(rtpPacket(9, 1, randomBytes(40)));
    const tampered = Buffer.from(bridge.protectRtp(rtpPacket(9, 2, randomBytes(40))));
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 0xff;
    const after = rtpPacket(9, 3, randomBytes(40));
    const received = collect(transport, 'rtp', 2);
    bridge.sendRaw(good);
    bridge.sendRaw(tampered);
    bridge.sendRaw(good); // replay
    bridge.sendRtp(after);
    const got = await received;
    expect(got.map((p) => p.readUInt16BE(2))).toEqual([1, 3]);
    expect(transport.stats.srtpAuthFailures).toBe(1);
    expect(transport.stats.srtpReplays).toBe(1);
  });

  it('rejects start() and emits failed when the certificate does not match the fingerprint', async () => {
    const bridge = await makeBridge();
    const transport = await makeTransport();
    const failed = transport.waitFor('failed', 3000);
    const wrong = { ...bridge.remoteParameters(), fingerprints: [{ hash: 'sha-256', value: 'AB:'.repeat(31) + 'AB' }] };
    const error = await transport.start(wrong).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(BridgeTransportError);
    expect((error as BridgeTransportError).reason).toBe('fingerprint-mismatch');
    expect((error as Error).message).toContain('fingerprint');
    const [emitted] = await failed;
    expect(emitted.reason).toBe('fingerprint-mismatch');
    expect(transport.state).toBe('failed');
    expect(transport.sendRtp(rtpPacket(1, 1, Buffer.alloc(10)))).toBe(false);
  });

  it('connects with a candidate trickled after start()', async () => {
    const bridge = await makeBridge();
    const transport = await makeTransport();
    const params = bridge.remoteParameters();
    const starting = transport.start({ ...params, candidates: [] });
    await new Promise((r) => setTimeout(r, 100));
    expect(transport.state).toBe('checking');
    expect(transport.addRemoteCandidate(params.candidates[0]!)).toBe(true);
    await starting;
    await bridge.connected;
    const p = rtpPacket(3, 1, randomBytes(20));
    const atBridge = collect(bridge, 'rtp', 1);
    transport.sendRtp(p);
    expect((await atBridge)[0]?.equals(p)).toBe(true);
  });

  it('ignores the bridge TCP candidate and connects over UDP', async () => {
    const bridge = await makeBridge({ tcpCandidate: true });
    const transport = await makeTransport();
    const params = bridge.remoteParameters();
    expect(params.candidates.some((c) => c.protocol === 'tcp')).toBe(true);
    expect(transport.addRemoteCandidate(params.candidates.find((c) => c.protocol === 'tcp')!)).toBe(false);
    await transport.start(params);
    expect(transport.stats.selectedPair?.remote).toEqual({ host: '127.0.0.1', port: bridge.port });
  });

  it('keeps two transports to two bridges apart', async () => {
    const a = await connectedPair();
    const b = await connectedPair();
    const atA = collect(a.transport, 'rtp', 3);
    const atB = collect(b.transport, 'rtp', 3);
    const atBridgeA = collect(a.bridge, 'rtp', 3);
    const atBridgeB = collect(b.bridge, 'rtp', 3);
    for (let seq = 0; seq < 3; seq++) {
      a.bridge.sendRtp(rtpPacket(0xaaaa, seq, randomBytes(30)));
      b.bridge.sendRtp(rtpPacket(0xbbbb, seq, randomBytes(30)));
      a.transport.sendRtp(rtpPacket(0x0a0a, seq, randomBytes(30)));
      b.transport.sendRtp(rtpPacket(0x0b0b, seq, randomBytes(30)));
    }
    expect((await atA).map(ssrcOf)).toEqual([0xaaaa, 0xaaaa, 0xaaaa]);
    expect((await atB).map(ssrcOf)).toEqual([0xbbbb, 0xbbbb, 0xbbbb]);
    expect((await atBridgeA).map(ssrcOf)).toEqual([0x0a0a, 0x0a0a, 0x0a0a]);
    expect((await atBridgeB).map(ssrcOf)).toEqual([0x0b0b, 0x0b0b, 0x0b0b]);
    await new Promise((r) => setTimeout(r, 50));
    expect(a.transport.stats.rtpIn).toBe(3);
    expect(b.transport.stats.rtpIn).toBe(3);
    expect(a.bridge.authFailures + b.bridge.authFailures).toBe(0);
  });
});

describe('BridgeTransport RTP prefilter', () => {
  it('shows the filter the clear header, skips what it declines, and forces one decryption per SSRC now and then', async () => {
    const { bridge, transport } = await connectedPair();
    const seen: number[] = [];
    // Declines SSRC 0xaaaa (as silence would be), keeps 0xbbbb.
    transport.setRtpPrefilter((p) => {
      seen.push(ssrcOf(p));
      return ssrcOf(p) !== 0xaaaa;
    });
    const total = MAX_SKIPPED_IN_A_ROW + 10;
    const delivered = collect(transport, 'rtp', 1 + 10, 3000);
    for (let seq = 0; seq < total; seq++) {
      bridge.sendRtp(rtpPacket(0xaaaa, seq, randomBytes(40)));
      // Paced, so that the loopback receive buffer never overflows.
      if (seq % 32 === 31) await new Promise((r) => setTimeout(r, 5));
    }
    for (let seq = 0; seq < 10; seq++) bridge.sendRtp(rtpPacket(0xbbbb, seq, randomBytes(40)));
    const got = await delivered;
    // Only the packet past the budget of 0xaaaa was decrypted, and it authenticated.
    expect(got.filter((p) => ssrcOf(p) === 0xaaaa).map((p) => p.readUInt16BE(2))).toEqual([MAX_SKIPPED_IN_A_ROW]);
    expect(got.filter((p) => ssrcOf(p) === 0xbbbb)).toHaveLength(10);
    expect(seen.filter((s) => s === 0xaaaa)).toHaveLength(total - 1);
    expect(transport.stats.rtpIn).toBe(total + 10);
    expect(transport.stats.srtpAuthFailures).toBe(0);
  });
});
