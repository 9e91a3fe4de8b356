/**
 * Hostile SIP INFO bodies into the payload parsers the dialog uses (dtmf-relay, dtmf, jigasi's
 * JSON protocol): each body gives a digit, a message, "nothing we know" or a typed refusal
 * (answered 400), never an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dtmfRelayBody,
  jsonInfoBody,
  parseDtmfBody,
  parseDtmfRelay,
  parseJsonInfo,
  type DtmfDigit,
  type DtmfInfo,
  type JsonInfoParse,
} from '../../src/sip/info-payloads.js';
import { fuzzParams, mutatedLines, nastyToken, regressionFixtures } from './fuzz-support.js';

const DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

function expectDtmf(info: DtmfInfo | undefined): void {
  if (info === undefined) return;
  expect(DIGITS).toContain(info.digit);
  if (info.durationMs !== undefined) expect(Number.isFinite(info.durationMs) && info.durationMs >= 0).toBe(true);
}

function expectJson(parsed: JsonInfoParse): void {
  if (!parsed.ok) {
    expect(typeof parsed.error).toBe('string');
    return;
  }
  const m = parsed.message;
  if (m === undefined) return;
  if (m.kind === 'protocol') {
    expect(Number.isInteger(m.t)).toBe(true);
    expect(m.i === undefined || typeof m.i === 'number').toBe(true);
  } else {
    expect(['muteRequest', 'muteResponse']).toContain(m.type);
    expect(m.audioMuted === undefined || typeof m.audioMuted === 'boolean').toBe(true);
  }
  // What we read we can also write, and it reads back the same.
  const again = parseJsonInfo(jsonInfoBody(m));
  expect(again.ok && again.message?.kind).toBe(m.kind);
}

/** Checks one body the way the dialog would route it by Content-Type. */
function checkBody(body: string): void {
  expectDtmf(parseDtmfRelay(body));
  expectDtmf(parseDtmfBody(body));
  expectJson(parseJsonInfo(body));
}

const relayBodies = mutatedLines([dtmfRelayBody('5'), 'Signal= #\r\nDuration= 250\r\n', 'signal=11\nduration=100\n']);

const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, 'muteRequest', 'muteResponse', '', '__proto__'),
    fc.string({ maxLength: 10 }),
    fc.double(),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('t', 'i', 'd', 'type', 'id', 'data', 'audio', 'status', '__proto__', 'x'), tie('value'), {
      maxKeys: 5,
    }),
  ),
})).value;

const jsonBodies: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      t: fc.oneof(fc.integer({ min: -5, max: 20 }), jsonValue),
      i: fc.option(jsonValue),
      d: fc.option(jsonValue),
    })
    .map((r) => JSON.stringify(r)),
  fc
    .record({
      type: fc.constantFrom('muteRequest', 'muteResponse', 'mute', 1),
      id: jsonValue,
      data: fc.oneof(fc.record({ audio: jsonValue }), jsonValue),
      status: jsonValue,
    })
    .map((r) => JSON.stringify(r)),
  jsonValue.map((v) => JSON.stringify(v) ?? 'undefined'),
  // Broken JSON: a valid body cut short or with a nasty token spliced in.
  fc
    .tuple(jsonValue.map((v) => JSON.stringify(v) ?? ''), fc.nat(), nastyToken)
    .map(([s, at, tok]) => s.slice(0, at % (s.length + 1)) + tok + s.slice(at % (s.length + 1))),
  fc.nat({ max: 20_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
);

describe('fuzz: SIP INFO bodies', () => {
  it('dtmf-relay and dtmf bodies give a digit or undefined', () => {
    fc.assert(
      fc.property(fc.oneof(relayBodies, nastyToken, fc.string({ unit: 'binary', maxLength: 60 })), checkBody),
      fuzzParams(0x1f0001, 500),
    );
  });

  it('JSON bodies give a message, nothing, or a malformed-JSON refusal', () => {
    fc.assert(fc.property(jsonBodies, checkBody), fuzzParams(0x1f0002, 500));
  });

  it('a well-formed dtmf-relay body still reads after garbage', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(relayBodies, jsonBodies), { maxLength: 8 }), fc.constantFrom(...DIGITS), (garbage, digit) => {
        for (const g of garbage) checkBody(g);
        expect(parseDtmfRelay(dtmfRelayBody(digit, 120))).toEqual({ digit, durationMs: 120 });
      }),
      fuzzParams(0x1f0003, 50),
    );
  });

  for (const f of regressionFixtures('sip-info')) {
    it(`regression: ${f.name}`, () => checkBody(f.text));
  }
});
