import { describe, expect, it } from 'vitest';
import {
  dtmfRelayBody,
  jsonInfoBody,
  parseDtmfBody,
  parseDtmfRelay,
  parseJsonInfo,
  toDtmfDigit,
} from '../../../src/sip/info-payloads.js';

describe('DTMF INFO bodies', () => {
  it('reads dtmf-relay with any key case, spacing and line endings', () => {
    expect(parseDtmfRelay('Signal=5\r\nDuration=160\r\n')).toEqual({ digit: '5', durationMs: 160 });
    expect(parseDtmfRelay('signal= #\nduration = 250')).toEqual({ digit: '#', durationMs: 250 });
    expect(parseDtmfRelay('Signal=a')).toEqual({ digit: 'A', durationMs: undefined });
  });

  it('accepts RFC 4733 event numbers for star, hash and A-D', () => {
    expect(parseDtmfRelay('Signal=10\r\nDuration=100')?.digit).toBe('*');
    expect(parseDtmfRelay('Signal=11')?.digit).toBe('#');
    expect(toDtmfDigit('15')).toBe('D');
    expect(toDtmfDigit('16')).toBeUndefined();
  });

  it('rejects bodies without a usable digit', () => {
    expect(parseDtmfRelay('Duration=160')).toBeUndefined();
    expect(parseDtmfRelay('Signal=Z')).toBeUndefined();
    expect(parseDtmfBody('12a')).toBeUndefined();
    expect(parseDtmfBody(' 9 \r\n')).toEqual({ digit: '9', durationMs: undefined });
  });

  it('writes dtmf-relay the way PBXs expect it', () => {
    expect(dtmfRelayBody('*')).toBe('Signal=*\r\nDuration=160\r\n');
    expect(dtmfRelayBody('3', 99.6)).toBe('Signal=3\r\nDuration=100\r\n');
    expect(parseDtmfRelay(dtmfRelayBody('D', 240))).toEqual({ digit: 'D', durationMs: 240 });
  });
});

describe('jigasi JSON INFO', () => {
  it('types numbered and unnumbered protocol messages', () => {
    expect(parseJsonInfo('{"i":3,"t":4,"d":{"pwd":"secret"}}')).toEqual({ ok: true, message: { kind: 'protocol', t: 4, i: 3, d: { pwd: 'secret' } } });
    expect(parseJsonInfo('{"t":11}')).toEqual({ ok: true, message: { kind: 'protocol', t: 11, i: undefined, d: undefined } });
  });

  it('types mute requests and responses', () => {
    expect(parseJsonInfo('{"type":"muteRequest","id":"x1","data":{"audio":true}}')).toEqual({
      ok: true,
      message: { kind: 'mute', type: 'muteRequest', id: 'x1', audioMuted: true, status: undefined },
    });
    expect(parseJsonInfo('{"type":"muteResponse","id":"x1","status":"OK","data":{"audio":false}}')).toMatchObject({
      message: { type: 'muteResponse', status: 'OK', audioMuted: false },
    });
  });

  it('accepts well-formed JSON of unknown shape without a message, and reports malformed JSON', () => {
    expect(parseJsonInfo('[1,2]')).toEqual({ ok: true, message: undefined });
    expect(parseJsonInfo('{"t":"4"}')).toEqual({ ok: true, message: undefined });
    const bad = parseJsonInfo('{"t":');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^malformed JSON/);
  });

  it('writes the wire shape jigasi uses, round-tripping through the parser', () => {
    expect(JSON.parse(jsonInfoBody({ kind: 'protocol', t: 8, i: undefined, d: true }))).toEqual({ t: 8, d: true });
    const mute = JSON.parse(jsonInfoBody({ kind: 'mute', type: 'muteResponse', id: 'r9', audioMuted: true, status: 'OK' }));
    expect(mute).toEqual({ type: 'muteResponse', id: 'r9', data: { audio: true }, status: 'OK' });
    const request = JSON.parse(jsonInfoBody({ kind: 'mute', type: 'muteRequest', id: undefined, audioMuted: false, status: undefined }));
    expect(request.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseJsonInfo(JSON.stringify(request))).toMatchObject({ message: { type: 'muteRequest', audioMuted: false } });
  });
});
