import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BridgeTransport,
  BridgeTransportError,
  type BridgeTimings,
} from '../../../src/media/bridge/index.js';
import { PortAllocator } from '../../../src/media/port-allocator.js';
import { FakeBridge } from '../../support/fake-bridge.js';
import { rtpPacket } from '../../support/fake-bridge/rtp-builders.js';
import { until } from '../../support/until.js';

const anyPort = new PortAllocator({ min: 0, max: 0 });
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(timings?: Partial<BridgeTimings>): Promise<{ bridge: FakeBridge; transport: BridgeTransport }> {
  const bridge = await FakeBridge.create();
  cleanups.push(() => bridge.close());
  const transport = await BridgeTransport.create({ bindAddress: '127.0.0.1', portAllocator: anyPort, timings });
  cleanups.push(() => transport.close());
  return { bridge, transport };
}

function nextRtp(source: { once(e: 'rtp', l: (p: Buffer) => void): unknown }, timeoutMs = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no RTP packet')), timeoutMs);
    source.once('rtp', (p) => {
      clearTimeout(timer);
      resolve(Buffer.from(p));
    });
  });
}

async function expectFlowBothWays(bridge: FakeBridge, transport: BridgeTransport, ssrc: number): Promise<void> {
  const out = rtpPacket(ssrc, 1, randomBytes(30));
  const atBridge = nextRtp(bridge);
  expect(transport.sendRtp(out)).toBe(true);
  expect((await atBridge).equals(out)).toBe(true);
  const back = rtpPacket(ssrc + 1, 1, randomBytes(30));
  const atGateway = nextRtp(transport);
  bridge.sendRtp(back);
  expect((await atGateway).equals(back)).toBe(true);
}

function rejection(p: Promise<unknown>): Promise<BridgeTransportError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => {
      if (!(err instanceof BridgeTransportError)) throw err;
      return err;
    },
  );
}

