/**
 * Hostile datagrams at a connected BridgeTransport, sent over loopback from the bridge's own
 * address (the selected pair, so nothing is filtered by source): random STUN, DTLS, RTP/RTCP and
 * unknown records, and damaged SRTP. After each batch the transport is still connected and
 * delivers the bridge's next valid RTP packet, bit for bit.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeTransport } from '../../src/media/bridge/index.js';
import { PortAllocator } from '../../src/media/port-allocator.js';
import { FakeBridge } from '../support/fake-bridge.js';
import { rtpPacket } from '../support/fake-bridge/rtp-builders.js';
import { fuzzParams, fuzzTimeout } from './fuzz-support.js';

/** First bytes of every demux class (RFC 7983): STUN, DTLS, RTP/RTCP, and nothing known. */
const firstByte = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 20, max: 63 }), fc.integer({ min: 128, max: 191 }), fc.integer({ min: 64, max: 127 }));

describe('fuzz: hostile datagrams at a connected bridge transport', () => {
  let bridge: FakeBridge;
  let transport: BridgeTransport;
  const failures: string[] = [];

  beforeAll(async () => {
    bridge = await FakeBridge.create();
    transport = await BridgeTransport.create({ bindAddress: '127.0.0.1', portAllocator: new PortAllocator({ min: 0, max: 0 }) });
    transport.on('failed', (err) => failures.push(err.message));
    await transport.start(bridge.remoteParameters());
    await bridge.connected;
  });

  afterAll(async () => {
    await transport?.close();
    await bridge?.close();
  });

  /** The next valid packet's arrival; 2 s is loopback delivery with a wide margin for a busy machine. */
  function nextRtp(expected: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        transport.off('rtp', on);
        reject(new Error('the valid RTP packet after the garbage never arrived'));
      }, 2000);
      const on = (p: Buffer): void => {
        if (p.readUInt16BE(2) !== expected.readUInt16BE(2)) return;
        clearTimeout(timer);
        transport.off('rtp', on);
        resolve(Buffer.from(p));
      };
      transport.on('rtp', on);
    });
  }

  it(
    'stays connected and delivers the next valid RTP packet after each batch of garbage',
    async () => {
      let seq = 1;
      const datagram = fc.oneof(
        fc.tuple(firstByte, fc.uint8Array({ maxLength: 200 })).map(([b0, rest]) => Buffer.concat([Buffer.of(b0), rest])),
        // Real SRTP from the bridge, damaged in one byte: fails authentication.
        fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
          const p = Buffer.from(bridge.protectRtp(rtpPacket(0xbad, 40_000 + (at % 1000), randomBytes(30))));
          p[at % p.length] = p[at % p.length]! ^ x;
          return p;
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(datagram, { minLength: 1, maxLength: 10 }), async (garbage) => {
          for (const g of garbage) bridge.sendRaw(g);
          const valid = rtpPacket(0xa0000001, seq++, randomBytes(40));
          const arrived = nextRtp(valid);
          bridge.sendRtp(valid);
          expect((await arrived).equals(valid)).toBe(true);
          expect(transport.state).toBe('connected');
        }),
        fuzzParams(0xb41d001, 40),
      );
      expect(failures).toEqual([]);
    },
    fuzzTimeout(30_000),
  );
});
