/**
 * SDES-SRTP on the caller endpoint over real UDP: a hand-made SRTP phone (a socket, our offer with
 * its own key, G.711 by hand) against the endpoint's answer. Audio both ways by content; what an
 * attacker or a confused peer sends (a tampered packet, a replay, plain RTP) is dropped and counted.
 * Interoperability with another SRTP stack (libsrtp) is shown by the baresip end-to-end test.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createSdesSession, usableKeys, type SdesSuite } from '../../../src/media/caller/sdes.js';
import { createCodec } from '../../../src/media/codecs/factory.js';
import { tryParseRtp, createRtpPacketView, writeRtp } from '../../../src/media/rtp/packet.js';
import { buildReceiverReport, isRtcp, ntpMiddle32, parseRtcp } from '../../../src/media/rtp/rtcp.js';
import { detectTones, ToneGenerator } from '../../support/audio.js';
import { Cleanups, concat, driveTone, makeEndpoint, recordPcm, sdpPort, until } from '../../support/caller-endpoint-harness.js';
import sdpTransform from 'sdp-transform';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const CANDIDATES = [440, 700, 1000, 1800];

async function srtpPhone(suite: SdesSuite, proto = 'RTP/SAVP') {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  cleanups.add(() => new Promise<void>((r) => socket.close(() => r())));
  const key = randomBytes(30);
  const offer = [
    'v=0',
    'o=phone 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${socket.address().port} ${proto} 0`,
    'a=rtpmap:0 PCMU/8000',
    `a=crypto:7 ${suite} inline:${key.toString('base64')}`,
    'a=sendrecv',
    '',
  ].join('\r\n');
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  return { socket, key, offer, received };
}

describe('caller SRTP (SDES) over real UDP', () => {
  it.each(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const)(
    '%s: audio both ways; tampered, replayed and plain packets are dropped and counted',
    async (suite) => {
      const phone = await srtpPhone(suite);
      const ep = await makeEndpoint(cleanups, { srtp: 'required' });
      const answer = ep.answer(phone.offer);
      const theirs = usableKeys(sdpTransform.parse(answer).media[0]!.crypto);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]).toMatchObject({ tag: 7, suite });
      const session = createSdesSession(suite, phone.key, theirs[0]!.keySalt);
      const port = sdpPort(answer);
      const send = (packet: Buffer): void => phone.socket.send(packet, port, '127.0.0.1');

      // The phone: a 1000 Hz tone in PCMU, SRTP-protected, every 20 ms.
      const codec = createCodec('PCMU');
      const gen = new ToneGenerator(1000, 8000, 8000);
      let seq = 100;
      const sent: Buffer[] = [];
      const packet = (s: number): Buffer => {
        const payload = Buffer.from(codec.encode(gen.next(160), Buffer.alloc(160)));
        const buf = Buffer.alloc(12 + 160);
        writeRtp({ payloadType: 0, sequenceNumber: s, timestamp: s * 160, ssrc: 0xabcd, marker: s === 100, payload }, buf, 0);
        return buf;
      };
      const timer = setInterval(() => {
        const p = session.protectRtp(packet(seq++));
        sent.push(p);
        send(p);
      }, 20);
      cleanups.add(() => clearInterval(timer));
      const heard = recordPcm(ep);
      driveTone(cleanups, ep, 700);
      await until(() => heard.length >= 30 && phone.received.length >= 30, 5000, 'audio both ways');

      expect(detectTones(concat(heard.slice(5)), 8000, CANDIDATES, 0.3)).toEqual([1000]);
      // What the endpoint sent is SRTP: it authenticates and decrypts with its key, to its tone.
      const view = createRtpPacketView();
      const decoded = phone.received.slice(5).map((m) => {
        const plain = session.unprotectRtp(Buffer.from(m));
        expect(plain).not.toBeNull();
        const v = tryParseRtp(plain!, view)!;
        return Int16Array.from(codec.decode(v.payload, new Int16Array(160)));
      });
      expect(session.counters.authFailures).toBe(0);
      expect(detectTones(concat(decoded), 8000, CANDIDATES, 0.3)).toEqual([700]);
      expect(ep.stats()).toMatchObject({ srtp: suite, dropped: { srtpAuth: 0, srtpReplay: 0 } });

      // A payload byte flipped on the way, the same packet again, and plain RTP.
      clearInterval(timer);
      await until(() => ep.stats().packetsIn === sent.length, 3000, 'every good packet in');
      const tampered = Buffer.from(session.protectRtp(packet(seq++)));
      tampered[20] = tampered[20]! ^ 0x01;
      send(tampered);
      send(sent[sent.length - 1]!);
      send(packet(seq++));
      await until(() => ep.stats().dropped.srtpAuth >= 2 && ep.stats().dropped.srtpReplay >= 1, 3000, 'the bad packets counted');
      const s = ep.stats();
      expect(s.dropped).toMatchObject({ srtpAuth: 2, srtpReplay: 1 });
      // None of them moved the latch or reached the jitter buffer as audio.
      expect(s.latchCount).toBe(1);
      expect(s.packetsIn).toBe(sent.length);
    },
  );

  it('reports over SRTCP (rtcp-mux): our reports authenticate with our key, the phone\'s answers give the round trip', async () => {
    const phone = await srtpPhone('AES_CM_128_HMAC_SHA1_80');
    const ep = await makeEndpoint(cleanups, { srtp: 'required', rtcpIntervalMs: 200 });
    const answer = ep.answer(phone.offer.replace('a=sendrecv', 'a=sendrecv\r\na=rtcp-mux'));
    expect(answer).toContain('a=rtcp-mux\r\n');
    const theirs = usableKeys(sdpTransform.parse(answer).media[0]!.crypto)[0]!;
    const session = createSdesSession('AES_CM_128_HMAC_SHA1_80', phone.key, theirs.keySalt);
    const port = sdpPort(answer);
    // The phone's RTP, so that the endpoint latches; then each of our SRs answered with an RR.
    let seq = 1;
    const timer = setInterval(() => {
      const buf = Buffer.alloc(12 + 160, 0xff);
      writeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0xabcd, marker: seq === 1, payload: buf.subarray(12) }, buf, 0);
      seq++;
      phone.socket.send(session.protectRtp(buf), port, '127.0.0.1');
    }, 20);
    cleanups.add(() => clearInterval(timer));
    driveTone(cleanups, ep, 700);
    let srs = 0;
    phone.socket.on('message', (m) => {
      if (!isRtcp(m)) return;
      const plain = session.unprotectRtcp(Buffer.from(m));
      expect(plain).not.toBeNull();
      for (const p of parseRtcp(plain!)) {
        if (p.kind !== 'sr') continue;
        srs++;
        const block = { ssrc: p.ssrc, fractionLost: 0, cumulativeLost: 0, highestSeq: 0, jitter: 0, lastSr: ntpMiddle32(p.ntpSeconds, p.ntpFraction), delaySinceLastSr: 0 };
        phone.socket.send(session.protectRtcp(buildReceiverReport(0xabcd, [block])), port, '127.0.0.1');
      }
    });
    await until(() => ep.stats().rtcp?.rttMs !== undefined, 5000, 'a round trip over SRTCP');
    expect(srs).toBeGreaterThan(0);
    expect(ep.stats().dropped).toMatchObject({ srtpAuth: 0, srtpReplay: 0, rtcp: 0 });
    // A report with a broken tag is dropped as SRTP that failed authentication.
    const forged = Buffer.from(session.protectRtcp(buildReceiverReport(0xabcd)));
    forged[forged.length - 1] = forged[forged.length - 1]! ^ 0x01;
    phone.socket.send(forged, port, '127.0.0.1');
    await until(() => ep.stats().dropped.srtpAuth === 1, 2000, 'the forged report counted');
  });

  it('a re-offer with the same keys keeps the SRTP context (its replay window goes on)', async () => {
    const phone = await srtpPhone('AES_CM_128_HMAC_SHA1_80');
    const ep = await makeEndpoint(cleanups, { srtp: 'optional' });
    const first = ep.answer(phone.offer);
    const again = ep.reconfigure(phone.offer.replace('o=phone 1 1', 'o=phone 1 2').replace('a=sendrecv', 'a=sendonly'));
    expect(usableKeys(sdpTransform.parse(again).media[0]!.crypto)[0]!.keySalt.equals(usableKeys(sdpTransform.parse(first).media[0]!.crypto)[0]!.keySalt)).toBe(true);
    expect(ep.stats().srtp).toBe('AES_CM_128_HMAC_SHA1_80');
  });
});