describe('BridgeTransport lifecycle', () => {
  it('fails with consent-expired when the bridge stops answering STUN', async () => {
    const { bridge, transport } = await setup({ consentIntervalMs: 50, consentTimeoutMs: 300 });
    await transport.start(bridge.remoteParameters());
    await bridge.connected;
    // Consent keeps the transport alive while the bridge answers…
    const checksAtStart = bridge.ice.checks.length;
    await until(() => bridge.ice.checks.length > checksAtStart + 3, 5000, 'consent checks answered');
    expect(transport.state).toBe('connected');
    // …and ends it once the bridge goes silent.
    bridge.ice.answering = false;
    const [error] = await transport.waitFor('failed', 2000);
    expect(error.reason).toBe('consent-expired');
    expect(transport.state).toBe('failed');
    expect(transport.sendRtp(rtpPacket(1, 1, Buffer.alloc(8)))).toBe(false);
  });

  it('times out ICE when no usable candidate ever arrives', async () => {
    const { bridge, transport } = await setup({ connectTimeoutMs: 300 });
    const params = bridge.remoteParameters();
    const error = await rejection(transport.start({ ...params, candidates: [] }));
    expect(error.reason).toBe('ice-timeout');
    expect(transport.state).toBe('failed');
  });

  it('rejects start() with closed, without a failed event, when closed while connecting', async () => {
    const { bridge, transport } = await setup();
    let failedEmitted = false;
    transport.on('failed', () => {
      failedEmitted = true;
    });
    const starting = rejection(transport.start({ ...bridge.remoteParameters(), candidates: [] }));
    await new Promise((r) => setTimeout(r, 30));
    await transport.close();
    expect((await starting).reason).toBe('closed');
    expect(failedEmitted).toBe(false);
  });

  it('restarts ICE with new credentials and keeps the DTLS association', async () => {
    const { bridge, transport } = await setup();
    await transport.start(bridge.remoteParameters());
    await bridge.connected;
    const before = transport.localParameters();
    const oldBridgeUfrag = bridge.ice.ufrag;

    bridge.restart({ dtls: false });
    const restarting = transport.restartIce(bridge.remoteParameters(), 'auto');
    const after = transport.localParameters();
    expect(after.ufrag).not.toBe(before.ufrag);
    expect(after.pwd).not.toBe(before.pwd);
    expect(after.fingerprint).toEqual(before.fingerprint);
    // Media keeps flowing during the restart.
    expect(transport.state).toBe('connected');
    await restarting;
    expect(bridge.ice.checks.some((c) => c.username === `${bridge.ice.ufrag}:${after.ufrag}` && c.useCandidate)).toBe(true);
    expect(bridge.ice.ufrag).not.toBe(oldBridgeUfrag);
    await expectFlowBothWays(bridge, transport, 0x100);
  });

  it('renegotiates DTLS and SRTP keys when restarting toward a new bridge endpoint', async () => {
    const { bridge, transport } = await setup();
    await transport.start(bridge.remoteParameters());
    await bridge.connected;
    const firstFingerprint = bridge.clientFingerprint;

    bridge.restart({ dtls: true });
    const reconnected = transport.waitFor('connected', 3000);
    await transport.restartIce(bridge.remoteParameters(), 'renegotiate');
    await reconnected;
    await bridge.connected;
    expect(bridge.clientFingerprint).toBe(firstFingerprint);
    expect(transport.state).toBe('connected');
    await expectFlowBothWays(bridge, transport, 0x200);
    expect(bridge.authFailures).toBe(0);
  });

  it('recovers from lost consent with an ICE restart', async () => {
    const { bridge, transport } = await setup({ consentIntervalMs: 50, consentTimeoutMs: 200 });
    await transport.start(bridge.remoteParameters());
    await bridge.connected;
    bridge.ice.answering = false;
    await transport.waitFor('failed', 2000);

    bridge.ice.answering = true;
    bridge.restart({ dtls: false });
    const connected = transport.waitFor('connected', 2000);
    await transport.restartIce(bridge.remoteParameters());
    await connected;
    expect(transport.state).toBe('connected');
    await expectFlowBothWays(bridge, transport, 0x300);
  });

  it('reports dtls-closed when the bridge ends the association, and handshakes again on restart', async () => {
    const { bridge, transport } = await setup();
    await transport.start(bridge.remoteParameters());
    await bridge.connected;
    const failed = transport.waitFor('failed', 2000);
    // A close_notify alert record (content type 21), as the JVB sends when it expires an endpoint.
    bridge.sendRaw(Buffer.from('15fefd000000000000000000020100', 'hex'));
    const [error] = await failed;
    expect(error.reason).toBe('dtls-closed');

    bridge.restart({ dtls: true });
    await transport.restartIce(bridge.remoteParameters()); // 'auto' must renegotiate here
    await bridge.connected;
    await expectFlowBothWays(bridge, transport, 0x500);
  });

  it('lets a restart supersede a start that is still checking', async () => {
    const { bridge, transport } = await setup();
    const starting = rejection(transport.start({ ...bridge.remoteParameters(), candidates: [] }));
    await new Promise((r) => setTimeout(r, 20));
    await transport.restartIce(bridge.remoteParameters());
    expect((await starting).reason).toBe('superseded');
    await bridge.connected;
    expect(transport.state).toBe('connected');
    await expectFlowBothWays(bridge, transport, 0x400);
  });

  it('announces the configured media address and refuses a wildcard without one', async () => {
    const allocator = new PortAllocator({ min: 0, max: 0 });
    const socket = await allocator.bind('127.0.0.1');
    const transport = await BridgeTransport.create({ bindAddress: '127.0.0.1', announcedAddress: '192.0.2.10', socket });
    cleanups.push(() => transport.close());
    expect(transport.localParameters().candidates).toEqual([
      expect.objectContaining({ ip: '192.0.2.10', port: socket.port, protocol: 'udp', type: 'host', component: 1 }),
    ]);

    const other = await allocator.bind('127.0.0.1');
    await expect(BridgeTransport.create({ bindAddress: '0.0.0.0', socket: other })).rejects.toThrow(/announcedAddress/);
    // The socket it was given has been released.
    expect(() => other.socket.address()).toThrow();
  });

  it('refuses to send before it is connected', async () => {
    const { transport } = await setup();
    expect(transport.state).toBe('new');
    expect(transport.sendRtp(rtpPacket(1, 1, Buffer.alloc(8)))).toBe(false);
    expect(transport.sendRtcp(Buffer.alloc(8, 0x80))).toBe(false);
    expect(transport.stats.sendRefused).toBe(2);
  });
});
