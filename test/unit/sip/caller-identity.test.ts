import { describe, expect, it } from 'vitest';
import { callerIdentity } from '../../../src/sip/caller-identity.js';

const reader = (headers: Record<string, string>) => (name: string) =>
  Object.entries(headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

describe('callerIdentity', () => {
  it('takes name and number from P-Asserted-Identity before Remote-Party-ID and From', () => {
    const id = callerIdentity(
      reader({
        'P-Asserted-Identity': '"Trunk Name" <sip:+4930111@trunk.example>',
        'Remote-Party-ID': '"RPID Name" <sip:+4930222@pbx>;party=calling;screen=yes',
        From: '"Typed Name" <sip:100@pbx>;tag=x',
      }),
    );
    expect(id).toMatchObject({ displayName: 'Trunk Name', number: '+4930111', anonymous: false, source: 'p-asserted-identity' });
  });

  it('fills a name PAI lacks from the next header, and prefers a tel: URI for the number', () => {
    const id = callerIdentity(
      reader({ 'P-Asserted-Identity': '<sip:alice@trunk.example>, <tel:+15551234567>', From: '"Alice" <sip:alice@pbx>;tag=1' }),
    );
    expect(id).toMatchObject({ displayName: 'Alice', number: '+15551234567' });
  });

  it('uses Remote-Party-ID when there is no PAI, and skips its party=called entry', () => {
    const id = callerIdentity(
      reader({
        'Remote-Party-ID': '"Called" <sip:200@pbx>;party=called, "Bob" <sip:+4940333@pbx>;party=calling',
        From: '<sip:100@pbx>;tag=1',
      }),
    );
    expect(id).toMatchObject({ displayName: 'Bob', number: '+4940333', source: 'remote-party-id' });
  });

  it('falls back to From', () => {
    expect(callerIdentity(reader({ From: '"Carol" <sip:+1555777@pbx>;tag=1' }))).toMatchObject({
      displayName: 'Carol',
      number: '+1555777',
      source: 'from',
    });
  });

  it.each([
    ['Privacy: id with an asserted number', { 'P-Asserted-Identity': '<sip:+4930111@trunk>', Privacy: 'id', From: '"Dan" <sip:+4930111@trunk>;tag=1' }],
    ['Privacy: user;id', { Privacy: 'user; id', From: '"Dan" <sip:+4930111@trunk>;tag=1' }],
    ['the RFC 3261 anonymous From', { From: '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1' }],
    ['an anonymous From in front of an asserted number', { From: '<sip:anonymous@anonymous.invalid>;tag=1', 'P-Asserted-Identity': '<sip:+4930111@trunk>' }],
    ['RPID privacy=full', { 'Remote-Party-ID': '"Eve" <sip:+4930999@pbx>;party=calling;privacy=full', From: '<sip:100@pbx>;tag=1' }],
  ])('shows %s as Anonymous without a number or URI', (_label, headers) => {
    expect(callerIdentity(reader(headers), { '+4930111': 'Reception' })).toMatchObject({
      displayName: 'Anonymous',
      number: undefined,
      uri: undefined,
      anonymous: true,
    });
  });

  it('keeps Privacy: none and session out of the way', () => {
    expect(callerIdentity(reader({ Privacy: 'none', From: '"Fay" <sip:+1@pbx>;tag=1' }))).toMatchObject({ displayName: 'Fay', anonymous: false });
  });

  it('names known numbers from the directory, matching them without separators', () => {
    const names = { '+4930123456': 'Reception' };
    expect(callerIdentity(reader({ 'P-Asserted-Identity': '<tel:+49-30-123456>', From: '"x" <sip:1@pbx>;tag=1' }), names)).toMatchObject({
      displayName: 'Reception',
      number: '+49-30-123456',
    });
    expect(callerIdentity(reader({ From: '<sip:+4930999@pbx>;tag=1' }), names)).toMatchObject({ displayName: undefined, number: '+4930999' });
    // A number like "constructor" must not find Object.prototype's members.
    expect(callerIdentity(reader({ From: '<sip:constructor@pbx>;tag=1' }), names).displayName).toBeUndefined();
  });
});
