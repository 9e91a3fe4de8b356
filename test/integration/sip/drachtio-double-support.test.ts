import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { digestResponse, DrachtioDouble, encodeFrame, FrameDecoder, parseDigest } from '../../support/drachtio-double/index.js';
import * as sip from '../../support/sip-messages.js';

describe('drachtio framing', () => {
  it('counts bytes, not characters, and reassembles frames across and within chunks', () => {
    const a = encodeFrame('id1|ping');
    const b = encodeFrame('id2|sip|||\r\nMESSAGE sip:x SIP/2.0\r\n\r\nhé ☎');
    expect(b.toString('utf8').startsWith(`${Buffer.byteLength('id2|sip|||\r\nMESSAGE sip:x SIP/2.0\r\n\r\nhé ☎')}#`)).toBe(true);
    const all = Buffer.concat([a, b]);
    const dec = new FrameDecoder();
    const out: string[] = [];
    for (let i = 0; i < all.length; i += 3) out.push(...dec.push(all.subarray(i, i + 3)));
    expect(out).toEqual(['id1|ping', 'id2|sip|||\r\nMESSAGE sip:x SIP/2.0\r\n\r\nhé ☎']);
    expect(new FrameDecoder().push(all)).toEqual(out);
  });

  it('rejects a stream without a length prefix', () => {
    expect(() => new FrameDecoder().push(Buffer.from('hello#world'))).toThrow(/invalid drachtio frame/);
  });
});

describe('SIP text helpers', () => {
  it('parses compact and folded headers and a UTF-8 body by its byte length', () => {
    const text =
      'INFO sip:gw@127.0.0.1 SIP/2.0\r\nv: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nf: <sip:a@h>;tag=abc\r\n' +
      't: <sip:b@h>\r\n ;tag=def\r\ni: call-1\r\nCSeq: 7 INFO\r\nc: text/plain\r\nl: 4\r\n\r\nhé!trailing';
    const m = sip.parseSipMessage(text);
    expect(m.method).toBe('INFO');
    expect(m.get('Call-ID')).toBe('call-1');
    expect(m.fromTag).toBe('abc');
    expect(m.toTag).toBe('def');
    expect(m.cseq).toEqual({ seq: 7, method: 'INFO' });
    expect(m.body).toBe('hé!');
    expect(m.toString()).toContain('Content-Length: 4\r\n\r\nhé!');
  });

  it('builds CANCEL and ACK the way RFC 3261 wants them', () => {
    const inv = sip.invite({ from: '<sip:a@127.0.0.1>', to: '<sip:b@127.0.0.1>', sdp: sip.sdp({ port: 4000 }) });
    const invite = sip.parseSipMessage(inv);
    const c = sip.parseSipMessage(sip.cancel(inv));
    expect([c.method, c.uri, c.get('via'), c.cseq]).toEqual(['CANCEL', invite.uri, invite.get('via'), { seq: invite.cseq.seq, method: 'CANCEL' }]);

    const ok = sip.buildResponse(invite, 200, { toTag: 'tt', contact: 'sip:b@127.0.0.9:5090' });
    const ack2xx = sip.parseSipMessage(sip.ack(inv, ok));
    expect(ack2xx.uri).toBe('sip:b@127.0.0.9:5090');
    expect(ack2xx.get('via')).not.toBe(invite.get('via'));
    expect(ack2xx.toTag).toBe('tt');

    const busy = sip.buildResponse(invite, 486, { toTag: 'tt' });
    const ackFail = sip.parseSipMessage(sip.ack(inv, busy));
    expect([ackFail.uri, ackFail.get('via')]).toEqual([invite.uri, invite.get('via')]);
  });

  it('computes the RFC 2617 digest example', () => {
    expect(
      digestResponse({
        username: 'Mufasa',
        password: 'Circle Of Life',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        method: 'GET',
        uri: '/dir/index.html',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
    expect(parseDigest('Digest username="Mufasa",nc=00000001, qop=auth')).toEqual({ username: 'Mufasa', nc: '00000001', qop: 'auth' });
  });
});

describe('drachtio double on the wire', () => {
  let double: DrachtioDouble | undefined;
  let socket: Socket | undefined;

  afterEach(async () => {
    socket?.destroy();
    await double?.close();
  });

  async function rawClient(): Promise<{ send: (t: string) => void; next: () => Promise<string>; closed: Promise<void> }> {
    double = await DrachtioDouble.start({ secret: 's3' });
    const s = connect(double.port, '127.0.0.1');
    socket = s;
    const dec = new FrameDecoder();
    const inbox: string[] = [];
    let wake: (() => void) | undefined;
    s.on('data', (chunk: Buffer) => {
      inbox.push(...dec.push(chunk));
      wake?.();
    });
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    const next = async (): Promise<string> => {
      while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
      return inbox.shift() ?? '';
    };
    return { send: (t) => s.write(encodeFrame(t)), next, closed };
  }

  it('answers authenticate, route and ping, several frames in one write', async () => {
    const c = await rawClient();
    socket?.write(Buffer.concat([encodeFrame('m1|authenticate|s3|'), encodeFrame('m2|route|invite'), encodeFrame('m3|ping')]));
    expect((await c.next()).split('|').slice(1)).toEqual(['response', 'm1', 'OK', 'udp/127.0.0.1:5060,tcp/127.0.0.1:5060', 'v0.9.4', 'udp/127.0.0.1:5060,tcp/127.0.0.1:5060']);
    expect((await c.next()).split('|').slice(1)).toEqual(['response', 'm2', 'OK']);
    expect((await c.next()).split('|').slice(1)).toEqual(['response', 'm3', 'OK', 'pong']);
    expect([...(double?.routes ?? [])]).toEqual(['invite']);
  });

  it('says NO to a wrong secret and hangs up', async () => {
    const c = await rawClient();
    c.send('m1|authenticate|nope|');
    expect((await c.next()).split('|').slice(1)).toEqual(['response', 'm1', 'NO', 'incorrect secret']);
    await c.closed;
    expect(double?.authFailures).toBe(1);
  });
});
